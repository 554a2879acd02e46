"""The FastAPI application of the vidjil-api service."""

from __future__ import annotations

import importlib

from fastapi import FastAPI, Request
from jupyterhub.services.auth import HubOAuth

from vidjil_kernel import __version__
from vidjil_kernel.api.auth import Authenticator, BrowserLoginRequired
from vidjil_kernel.api.config import ApiConfig
from vidjil_kernel.api.routes import AREAS


def create_app(config: ApiConfig, hub: HubOAuth | None = None) -> FastAPI:
    """The API under ``config.prefix``, with tokens checked by ``hub`` (from the env by default)."""
    app = FastAPI(
        title="Vidjil Lab API",
        version=__version__,
        description="Immune-repertoire lab: authenticate with your JupyterHub token "
                    "(header `Authorization: token ...`).",
        openapi_url=f"{config.prefix}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    authenticator = Authenticator(hub or HubOAuth(), config.prefix)
    app.state.config = config
    app.state.authenticator = authenticator
    for area in AREAS:
        module = importlib.import_module(f"vidjil_kernel.api.routes.{area}")
        app.include_router(module.router, prefix=config.prefix)

    @app.get(f"{config.prefix}/oauth_callback", include_in_schema=False)
    async def oauth_callback(request: Request):
        return await authenticator.finish_login(request)

    @app.exception_handler(BrowserLoginRequired)
    async def login_redirect(request: Request, error: BrowserLoginRequired):
        return authenticator.login_redirect(error.next_url)

    return app
