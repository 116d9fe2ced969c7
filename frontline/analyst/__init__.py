"""The marketing analyst's desk: rules, backtests and outcomes."""

from flask import Blueprint

bp = Blueprint("analyst", __name__, url_prefix="/analyst")

from . import approvals, packs, scoreboard, views  # noqa: E402,F401
