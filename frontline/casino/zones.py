"""The floor's zones by code: read by nearly every arrival and inbox, changed almost never.

Each app keeps the code -> name map for ZONE_CACHE_SECONDS. A code missing from the map is
looked up again (at most every RECHECK_SECONDS), so a zone added a moment ago is known
almost at once; a renamed or removed zone is seen within the cache time.
"""

from __future__ import annotations

import threading
import time

from flask import Flask, current_app
from sqlalchemy import select

from ..extensions import db
from ..tables import Zone

DEFAULT_SECONDS = 30.0
#: A code not in the map is looked up again at most this often (bad codes cannot make every
#: event reload the table).
RECHECK_SECONDS = 0.1


class ZoneBook:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._names: dict[str, str] = {}
        self._read_at = float("-inf")
        self._lock = threading.Lock()  # guards the swap only: the query runs outside it

    def names(self, *, missing: str | None = None) -> dict[str, str]:
        """Every zone's name by code; re-read when stale or when MISSING is not among them."""
        with self._lock:
            names, age = self._names, time.monotonic() - self._read_at
        unknown = missing is not None and missing not in names
        if age >= self.seconds or (unknown and age >= RECHECK_SECONDS):
            names = dict(db.session.execute(select(Zone.code, Zone.name)).all())
            with self._lock:
                self._names, self._read_at = names, time.monotonic()
        return names


def init_app(app: Flask) -> None:
    app.extensions["zones"] = ZoneBook(float(app.config.get("ZONE_CACHE_SECONDS", DEFAULT_SECONDS)))


def _book() -> ZoneBook:
    return current_app.extensions["zones"]


def zone_names() -> dict[str, str]:
    return _book().names()


def is_zone(code: str) -> bool:
    return code in _book().names(missing=code)


def zone_name(code: str) -> str:
    """The zone's display name, or the code itself for a zone Frontline does not know."""
    return _book().names(missing=code).get(code, code)
