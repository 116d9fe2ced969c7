"""Sales leads: sign off marketing's changes to their team's rule pack; the shared scoreboard."""

from flask import Blueprint

bp = Blueprint("leads", __name__, url_prefix="/leads")

from . import plan, scoreboard, views  # noqa: E402,F401
