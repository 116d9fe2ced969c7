"""Engine settings that differ between the embedded SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.types import TypeDecorator

from .extensions import db


def init_app(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _tune_sqlite)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the push stream read while a request writes; foreign keys are off by default.
    # In WAL mode synchronous=NORMAL never corrupts the database and survives an app crash;
    # a power cut may lose the last commits. Deployments that need more use PostgreSQL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write our exact-value column types into migrations as their plain storage type.

    A migration must not import app code that will change after it is written.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl_instance
        return f"sa.{impl!r}"
    return False
