"""The FastAPI application of the vidjil-api service."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from jupyterhub.services.auth import HubOAuth
from starlette.concurrency import run_in_threadpool

from vidjil_kernel import __version__
from vidjil_kernel.api.auth import Authenticator, BrowserLoginRequired
from vidjil_kernel.api.config import ApiConfig
from vidjil_kernel.api.errors import ERROR_RESPONSES, install_error_handlers
from vidjil_kernel.api.routes import AREAS
from vidjil_kernel.api.state import open_lab

DESCRIPTION = """\
The immune-repertoire lab: sets (patients, runs, generic sets), samples and their
sequence files, analysis configs, jobs, results and the annotations of clones.

Authenticate with your JupyterHub token: header `Authorization: token <token>`
(`JUPYTERHUB_API_TOKEN` in the lab's notebooks).  Every route checks your rights
in the lab; a refusal names the missing right.
"""


def create_app(config: ApiConfig, hub: HubOAuth | None = None) -> FastAPI:
    """The API under ``config.prefix``, with tokens checked by ``hub`` (from the env by default)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        lab = await run_in_threadpool(open_lab, config)
        app.state.lab = lab
        try:
            yield
        finally:
            await run_in_threadpool(lab.close)

    app = FastAPI(
        title="Vidjil Lab API",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{config.prefix}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    authenticator = Authenticator(hub or HubOAuth(), config.prefix)
    app.state.config = config
    app.state.authenticator = authenticator
    install_error_handlers(app)
    for area in AREAS:
        module = importlib.import_module(f"vidjil_kernel.api.routes.{area}")
        app.include_router(module.router, prefix=config.prefix, responses=ERROR_RESPONSES)

    @app.get(f"{config.prefix}/oauth_callback", include_in_schema=False)
    async def oauth_callback(request: Request):
        return await authenticator.finish_login(request)

    @app.exception_handler(BrowserLoginRequired)
    async def login_redirect(request: Request, error: BrowserLoginRequired):
        return authenticator.login_redirect(error.next_url)

    return app
