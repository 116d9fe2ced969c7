"""Facts plus the published rule packs make cards; cards are routed, pushed and acted on.

This package joins `guidance_rules` (pure evaluation) with the database and the push layer.
"""

from flask import Flask

from . import packs
from .packs import published_pack

__all__ = ["init_app", "published_pack"]


def init_app(app: Flask) -> None:
    packs.init_app(app)
