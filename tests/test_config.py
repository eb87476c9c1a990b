"""Configuration: file, environment, secrets directory; every error names the key and its source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.config import load_settings
from connector.errors import ConfigurationError
from jobs.cli import main


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("ENAIO_") or name == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(name, raising=False)


def test_precedence_env_over_secrets_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "enaio.toml"
    config.write_text(
        'url = "https://file.example:8443/"\ninterface = "soap"\nusername = "svc"\npassword = "from-file"\n'
        "[retry]\nmax_attempts = 3\n",
        encoding="utf-8",
    )
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "enaio_password").write_text("from-secrets", encoding="utf-8")
    monkeypatch.setenv("ENAIO_INTERFACE", "osrest")

    settings = load_settings(config, secrets_dir=secrets)

    assert settings.url == "https://file.example:8443"
    assert settings.interface == "osrest"
    assert settings.password is not None
    assert settings.password.get_secret_value() == "from-secrets"
    assert settings.retry.max_attempts == 3
    assert settings.endpoint() == "https://file.example:8443/osrest/api"
    assert settings.endpoint("soap") == "https://file.example:8443/osws/services/EcmWsMtom"
    assert "from-secrets" not in repr(settings)
    assert "from-secrets" not in settings.model_dump_json()


def test_enaio_section_and_per_interface_path_override(tmp_path: Path) -> None:
    config = tmp_path / "enaio.toml"
    config.write_text(
        '[enaio]\nurl = "http://gw.example/enaio"\ndms_path = "https://other.example/dms-gateway/"\n',
        encoding="utf-8",
    )
    settings = load_settings(config)
    assert settings.endpoint("dms") == "https://other.example/dms-gateway"
    assert settings.endpoint("osrest") == "http://gw.example/enaio/osrest/api"


def test_credentials_directory_from_systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "enaio_password").write_text("pw-from-systemd\n", encoding="utf-8")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    monkeypatch.setenv("ENAIO_URL", "http://h")
    settings = load_settings()
    assert settings.password is not None
    assert settings.password.get_secret_value().strip() == "pw-from-systemd"


def test_tls_settings(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    assert load_settings(overrides={"url": "https://h"}).tls_verify() is True
    assert load_settings(overrides={"url": "https://h", "ca_bundle": bundle}).tls_verify() == str(bundle)
    assert load_settings(overrides={"url": "https://h", "verify_tls": False}).tls_verify() is False


@pytest.mark.parametrize(
    ("env", "key", "source"),
    [
        ({}, "url", "not set"),
        ({"ENAIO_URL": "ftp://h"}, "url", "ENAIO_URL"),
        ({"ENAIO_URL": "http://h", "ENAIO_INTERFACE": "corba"}, "interface", "ENAIO_INTERFACE"),
        ({"ENAIO_URL": "http://h", "ENAIO_TIMEZONE": "Mars/Olympus"}, "timezone", "ENAIO_TIMEZONE"),
        ({"ENAIO_URL": "http://h", "ENAIO_READ_TIMEOUT": "-1"}, "read_timeout", "ENAIO_READ_TIMEOUT"),
        ({"ENAIO_URL": "http://h", "ENAIO_CA_BUNDLE": "/no/such/ca.pem"}, "ca_bundle", "ENAIO_CA_BUNDLE"),
    ],
)
def test_bad_settings_name_key_and_source(
    env: dict[str, str], key: str, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert info.value.key == key
    assert key in str(info.value)
    assert source in str(info.value)


def test_bad_value_in_file_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "enaio.toml"
    config.write_text('url = "http://h"\nverify_tls = "sometimes"\nunknown_key = 1\n', encoding="utf-8")
    with pytest.raises(ConfigurationError) as info:
        load_settings(config)
    message = str(info.value)
    assert "verify_tls" in message
    assert f"config file {config}" in message
    assert "unknown_key is not a known setting" in message


def test_secret_value_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENAIO_URL", "http://h")
    monkeypatch.setenv("ENAIO_RETRY__MAX_ATTEMPTS", "Canary-Secret-4711")
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert "Canary-Secret-4711" not in str(info.value)
    assert "retry.max_attempts" in str(info.value)


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('url = "http://h"\ninterface = \n', encoding="utf-8")
    with pytest.raises(ConfigurationError) as info:
        load_settings(config)
    assert str(config) in str(info.value)
    assert "line 2" in str(info.value)
    assert info.value.key == "--config"


def test_missing_secrets_dir(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="secrets directory"):
        load_settings(overrides={"url": "http://h"}, secrets_dir=tmp_path / "nope")


# --- through the CLI: exit code 2, one line, no traceback -------------------------------------------------


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_cli_missing_url_exits_2_naming_key() -> None:
    code, output = _run(["config", "show"])
    assert code == 2
    assert "url is required" in output
    assert "ENAIO_URL" in output
    assert "Traceback" not in output


def test_cli_bad_interface_exits_2_naming_key() -> None:
    code, output = _run(["config", "show"], env={"ENAIO_URL": "http://h", "ENAIO_INTERFACE": "ftp"})
    assert code == 2
    assert "interface is invalid" in output
    assert "environment variable ENAIO_INTERFACE" in output
    assert "Traceback" not in output


def test_cli_unreadable_file_exits_2(tmp_path: Path) -> None:
    code, output = _run(["config", "show", "--config", str(tmp_path / "missing.toml")])
    assert code == 2
    assert "cannot read config file" in output
    directory = tmp_path / "enaio.toml"
    directory.mkdir()  # unreadable as a file, even for root
    code, output = _run(["config", "show", "--config", str(directory)])
    assert code == 2
    assert "--config" in output
    garbage = tmp_path / "binary.toml"
    garbage.write_bytes(b"\xff\xfe\x00url")
    code, output = _run(["config", "show", "--config", str(garbage)])
    assert code == 2
    assert f"config file {garbage} is not valid TOML" in output
    assert "Traceback" not in output


def test_cli_show_masks_secrets(tmp_path: Path) -> None:
    code, output = _run(
        ["config", "show"],
        env={"ENAIO_URL": "http://h:8080", "ENAIO_PASSWORD": "Canary-Pw-0815", "ENAIO_USERNAME": "svc"},
    )
    assert code == 0, output
    data = json.loads(output)
    assert data["password"] == "**********"
    assert data["endpoint"] == "http://h:8080/api/dms"
    assert "Canary-Pw-0815" not in output


def test_web_client_url_for_open_in_enaio_links() -> None:
    plain = load_settings(overrides={"url": "https://enaio.example:8443/"})
    assert plain.web_client() == "https://enaio.example:8443"  # default: the server url
    own = load_settings(
        overrides={"url": "https://enaio.example:8443", "web_client_url": "https://web.example/"}
    )
    assert own.web_client() == "https://web.example"
    with pytest.raises(ConfigurationError, match="web_client_url is invalid") as caught:
        load_settings(overrides={"url": "https://enaio.example", "web_client_url": "web.example"})
    assert caught.value.key == "web_client_url"
