"""JupyterHub configuration of the lab, built from a :class:`LabRuntime`.

``hub/jupyterhub_config.py`` only calls :func:`configure_hub`; everything the
hub does differently for the lab is decided here, where it can be tested.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from traitlets.config import Config

from vidjil_kernel.api.config import ACCOUNT_SYNC_TOKEN_ENV
from vidjil_kernel.exceptions import UsageError
from vidjil_kernel.server import accounts
from vidjil_kernel.server.runtime import API_SERVICE_NAME, LabRuntime

#: Voila starts a kernel per page view and never stops it unless told to: kernels
#: idle (and no longer connected to a page) for this long are shut down
KERNEL_CULL_IDLE_SECONDS = 1800
KERNEL_CULL_INTERVAL_SECONDS = 120
#: where a user lands after logging in
DEFAULT_URL = "/voila/render/dashboards/home.ipynb"
#: what the token of a user's server (and the browser's OAuth token) may do on the
#: vidjil-api service: reach it, and let it read the user's own name and admin flag
API_ACCESS_SCOPE = f"access:services!service={API_SERVICE_NAME}"
API_CLIENT_SCOPES = ["read:users!user"]


def _ldap_config(c: Config, ldap: dict) -> None:
    from ldapauthenticator import LDAPAuthenticator

    unknown = sorted(set(ldap) - set(LDAPAuthenticator.class_trait_names(config=True)))
    if unknown:
        raise UsageError(
            f"[ldap] setting(s) {', '.join(unknown)} are not LDAPAuthenticator options "
            "(see config/defaults.toml)"
        )
    if not ldap.get("server_address"):
        raise UsageError("authenticator = \"ldap\" needs [ldap] server_address in the settings")
    c.JupyterHub.authenticator_class = "ldapauthenticator.LDAPAuthenticator"
    for name, value in ldap.items():
        setattr(c.LDAPAuthenticator, name, value)


def _native_config(c: Config, state_dir: Path) -> None:
    c.JupyterHub.authenticator_class = "vidjil_kernel.server.accounts.LabAuthenticator"
    c.LabAuthenticator.initial_admin_file = str(state_dir / "initial-admin.json")
    c.LabAuthenticator.open_signup = False
    c.LabAuthenticator.ask_email_on_signup = True
    c.LabAuthenticator.minimum_password_length = accounts.MINIMUM_PASSWORD_LENGTH
    c.LabAuthenticator.check_common_password = True
    c.LabAuthenticator.allowed_failed_logins = accounts.ALLOWED_FAILED_LOGINS
    c.LabAuthenticator.seconds_before_next_try = accounts.LOCKOUT_SECONDS


def api_service(rt: LabRuntime, account_sync_token: str) -> dict:
    """The vidjil-api managed service: the only process given the data and the database.

    Its environment holds the lab's settings (``VIDJIL_*``, as `vidjil up`
    resolved them) and the secret of the hub's account hook.
    """
    return {
        "name": API_SERVICE_NAME,
        "url": f"http://127.0.0.1:{rt.api_port}",
        "command": [rt.python, "-m", "vidjil_kernel.api"],
        "environment": {**rt.api_env, ACCOUNT_SYNC_TOKEN_ENV: account_sync_token},
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": API_CLIENT_SCOPES,
        "display": False,
    }


def singleuser_args(spawner: str) -> list[str]:
    """Options of every user's Jupyter server: kernel culling, no tracebacks in dashboards.

    Embedded servers run as the lab's user, which may be root (a container, CI).
    """
    args = [
        f"--MappingKernelManager.cull_idle_timeout={KERNEL_CULL_IDLE_SECONDS}",
        f"--MappingKernelManager.cull_interval={KERNEL_CULL_INTERVAL_SECONDS}",
        "--VoilaConfiguration.show_tracebacks=False",
    ]
    if spawner == "embedded":
        args.append("--ServerApp.allow_root=True")
    return args


def _log_to_stderr() -> None:
    """The package's messages in the hub's log (which only shows its own logger)."""
    logger = logging.getLogger("vidjil_kernel")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("[%(levelname)1.1s %(asctime)s %(name)s] %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def configure_hub(c: Config, rt: LabRuntime) -> None:
    """Fill the hub's configuration ``c`` for one start of the lab."""
    _log_to_stderr()
    state_dir = Path(rt.state_dir)
    bin_dir = Path(rt.python).parent
    dashboards = Path(rt.source_root) / "notebooks" / "dashboards"

    c.JupyterHub.bind_url = rt.public_url
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{rt.hub_port}"
    c.JupyterHub.db_url = f"sqlite:///{state_dir / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state_dir / "jupyterhub_cookie_secret")
    c.JupyterHub.cleanup_servers = True
    c.ConfigurableHTTPProxy.should_start = False
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{rt.proxy_api_port}"

    # a new secret at each start: only this hub and this API's process know it
    account_sync_token = secrets.token_hex(32)
    c.JupyterHub.services = [api_service(rt, account_sync_token)]
    c.JupyterHub.load_roles = [
        {"name": "user", "scopes": ["self", API_ACCESS_SCOPE]},
    ]

    c.Authenticator.allow_all = True
    c.Authenticator.post_auth_hook = accounts.AccountHook(
        f"http://127.0.0.1:{rt.api_port}/services/{API_SERVICE_NAME}/internal/accounts",
        account_sync_token)
    if rt.admin:
        c.Authenticator.admin_users = {rt.admin}
    if rt.authenticator == "ldap":
        _ldap_config(c, rt.ldap)
    elif rt.authenticator == "native":
        _native_config(c, state_dir)
    else:
        raise UsageError(f"authenticator {rt.authenticator!r}: use \"native\" or \"ldap\"")

    if rt.spawner == "isolated":
        c.JupyterHub.spawner_class = "vidjil_kernel.server.spawners.IsolatedSpawner"
        c.IsolatedSpawner.dashboards_dir = str(dashboards)
    elif rt.spawner == "embedded":
        c.JupyterHub.spawner_class = "vidjil_kernel.server.spawners.EmbeddedSpawner"
        c.EmbeddedSpawner.dashboards_dir = str(dashboards)
        c.EmbeddedSpawner.home_dir_template = str(Path(rt.data_dir) / "homes" / "{username}")
    else:
        raise UsageError(f"spawner {rt.spawner!r}: use \"embedded\" or \"isolated\"")
    c.Spawner.cmd = [str(bin_dir / "jupyterhub-singleuser")]
    c.Spawner.args = singleuser_args(rt.spawner)
    c.Spawner.default_url = DEFAULT_URL
    c.Spawner.environment = {"VIDJIL_API_URL": rt.api_url}
    c.Spawner.server_token_scopes = [
        "users:activity!user", "access:servers!server", API_ACCESS_SCOPE, *API_CLIENT_SCOPES,
    ]
    c.Spawner.http_timeout = 60
    c.Spawner.start_timeout = 120

