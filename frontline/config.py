"""Configuration from FRONTLINE_* environment variables, checked once at start-up."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

#: Secrets that have been seen in tutorials and must never guard a real deployment.
WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "password", "frontline", "demo"}
MIN_SECRET_LENGTH = 32
#: A host card expires within a week at the latest (a longer limit is a typo, not a policy).
MAX_EXPIRE_HOURS = 168


class ConfigError(RuntimeError):
    """The configuration cannot run: the message says which setting and why."""


def flask_threads(env: Mapping[str, str]) -> tuple[int, int]:
    """Each worker's Flask threads: (pages and fragments, the JSON API). Streams need none."""
    return _count(env, "FRONTLINE_THREADS", 16), _count(env, "FRONTLINE_API_THREADS", 8)


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"{name}: {text!r} is not a whole number of 1 or more")
    return int(text)


def engine_options(url: str, env: Mapping[str, str]) -> dict[str, Any]:
    """A database connection for every thread that may hold one at once: each Flask thread,
    the event writer and the scheduler. SQLAlchemy's default (5, plus 10 opened and closed
    again as needed) made threads wait for a connection under load, and made PostgreSQL
    start a backend process for each one opened. The pool opens connections as they are
    first needed; PostgreSQL's max_connections must cover workers x (pool + overflow).
    An in-memory SQLite database (tests) is one shared connection: nothing to size."""
    if url in ("sqlite://", "sqlite:///:memory:"):
        return {}
    pages, api = flask_threads(env)
    size = _count(env, "FRONTLINE_DATABASE_POOL_SIZE", pages + api + 2)
    return {"pool_size": size, "max_overflow": 4}


#: What a yes/no setting may say.
ON, OFF = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def writer_process(env: Mapping[str, str]) -> bool:
    """FRONTLINE_WRITER_PROCESS: does each gunicorn worker store floor events in a process of
    its own (casino/writer.py)? Unset: yes with FRONTLINE_REDIS_URL (several workers share the
    box's cores with their writers: measured faster), no without (one worker, whose writer
    thread measured better under overload than a process competing with it for the cores)."""
    text = env.get("FRONTLINE_WRITER_PROCESS", "").strip().lower()
    if text and text not in ON | OFF:
        raise ConfigError(f"FRONTLINE_WRITER_PROCESS: {text!r} is not 1 or 0")
    return text in ON or (not text and bool(env.get("FRONTLINE_REDIS_URL", "").strip()))


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ON


def lane_costs(text: str | None) -> dict[str, Decimal]:
    """`LANE=dollars` pairs, comma-separated; `*` is every other lane. Empty: none given."""
    costs = {}
    for pair in filter(None, (p.strip() for p in (text or "").split(","))):
        lane, _, amount = pair.partition("=")
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            value = Decimal(-1)
        if not lane.strip() or not value.is_finite() or value < 0:
            raise ConfigError(f"FRONTLINE_CARGO_COST_PER_KG: {pair!r} is not LANE=dollars per kg")
        costs[lane.strip()] = value
    return costs


def expire_hours(text: str | None, default: float) -> float:
    """FRONTLINE_CARD_EXPIRE_HOURS: hours, more than 0 and at most a week. Empty: DEFAULT."""
    if not (text or "").strip():
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_EXPIRE_HOURS:
        raise ConfigError(
            f"FRONTLINE_CARD_EXPIRE_HOURS: {text!r} is not a number of hours "
            f"above 0 and at most {MAX_EXPIRE_HOURS}"
        )
    return value


def vapid_keys(instance_path: str, env: Mapping[str, str]) -> dict[str, str]:
    """FRONTLINE_VAPID_* variables, else instance/vapid.json (as `frontline push keys` writes)."""
    keys = {
        "VAPID_PRIVATE_KEY": env.get("FRONTLINE_VAPID_PRIVATE_KEY", ""),
        "VAPID_PUBLIC_KEY": env.get("FRONTLINE_VAPID_PUBLIC_KEY", ""),
        "VAPID_SUBJECT": env.get("FRONTLINE_VAPID_SUBJECT", "mailto:ops@frontline.invalid"),
    }
    stored = Path(instance_path) / "vapid.json"
    if not keys["VAPID_PRIVATE_KEY"] and stored.is_file():
        try:
            pair = json.loads(stored.read_text())
            keys["VAPID_PRIVATE_KEY"], keys["VAPID_PUBLIC_KEY"] = (
                pair["private_key"],
                pair["public_key"],
            )
        except (ValueError, KeyError) as error:
            raise ConfigError(f"{stored}: not a VAPID key pair ({error})") from None
    return keys


