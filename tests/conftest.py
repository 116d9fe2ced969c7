"""Fixtures shared by every test package: app, client, runner, a role login and data factories.

The app runs against SQLite always, and also against PostgreSQL when
FRONTLINE_TEST_POSTGRES_URL is set (each run in its own throwaway schema).
FRONTLINE_REQUIRE_POSTGRES=1 / FRONTLINE_REQUIRE_BROWSER=1 turn a missing service into a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get("FRONTLINE_TEST_POSTGRES_URL", "")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def required(service: str) -> bool:
    return os.environ.get(f"FRONTLINE_REQUIRE_{service.upper()}") == "1"


def backends() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    if POSTGRES_URL or required("postgres"):
        params.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))
    return params


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A fresh schema for this test run on the PostgreSQL server, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.fail("FRONTLINE_REQUIRE_POSTGRES=1 but FRONTLINE_TEST_POSTGRES_URL is not set")
    import sqlalchemy as sa

    schema = f"frontline_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable: {error.orig}")
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=backends())
def database_url(request, tmp_path) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("postgres_schema_url")
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


def _scaleout_param():
    return pytest.param(
        "scaleout", marks=[pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
    )


@pytest.fixture(params=["embedded", _scaleout_param()])
def deployment(request, tmp_path):
    """(database URL, server factory) for each deployment shape over real HTTP: embedded
    (SQLite, one gunicorn worker, in-process push) and scaled out (PostgreSQL + Redis, two
    workers)."""
    from tests.servers import GunicornServer

    if request.param == "embedded":
        url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
        return url, lambda app="frontline:create_app()": GunicornServer(url, app=app)
    redis_url = os.environ.get("FRONTLINE_TEST_REDIS_URL")
    if not (POSTGRES_URL and redis_url):
        if required("postgres") or required("redis"):
            pytest.fail(
                "scale-out tests need FRONTLINE_TEST_POSTGRES_URL and FRONTLINE_TEST_REDIS_URL"
            )
        pytest.skip("scale-out needs PostgreSQL and Redis URLs")
    url = request.getfixturevalue("postgres_schema_url")
    prefix = f"frontline:test:{os.getpid()}:{time.monotonic_ns()}:"
    env = {"FRONTLINE_PUSH_REDIS_PREFIX": prefix}
    return url, lambda app="frontline:create_app()": GunicornServer(
        url, redis_url=redis_url, workers=2, env=env, app=app
    )


@pytest.fixture
def app(database_url):
    from frontline import create_app
    from frontline.extensions import db

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        }
    )
    with app.app_context():
        db.create_all()  # tests only; real databases go through migrations
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


class AuthActions:
    """Sign in as a role through the real form (CSRF and all)."""

    def __init__(self, client, app):
        self.client, self.app = client, app

    def login(self, role: str = "host", email: str | None = None, password: str = "pw-for-tests"):
        from tests.factories import make_user

        email = email or f"{role}@example.test"
        with self.app.app_context():
            from frontline.tables import User

            if User.by_email(email) is None:
                make_user(role=role, email=email, password=password)
        return self.post_login(email, password)

    def post_login(self, email: str, password: str):
        token = csrf_from(self.client.get("/login").get_data(as_text=True))
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def csrf_token(self, path: str = "/") -> str:
        return csrf_from(self.client.get(path, follow_redirects=True).get_data(as_text=True))

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf_token()})


@pytest.fixture
def auth(client, app) -> AuthActions:
    return AuthActions(client, app)


@pytest.fixture(scope="session")
def cargo_model_dir(tmp_path_factory):
    """A cargo pricing model trained once per test run on a small demo world."""
    from tests.factories import train_cargo_model

    return train_cargo_model(tmp_path_factory.mktemp("models"), tmp_path_factory.mktemp("world"))


@pytest.fixture
def cargo_world(app, cargo_model_dir, tmp_path):
    """The app with the cargo demo world loaded and its own copy of the trained model."""
    from tests.factories import load_cargo_world

    app.config["MODEL_DIR"] = str(shutil.copytree(cargo_model_dir, tmp_path / "models"))
    with app.app_context():
        load_cargo_world()
    return app
