"""The JSON integration API at /api/v1: stable, versioned, documented by OpenAPI."""

from flask import Flask

from ..extensions import api, csrf
from . import auth
from .auth import SECURITY_SCHEME
from .cargo import blp as cargo_blp
from .events import blp as events_blp
from .guests import blp as guests_blp
from .status import blp as status_blp


def init_app(app: Flask) -> None:
    api.init_app(app)
    auth.init_app(app)
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEME)
    for blp in (status_blp, guests_blp, events_blp, cargo_blp):
        csrf.exempt(blp)  # bearer tokens, not cookies: no cross-site request can carry them
        api.register_blueprint(blp, url_prefix=f"/api/v1{blp.url_prefix or ''}")
