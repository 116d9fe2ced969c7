"""Configuration: environment variables, production refusals."""

import pytest

from frontline import create_app
from frontline.config import ConfigError, from_environment, writer_process
from frontline.extensions import db


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


def test_the_database_pool_has_a_connection_for_every_thread(monkeypatch, tmp_path):
    """Every Flask thread, the event writer and the scheduler may hold a connection at once:
    none of them waits for one, and none is opened and closed again per request."""
    monkeypatch.setenv("FRONTLINE_THREADS", "10")
    monkeypatch.setenv("FRONTLINE_API_THREADS", "6")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/pool.sqlite3"})
    with app.app_context():
        assert db.engine.pool.size() == 10 + 6 + 2
    monkeypatch.setenv("FRONTLINE_DATABASE_POOL_SIZE", "40")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/pool.sqlite3"})
    with app.app_context():
        assert db.engine.pool.size() == 40


@pytest.mark.parametrize("value", ["0", "-2", "many", "1.5"])
def test_a_thread_count_that_is_not_a_count_is_named(monkeypatch, value):
    monkeypatch.setenv("FRONTLINE_API_THREADS", value)
    with pytest.raises(ConfigError, match=f"FRONTLINE_API_THREADS: '{value}' is not a whole"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.sqlite3"})


@pytest.mark.parametrize(
    ("setting", "redis", "expected"),
    [("", "redis://r", True), ("", "", False), ("1", "", True), ("yes", "", True),
     ("0", "redis://r", False), ("off", "redis://r", False)],
)  # fmt: skip
def test_the_writer_process_is_on_with_redis_unless_set(setting, redis, expected):
    env = {"FRONTLINE_WRITER_PROCESS": setting, "FRONTLINE_REDIS_URL": redis}
    assert writer_process(env) is expected


def test_a_writer_process_setting_that_is_not_a_switch_names_itself():
    with pytest.raises(ConfigError, match="FRONTLINE_WRITER_PROCESS: 'maybe' is not 1 or 0"):
        writer_process({"FRONTLINE_WRITER_PROCESS": "maybe"})
