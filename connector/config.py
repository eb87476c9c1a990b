"""One settings model, read from a TOML file (``--config``), ``ENAIO_*`` environment variables and a
secrets directory (one file per secret, e.g. systemd ``LoadCredential=``).

Precedence, highest first: explicit overrides (CLI), environment, secrets directory, TOML file, defaults.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connector.errors import ConfigurationError
from connector.timeutil import DEFAULT_ZONE, zone

ENV_PREFIX = "ENAIO_"
Interface = Literal["dms", "osrest", "soap"]

DEFAULT_PATHS: Mapping[str, str] = {
    "dms": "/api/dms",
    "osrest": "/osrest/api",
    "soap": "/osws/services/EcmWsMtom",
}


class RetryPolicy(BaseModel):
    """Retries of idempotent calls on transient failures (connection errors, 429, 502, 503, 504)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_initial: float = Field(default=0.5, ge=0)
    backoff_max: float = Field(default=30.0, ge=0)
    retry_after_cap: float = Field(default=60.0, ge=0)
    """Upper bound for a server's ``Retry-After``; a longer wait is cut to this."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        case_sensitive=False,
    )

    url: str
    """Base URL of the enaio server (scheme, host, port, optional prefix); each interface appends its path."""
    interface: Interface = "dms"
    username: str | None = None
    password: SecretStr | None = None
    verify_tls: bool = True
    ca_bundle: Path | None = None
    timezone: str = DEFAULT_ZONE
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    soap_operation_timeout: float = Field(default=120.0, gt=0)
    dms_path: str = DEFAULT_PATHS["dms"]
    osrest_path: str = DEFAULT_PATHS["osrest"]
    soap_path: str = DEFAULT_PATHS["soap"]
    osrest_incremental: Literal["server", "scan"] = "server"
    """How osrest searches find changed objects: a server-side condition, or a scan sorted by MODIFIED."""
    objdef_file: Path | None = None
    """An asobjdef XML exported by the enaio administrator; when set, every interface uses it instead of
    asking the server for the object definition (for servers that do not deliver one the client reads)."""
    pseudonym_key: SecretStr | None = None
    """Key of the keyed hash (HMAC-SHA256) behind every pseudonym in exports and reports; keep it secret."""
    mapping_profile: str = "default"
    """Mapping profile: a name under mappings/profiles/ or a path to a YAML file."""
    web_client_url: str | None = None
    """Address of the enaio web client for "open in enaio" links (the part before ``/osweb/``), when staff
    reach it under another host than the connector's ``url``; default: ``url``."""
    retry: RetryPolicy = RetryPolicy()

    @field_validator("url", "web_client_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host, e.g. https://enaio.example.org:8080")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("ca_bundle")
    @classmethod
    def _check_ca_bundle(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file {value} does not exist")
        return value

    @field_validator("objdef_file")
    @classmethod
    def _check_objdef_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file {value} does not exist")
        return value

    @field_validator("dms_path", "osrest_path", "soap_path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        if value.startswith(("http://", "https://")):
            return value.rstrip("/")
        return "/" + value.strip("/")

    def endpoint(self, interface: Interface | None = None) -> str:
        """Full URL of an interface: base URL + its path, or the path itself when it is a full URL."""
        path = {"dms": self.dms_path, "osrest": self.osrest_path, "soap": self.soap_path}[
            interface or self.interface
        ]
        if path.startswith(("http://", "https://")):
            return path
        return self.url + path

    def web_client(self) -> str:
        """Base address of "open in enaio" links."""
        return (self.web_client_url or self.url).rstrip("/")

    def require_credentials(self) -> tuple[str, str]:
        """(username, password) for a job that talks to enaio; a missing one is a ConfigurationError (exit 2)
        naming every place it may come from."""
        if not self.username:
            raise ConfigurationError(
                "username is not set: set ENAIO_USERNAME or 'username' in the config file",
                key="username",
                source="not set anywhere",
            )
        if self.password is None or not self.password.get_secret_value():
            raise ConfigurationError(
                "password is not set: put it into the secrets directory as file 'enaio_password' "
                "(ENAIO_SECRETS_DIR or systemd LoadCredential=), or set ENAIO_PASSWORD, "
                "or 'password' in the config file",
                key="password",
                source="not set anywhere",
            )
        return self.username, self.password.get_secret_value()

    def tls_verify(self) -> bool | str:
        """The value for requests' ``verify``."""
        if not self.verify_tls:
            return False
        return str(self.ca_bundle) if self.ca_bundle else True


class _DictSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], data: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = dict(data)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML config file; a missing, unreadable or malformed file is a ``ConfigurationError``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(
            f"cannot read config file {path}: {reason}", key="--config", source=str(path)
        ) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(
            f"config file {path} is not valid TOML: {exc}", key="--config", source=str(path)
        ) from exc
    # Accept both a flat file and one with an [enaio] table.
    if isinstance(data.get("enaio"), dict) and "url" not in data:
        section = dict(data.pop("enaio"))
        section.update(data)
        data = section
    return data


def default_secrets_dir() -> Path | None:
    for variable in ("ENAIO_SECRETS_DIR", "CREDENTIALS_DIRECTORY"):
        value = os.environ.get(variable)
        if value:
            return Path(value)
    return None


def load_settings(
    config_file: Path | None = None,
    *,
    secrets_dir: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings; any problem becomes one ``ConfigurationError`` naming the key and its source."""
    file_data = read_config_file(config_file) if config_file else {}
    secrets = secrets_dir or default_secrets_dir()
    if secrets is not None and not secrets.is_dir():
        raise ConfigurationError(
            f"secrets directory {secrets} does not exist", key="secrets_dir", source=str(secrets)
        )

    class _BoundSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, file_secret_settings, _DictSource(settings_cls, file_data))

    try:
        kwargs: dict[str, Any] = dict(overrides or {})
        if secrets is not None:
            kwargs["_secrets_dir"] = secrets
        return _BoundSettings(**kwargs)
    except PydanticValidationError as exc:
        raise _explain(exc, config_file, file_data, secrets, overrides or {}) from None


def _explain(
    exc: PydanticValidationError,
    config_file: Path | None,
    file_data: Mapping[str, Any],
    secrets: Path | None,
    overrides: Mapping[str, Any],
) -> ConfigurationError:
    lines = []
    first_key: str | None = None
    first_source: str | None = None
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        key = ".".join(loc) if loc else "(settings)"
        source = _source_of(loc, config_file, file_data, secrets, overrides)
        env_name = ENV_PREFIX + "__".join(loc).upper()
        if error["type"] == "missing":
            message = f"{key} is required: set {env_name} or '{key}' in the config file"
        elif error["type"] == "extra_forbidden":
            message = f"{key} is not a known setting"
        else:
            # Never echo the rejected value: it may be a secret.
            message = f"{key} is invalid: {error['msg']}"
        lines.append(f"{message} (source: {source})")
        if first_key is None:
            first_key, first_source = key, source
    return ConfigurationError("; ".join(lines), key=first_key, source=first_source)


def _source_of(
    loc: list[str],
    config_file: Path | None,
    file_data: Mapping[str, Any],
    secrets: Path | None,
    overrides: Mapping[str, Any],
) -> str:
    if not loc:
        return "settings"
    if loc[0] in overrides:
        return "command line"
    env_name = ENV_PREFIX + "__".join(loc).upper()
    if any(name.upper() == env_name for name in os.environ):
        return f"environment variable {env_name}"
    if secrets is not None and (secrets / (ENV_PREFIX + loc[0]).lower()).exists():
        return f"secrets directory {secrets}"
    node: Any = file_data
    for part in loc:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            break
    else:
        return f"config file {config_file}"
    return "default (not set anywhere)"
