"""The marketing analyst's desk: rules, backtests and outcomes."""

from flask import Blueprint

bp = Blueprint("analyst", __name__, url_prefix="/analyst")

from . import approvals, contacts, evaluations, packs, rule_editor, scoreboard, views  # noqa: E402,F401
