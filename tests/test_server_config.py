"""The hub configuration built from a runtime, the account hook, the settings of the lab."""

from __future__ import annotations

import dataclasses
import os

import pytest
from traitlets.config import Config

from vidjil_kernel.exceptions import InputFormatError, UsageError
from vidjil_kernel.server import accounts
from vidjil_kernel.server.hubconf import configure_hub
from vidjil_kernel.server.runtime import LabRuntime
from vidjil_kernel.settings import load_settings, settings_environment

RUNTIME = LabRuntime(
    port=8000, proxy_api_port=8001, hub_port=8002, api_port=8003,
    data_dir="/srv/vidjil/data", state_dir="/srv/vidjil/data/hub",
    db_url="mysql+pymysql://vidjil:pw@db/vidjil", dask_scheduler="tcp://10.0.0.5:8786",
    api_env={"VIDJIL_DATA_DIR": "/srv/vidjil/data",
             "VIDJIL_DB_URL": "mysql+pymysql://vidjil:pw@db/vidjil",
             "VIDJIL_DASK_SCHEDULER": "tcp://10.0.0.5:8786"},
    spawner="embedded", authenticator="native", ldap={}, admin="boss",
    source_root="/opt/vidjil", python="/opt/vidjil/.venv/bin/python",
)


def _config(**changes) -> Config:
    c = Config()
    configure_hub(c, dataclasses.replace(RUNTIME, **changes))
    return c


def test_only_the_api_service_gets_the_data_dir_and_database():
    c = _config()
    (service,) = c.JupyterHub.services
    environment = dict(service["environment"])
    sync_token = environment.pop("VIDJIL_ACCOUNT_SYNC_TOKEN")
    assert environment == RUNTIME.api_env
    assert len(sync_token) == 64 and c.Authenticator.post_auth_hook.token == sync_token
    assert c.Authenticator.post_auth_hook.url == (
        "http://127.0.0.1:8003/services/vidjil-api/internal/accounts")
    assert _config().Authenticator.post_auth_hook.token != sync_token  # one per start
    assert c.Spawner.environment == {"VIDJIL_API_URL": "http://127.0.0.1:8000/services/vidjil-api"}
    assert "VIDJIL" not in " ".join(c.Spawner.env_keep if "env_keep" in c.Spawner else [])


def test_users_servers_cull_kernels_and_hide_tracebacks():
    args = _config().Spawner.args
    assert "--MappingKernelManager.cull_idle_timeout=1800" in args
    assert "--MappingKernelManager.cull_interval=120" in args
    assert "--VoilaConfiguration.show_tracebacks=False" in args
    assert "--ServerApp.allow_root=True" not in _config(spawner="isolated").Spawner.args


def test_spawner_modes():
    embedded = _config()
    assert embedded.JupyterHub.spawner_class.endswith("EmbeddedSpawner")
    assert embedded.EmbeddedSpawner.home_dir_template == "/srv/vidjil/data/homes/{username}"
    assert _config(spawner="isolated").JupyterHub.spawner_class.endswith("IsolatedSpawner")
    with pytest.raises(UsageError, match="spawner 'docker'"):
        _config(spawner="docker")


def test_native_accounts_and_first_admin():
    c = _config()
    assert c.JupyterHub.authenticator_class.endswith("LabAuthenticator")
    assert c.Authenticator.allow_all is True
    assert c.Authenticator.admin_users == {"boss"}
    assert c.LabAuthenticator.open_signup is False
    assert isinstance(c.Authenticator.post_auth_hook, accounts.AccountHook)


def test_ldap_is_selected_by_a_setting_and_checked():
    c = _config(authenticator="ldap", ldap={"server_address": "127.0.0.1", "server_port": 3890,
                                            "bind_dn_template": ["uid={username},dc=lab"]})
    assert c.JupyterHub.authenticator_class == "ldapauthenticator.LDAPAuthenticator"
    assert c.LDAPAuthenticator.server_port == 3890
    with pytest.raises(UsageError, match="server_adress are not LDAPAuthenticator options"):
        _config(authenticator="ldap", ldap={"server_adress": "x"})
    with pytest.raises(UsageError, match="needs \\[ldap\\] server_address"):
        _config(authenticator="ldap", ldap={})


def test_password_rules():
    assert "at least 8" in accounts.password_problem("short")
    assert "common" in accounts.password_problem("password1")
    assert accounts.password_problem("a-long-passphrase") is None


def test_settings_reach_the_api_as_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(data_dir="lab", file_source="/mnt/seq", disk_min_free_gb=2.5)
    env = settings_environment(settings)
    assert env["VIDJIL_DATA_DIR"] == str(tmp_path / "lab")
    assert env["VIDJIL_DB_URL"] == f"sqlite:///{tmp_path / 'lab' / 'vidjil.sqlite'}"
    assert "VIDJIL_LDAP" not in env
    expected = dataclasses.replace(settings, data_dir=tmp_path / "lab",
                                   db_url=env["VIDJIL_DB_URL"],
                                   germline_dir=settings.germline_dir.resolve())
    monkeypatch.chdir("/")
    for name in list(os.environ):
        if name.startswith("VIDJIL_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert load_settings() == expected


def test_lab_settings(tmp_path, monkeypatch):
    site = tmp_path / "site.toml"
    site.write_text('port = 9000\nspawner = "isolated"\n[ldap]\nserver_address = "ldap.lab"\n')
    monkeypatch.setenv("VIDJIL_CONFIG", str(site))
    monkeypatch.setenv("VIDJIL_DASK_SCHEDULER", "tcp://10.0.0.9:8786")
    settings = load_settings()
    assert (settings.port, settings.spawner, settings.ldap, settings.dask_scheduler) == (
        9000, "isolated", {"server_address": "ldap.lab"}, "tcp://10.0.0.9:8786")
    assert load_settings(port=7000).port == 7000
    site.write_text('port = "eighty"\n')
    with pytest.raises(InputFormatError, match="port = 'eighty' is not an integer"):
        load_settings()
