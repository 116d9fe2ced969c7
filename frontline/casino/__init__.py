"""The casino resort's services: floor events, guest facts, routing to hosts, escalation.

Views in `frontline.host` and `frontline.api` call these; nothing here imports a view or the
cargo package.
"""

from flask import Flask

from . import intake

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    intake.init_app(app)
