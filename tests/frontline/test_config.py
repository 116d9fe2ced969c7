"""Configuration: environment variables, production refusals."""

import pytest

from frontline import create_app
from frontline.config import ConfigError, from_environment


def test_defaults_to_sqlite_in_instance(tmp_path):
    config = from_environment(str(tmp_path), environ={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'frontline.sqlite3'}"
    assert config["REDIS_URL"] is None
    assert config["SESSION_COOKIE_SECURE"] is False


def test_environment_overrides(tmp_path):
    env = {
        "FRONTLINE_DATABASE_URL": "postgresql+psycopg://x@h/db",
        "FRONTLINE_REDIS_URL": "redis://127.0.0.1:6379/0",
        "FRONTLINE_HTMX_CDN": "1",
    }
    config = from_environment(str(tmp_path), environ=env)
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://x@h/db"
    assert config["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert config["HTMX_FROM_CDN"] is True


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (None, "FRONTLINE_SECRET_KEY is not set"),
        ("", "FRONTLINE_SECRET_KEY is not set"),
        ("short", "FRONTLINE_SECRET_KEY is weak"),
        ("dev", "FRONTLINE_SECRET_KEY is weak"),
    ],
)
def test_production_refuses_weak_secret(monkeypatch, secret, message):
    monkeypatch.setenv("FRONTLINE_ENV", "production")
    if secret is None:
        monkeypatch.delenv("FRONTLINE_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("FRONTLINE_SECRET_KEY", secret)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_production_refuses_debug(monkeypatch):
    monkeypatch.setenv("FRONTLINE_ENV", "production")
    monkeypatch.setenv("FRONTLINE_SECRET_KEY", "x" * 48)
    monkeypatch.setenv("FRONTLINE_DEBUG", "1")
    with pytest.raises(ConfigError, match="FRONTLINE_DEBUG is on"):
        create_app()


def test_production_with_strong_secret_starts_with_secure_cookies(monkeypatch):
    monkeypatch.setenv("FRONTLINE_ENV", "production")
    monkeypatch.setenv("FRONTLINE_SECRET_KEY", "k3" * 24)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