def from_environment(
    instance_path: str, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Build the Flask config mapping from FRONTLINE_* variables."""
    env = os.environ if environ is None else environ
    mode = env.get("FRONTLINE_ENV", "development").strip().lower()
    sqlite_path = Path(instance_path) / "frontline.sqlite3"
    production = mode == "production"
    secure_cookies = production or _flag(env.get("FRONTLINE_SECURE_COOKIES"))
    return {
        "ENV_MODE": mode,
        "DEBUG": _flag(env.get("FRONTLINE_DEBUG")),
        "SECRET_KEY": env.get("FRONTLINE_SECRET_KEY")
        or ("" if production else "dev-only-insecure"),
        "SQLALCHEMY_DATABASE_URI": env.get("FRONTLINE_DATABASE_URL", f"sqlite:///{sqlite_path}"),
        "REDIS_URL": env.get("FRONTLINE_REDIS_URL") or None,
        "HTMX_FROM_CDN": _flag(env.get("FRONTLINE_HTMX_CDN")),
        "MODEL_DIR": env.get("FRONTLINE_MODEL_DIR", str(Path(instance_path) / "models")),
        "SESSION_COOKIE_SECURE": secure_cookies,
        # __Host-: the browser keeps it only if Secure, for this host alone and Path=/.
        "SESSION_COOKIE_NAME": "__Host-session" if secure_cookies else "session",
        "SESSION_COOKIE_PATH": "/",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "PUSH_REDIS_PREFIX": env.get("FRONTLINE_PUSH_REDIS_PREFIX", "frontline:push:"),
        "PUSH_HEARTBEAT_SECONDS": float(env.get("FRONTLINE_PUSH_HEARTBEAT_SECONDS", "15")),
        # How often a process looks for a newly published rule pack version.
        "PACK_CHECK_SECONDS": float(env.get("FRONTLINE_PACK_CHECK_SECONDS", "1")),
        # The resort's clock: shifts are typed and shown in it, stored in UTC (IANA name).
        "PROPERTY_TIMEZONE": env.get("FRONTLINE_TIMEZONE", "UTC"),
        "ESCALATE_AFTER_MINUTES": int(env.get("FRONTLINE_ESCALATE_MINUTES", "5")),
        # A host card outlives its guest's visit: still open this long after it came in, it expires.
        "CARD_EXPIRE_AFTER_HOURS": expire_hours(env.get("FRONTLINE_CARD_EXPIRE_HOURS"), 12),
        # Who approves a quote below the floor or above LARGE_DEAL_USD (issue 6).
        "APPROVAL_ROLE": env.get("FRONTLINE_APPROVAL_ROLE", "analyst"),
        "LARGE_DEAL_USD": int(env.get("FRONTLINE_LARGE_DEAL_USD", "2000000")),
        # Variable cost per chargeable kg by lane ("FRA-DXB=0.36,*=0.40"; docs/models.md).
        "CARGO_COST_PER_KG": lane_costs(env.get("FRONTLINE_CARGO_COST_PER_KG")),
        "WEBHOOK_SECRET": env.get("FRONTLINE_WEBHOOK_SECRET") or None,
        # How long a worker trusts an API token it has checked (a revocation takes this long).
        "API_TOKEN_CACHE_SECONDS": float(env.get("FRONTLINE_API_TOKEN_CACHE_SECONDS", "5")),
        # How far ahead of our clock an event may be (the sender's clock skew), in seconds.
        "EVENT_MAX_FUTURE_SECONDS": float(env.get("FRONTLINE_EVENT_MAX_FUTURE_SECONDS", "300")),
        # A host's shift: signed out after 2 idle hours, and 12 hours after signing in at most.
        "SESSION_IDLE_MINUTES": float(env.get("FRONTLINE_SESSION_IDLE_MINUTES", "120")),
        "SESSION_MAX_HOURS": float(env.get("FRONTLINE_SESSION_MAX_HOURS", "12")),
        "LOGIN_MAX_FAILURES": int(env.get("FRONTLINE_LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCKOUT_MINUTES": int(env.get("FRONTLINE_LOGIN_LOCKOUT_MINUTES", "15")),
        # One address guessing many accounts, and one account guessed from many addresses.
        "LOGIN_MAX_CLIENT_FAILURES": int(env.get("FRONTLINE_LOGIN_MAX_CLIENT_FAILURES", "30")),
        "LOGIN_MAX_ACCOUNT_FAILURES": int(env.get("FRONTLINE_LOGIN_MAX_ACCOUNT_FAILURES", "50")),
        "LOGIN_ACCOUNT_WINDOW_MINUTES": int(
            env.get("FRONTLINE_LOGIN_ACCOUNT_WINDOW_MINUTES", "60")
        ),
        # How many reverse proxies (nginx, a load balancer) stand in front and set
        # X-Forwarded-For/-Proto/-Host. 0 trusts none: a client cannot spoof its address.
        "PROXY_HOPS": int(env.get("FRONTLINE_PROXY_HOPS", "0")),
        # Web Push (VAPID, RFC 8292): `frontline push keys` makes a pair; the demo writes
        # instance/vapid.json, read when the variables are not set. No keys: no lock-screen push.
        **vapid_keys(instance_path, env),
        "API_TITLE": "Frontline API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }


def check(config: Mapping[str, Any]) -> None:
    """Refuse an unknown time zone, and production with a weak secret or debug on."""
    zone = config.get("PROPERTY_TIMEZONE", "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"FRONTLINE_TIMEZONE: {zone!r} is not an IANA time zone like America/Las_Vegas"
        ) from None
    if config.get("ENV_MODE") != "production":
        return
    secret = config.get("SECRET_KEY") or ""
    if not secret:
        raise ConfigError("FRONTLINE_SECRET_KEY is not set; production needs a random secret")
    if len(secret) < MIN_SECRET_LENGTH or secret.lower() in WEAK_SECRETS:
        raise ConfigError(
            f"FRONTLINE_SECRET_KEY is weak: use at least {MIN_SECRET_LENGTH} random characters "
            '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
        )
    if config.get("DEBUG"):
        raise ConfigError("FRONTLINE_DEBUG is on; the debugger must never run in production")


def init_app(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Environment first, then the caller's mapping (tests); refuse a config unfit to run."""
    app.config.from_mapping(from_environment(app.instance_path))
    if overrides:
        app.config.from_mapping(overrides)
    check(app.config)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(url, os.environ))
    if url.startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
