"""The lab's settings: one typed object, documented in ``config/defaults.toml``.

Values come from the defaults file, then the site file, then ``VIDJIL_*``
environment variables; command-line options override them last.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

from vidjil_kernel.exceptions import InputFormatError

#: root of the source tree (holds config/, germline/, notebooks/)
SOURCE_ROOT = Path(__file__).resolve().parent.parent
DEFAULTS_FILE = SOURCE_ROOT / "config" / "defaults.toml"


@dataclasses.dataclass(frozen=True)
class Settings:
    """Site settings; see config/defaults.toml for what each one means."""

    data_dir: Path
    db_url: str
    germline_dir: Path
    port: int = 8000
    spawner: str = "embedded"
    authenticator: str = "native"
    ldap: dict = dataclasses.field(default_factory=dict)
    dask_scheduler: str = ""
    dask_tls_ca_file: str = ""
    dask_tls_cert_file: str = ""
    dask_tls_key_file: str = ""
    job_workers: int = 0
    job_timeout_pre_process: int = 3600
    job_timeout_analysis: int = 21600
    job_timeout_fuse: int = 1800
    job_timeout_import: int = 600
    job_max_attempts: int = 3
    job_chunk_reads: int = 2_000_000
    disk_min_free_gb: float = 5.0
    file_source: str = ""
    file_source_types: tuple[str, ...] = ()
    demo_patient: bool = True
    results_dir: str = "results"

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL, SQLite in the data directory unless set."""
        return self.db_url or f"sqlite:///{self.data_dir / 'vidjil.sqlite'}"


def settings_environment(settings: Settings) -> dict[str, str]:
    """The settings as ``VIDJIL_*`` variables, for a process that calls ``load_settings``.

    Paths are made absolute and the database URL explicit, so the receiving
    process finds the same lab whatever its working directory.
    """
    env = {}
    for field in dataclasses.fields(Settings):
        value = getattr(settings, field.name)
        if isinstance(value, dict):
            continue  # [ldap]: the hub's business
        if isinstance(value, Path):
            value = value.resolve()
        if isinstance(value, tuple):
            value = ",".join(value)
        env[f"VIDJIL_{field.name.upper()}"] = str(value)
    env["VIDJIL_DB_URL"] = dataclasses.replace(
        settings, data_dir=settings.data_dir.resolve()).database_url
    return env


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise InputFormatError(str(path), f"not valid TOML: {error}") from None


def load_settings(**overrides: object) -> Settings:
    """Settings from defaults, site file and environment, then ``overrides`` (None = unset)."""
    names = [field.name for field in dataclasses.fields(Settings)]
    values: dict[str, object] = _read_toml(DEFAULTS_FILE)
    env = {name: os.environ[f"VIDJIL_{name.upper()}"] for name in names
           if f"VIDJIL_{name.upper()}" in os.environ}
    cli = {name: value for name, value in overrides.items() if value is not None}
    data_dir = Path(str(cli.get("data_dir") or env.get("data_dir") or values["data_dir"]))
    site = Path(os.environ.get("VIDJIL_CONFIG", data_dir / "vidjil.toml"))
    if site.is_file():
        values.update(_read_toml(site))
    values.update(env)
    values.update(cli)
    unknown = set(values) - set(names)
    if unknown:
        raise InputFormatError(str(site), f"unknown setting(s): {', '.join(sorted(unknown))}")
    return Settings(
        data_dir=Path(str(values["data_dir"])),
        db_url=str(values["db_url"]),
        germline_dir=Path(str(values["germline_dir"] or SOURCE_ROOT / "germline")),
        port=_integer(values["port"], "port"),
        spawner=str(values["spawner"]),
        authenticator=str(values["authenticator"]),
        ldap=_table(values["ldap"], "ldap"),
        dask_scheduler=str(values["dask_scheduler"]),
        dask_tls_ca_file=str(values["dask_tls_ca_file"]),
        dask_tls_cert_file=str(values["dask_tls_cert_file"]),
        dask_tls_key_file=str(values["dask_tls_key_file"]),
        **{name: _count(values[name], name) for name in COUNT_SETTINGS},
        disk_min_free_gb=_real(values["disk_min_free_gb"], "disk_min_free_gb"),
        results_dir=str(values["results_dir"]),
        file_source=str(values["file_source"]),
        file_source_types=_suffixes(values["file_source_types"], "file_source_types"),
        demo_patient=_boolean(values["demo_patient"], "demo_patient"),
    )


#: settings that are whole numbers, at least 0
COUNT_SETTINGS = ("job_workers", "job_timeout_pre_process", "job_timeout_analysis",
                    "job_timeout_fuse", "job_timeout_import", "job_max_attempts",
                    "job_chunk_reads")


def _integer(value: object, name: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise InputFormatError("settings", f"{name} = {value!r} is not an integer") from None


def _count(value: object, name: str) -> int:
    number = _integer(value, name)
    if number < 0:
        raise InputFormatError("settings", f"{name} = {value!r} must be at least 0")
    return number


def _real(value: object, name: str) -> float:
    try:
        number = float(str(value))
    except ValueError:
        raise InputFormatError("settings", f"{name} = {value!r} is not a number") from None
    if number < 0:
        raise InputFormatError("settings", f"{name} = {value!r} must be at least 0")
    return number


def _boolean(value: object, name: str) -> bool:
    """A TOML boolean, or its spelling in an environment variable (true/false, 1/0)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise InputFormatError("settings", f"{name} = {value!r} is not true or false")


def _suffixes(value: object, name: str) -> tuple[str, ...]:
    """A list of file name endings (a comma-separated string from the environment)."""
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InputFormatError("settings", f"{name} must be a list of file name endings")
    return tuple(item.lower() for item in value)


def _table(value: object, name: str) -> dict:
    if not isinstance(value, dict):
        raise InputFormatError("settings", f"{name} must be a table ([{name}] in the site file)")
    return dict(value)
