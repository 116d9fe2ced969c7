"""The JSON integration API at /api/v1: stable, versioned, documented by OpenAPI."""

from flask import Flask

from ..extensions import api, csrf
from . import auth
from .auth import SECURITY_SCHEME
from .cargo import blp as cargo_blp
from .events import blp as events_blp
from .guests import blp as guests_blp
from .input import decimal_as_string
from .shifts import blp as shifts_blp
from .status import blp as status_blp


def init_app(app: Flask) -> None:
    api.init_app(app)
    converter = api.ma_plugin.converter  # a new spec per init_app: add once per app
    if not any(f.__name__ == decimal_as_string.__name__ for f in converter.attribute_functions):
        converter.add_attribute_function(decimal_as_string)
    auth.init_app(app)
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEME)
    for blp in (status_blp, guests_blp, events_blp, cargo_blp, shifts_blp):
        csrf.exempt(blp)  # bearer tokens, not cookies: no cross-site request can carry them
        api.register_blueprint(blp, url_prefix=f"/api/v1{blp.url_prefix or ''}")
