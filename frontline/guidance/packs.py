"""The published rule packs, loaded and checked once per process, when the app starts."""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Flask, current_app

import guidance_rules

DEFAULT_PACKS = Path(guidance_rules.__file__).resolve().parent / "packs"


class PackShelf:
    """Holds one compiled pack per audience, every one checked before the app serves."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._packs = {path.stem: _load(path) for path in sorted(directory.glob("*.yaml"))}

    @property
    def audiences(self) -> list[str]:
        return sorted(self._packs)

    def get(self, audience: str) -> guidance_rules.Pack:
        try:
            return self._packs[audience]
        except KeyError:
            raise LookupError(f"no published pack for {audience!r} in {self.directory}") from None


def _load(path: Path) -> guidance_rules.Pack:
    stat = path.stat()
    return _load_checked(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _load_checked(path: Path, _mtime_ns: int, _size: int) -> guidance_rules.Pack:
    """Parse and check a pack file; an edited file (new mtime or size) is read again."""
    return guidance_rules.load_pack(path)


def init_app(app: Flask) -> None:
    """Load and check every pack now: a broken pack stops the boot with the engine's message."""
    directory = Path(app.config.get("RULE_PACK_DIR") or DEFAULT_PACKS)
    app.extensions["guidance_packs"] = PackShelf(directory)


def published_pack(audience: str) -> guidance_rules.Pack:
    """The pack in force for an audience (host or rep)."""
    return current_app.extensions["guidance_packs"].get(audience)


def published_packs() -> list[guidance_rules.Pack]:
    """Every pack in force, by audience."""
    shelf = current_app.extensions["guidance_packs"]
    return [shelf.get(audience) for audience in shelf.audiences]
