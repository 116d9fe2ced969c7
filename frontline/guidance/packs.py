"""The published rule packs in force, per audience, in every process.

The database holds the published versions (`rulebook`); the YAML files shipped with
`guidance_rules` are the packs in force until a database holds a version of its own (a fresh
test database, say). Every file pack is loaded and checked when the app starts: a broken pack
stops the boot with the engine's message. Each process looks for a newer published version
at most once every `PACK_CHECK_SECONDS` (1 s), so a publish reaches every worker, and the
writer thread, within about a second, without a restart.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import SQLAlchemyError

import guidance_rules

from ..extensions import db
from ..tables import PackVersion, RulePack
from ..tables.packs import RUNNING

DEFAULT_PACKS = Path(guidance_rules.__file__).resolve().parent / "packs"
log = logging.getLogger(__name__)


class PackShelf:
    """The pack in force per audience: the newest published version, else the shipped file."""

    def __init__(self, directory: Path, check_seconds: float = 1.0) -> None:
        self.directory = directory
        self.check_seconds = check_seconds
        self._files = {path.stem: _load(path) for path in sorted(directory.glob("*.yaml"))}
        self._published: dict[str, tuple[int, guidance_rules.Pack]] = {}
        self._checked: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def audiences(self) -> list[str]:
        return sorted(set(self._files) | set(self._published))

    def get(self, audience: str) -> guidance_rules.Pack:
        if time.monotonic() - self._checked.get(audience, -1e9) >= self.check_seconds:
            self._refresh(audience)
        if audience in self._published:
            return self._published[audience][1]
        try:
            return self._files[audience]
        except KeyError:
            raise LookupError(f"no published pack for {audience!r} in {self.directory}") from None

    def forget(self, audience: str) -> None:
        """Look for a newer version on the next get (this process just published one)."""
        self._checked.pop(audience, None)

    def _refresh(self, audience: str) -> None:
        with self._lock:
            self._checked[audience] = time.monotonic()
            try:  # its own connection: never part of (or a risk to) the caller's transaction
                with db.engine.connect() as connection:
                    newest = connection.execute(_newest(), {"audience": audience}).scalar()
                    if newest is None or newest == self._number(audience):
                        return
                    rows = connection.execute(_versions(), {"audience": audience}).all()
            except SQLAlchemyError:  # no pack tables yet (a database before its migration)
                return
            for number, text in rows:
                if number == self._number(audience):
                    return  # nothing newer checks: the version in force keeps serving
                try:
                    pack = guidance_rules.pack_from_yaml(text, name=f"{audience} v{number}")
                    self._published[audience] = (number, pack)
                    return
                except guidance_rules.RuleError as error:  # e.g. after a vocabulary change
                    log.error("%s pack version %s no longer checks: %s", audience, number, error)

    def _number(self, audience: str) -> int | None:
        return self._published.get(audience, (None, None))[0]


@functools.cache  # built once: it runs once a second per audience per process
def _newest():
    return (
        select(func.max(PackVersion.number))
        .join(RulePack, RulePack.id == PackVersion.pack_id)
        .where(RulePack.audience == bindparam("audience"), PackVersion.signoff.in_(RUNNING))
    )


@functools.cache
def _versions():
    """Newest first: the first that still checks is the one in force."""
    return (
        select(PackVersion.number, PackVersion.text)
        .join(RulePack, RulePack.id == PackVersion.pack_id)
        .where(RulePack.audience == bindparam("audience"), PackVersion.signoff.in_(RUNNING))
        .order_by(PackVersion.number.desc())
        .limit(20)
    )


def _load(path: Path) -> guidance_rules.Pack:
    stat = path.stat()
    return _load_checked(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _load_checked(path: Path, _mtime_ns: int, _size: int) -> guidance_rules.Pack:
    """Parse and check a pack file; an edited file (new mtime or size) is read again."""
    return guidance_rules.load_pack(path)


def init_app(app: Flask) -> None:
    """Load and check every file pack now: a broken pack stops the boot with its message."""
    directory = Path(app.config.get("RULE_PACK_DIR") or DEFAULT_PACKS)
    seconds = float(app.config.get("PACK_CHECK_SECONDS", 1.0))
    app.extensions["guidance_packs"] = PackShelf(directory, seconds)


def shelf() -> PackShelf:
    return current_app.extensions["guidance_packs"]


def published_pack(audience: str) -> guidance_rules.Pack:
    """The pack in force for an audience (host or rep)."""
    return shelf().get(audience)


def published_packs() -> list[guidance_rules.Pack]:
    """Every pack in force, by audience."""
    return [shelf().get(audience) for audience in shelf().audiences]
