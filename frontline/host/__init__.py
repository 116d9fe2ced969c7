"""The host's phone: arrival alerts and their guests."""

from flask import Blueprint

bp = Blueprint("host", __name__, url_prefix="/host")

from . import market_views, numbers, views  # noqa: E402,F401
