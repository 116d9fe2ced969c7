"""The published rule packs, loaded and checked once per process."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, current_app

import guidance_rules

DEFAULT_PACKS = Path(guidance_rules.__file__).resolve().parent / "packs"


class PackShelf:
    """Holds one compiled pack per audience; a pack is parsed and checked on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._packs: dict[str, guidance_rules.Pack] = {}
        self._lock = threading.Lock()

    def get(self, audience: str) -> guidance_rules.Pack:
        with self._lock:
            if audience not in self._packs:
                self._packs[audience] = guidance_rules.load_pack(
                    self.directory / f"{audience}.yaml"
                )
            return self._packs[audience]


def init_app(app: Flask) -> None:
    directory = Path(app.config.get("RULE_PACK_DIR") or DEFAULT_PACKS)
    app.extensions["guidance_packs"] = PackShelf(directory)


def published_pack(audience: str) -> guidance_rules.Pack:
    """The pack in force for an audience (host or rep)."""
    return current_app.extensions["guidance_packs"].get(audience)
