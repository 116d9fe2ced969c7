"""The shared scoreboard, as the analyst sees it: funnels, dismissals, suggestions, uplift."""

from flask import flash, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..rendering import see_other
from ..scoreboard import feedback, funnel, pages
from ..tables import Role, utcnow
from . import bp


@bp.get("/scoreboard")
@role_required(Role.ANALYST)
def scoreboard():
    return pages.board_page("analyst")


@bp.get("/scoreboard/cards")
@role_required(Role.ANALYST)
def scoreboard_cards():
    return pages.cards_page("analyst")


@bp.get("/scoreboard/charts/<name>.svg")
@role_required(Role.ANALYST)
def scoreboard_chart(name: str):
    return pages.chart_svg(name)


@bp.post("/scoreboard/suggestions/<audience>/<rule>")
@role_required(Role.ANALYST)
def open_suggestion(audience: str, rule: str):
    """Open the suggested edit of RULE as the pack's draft, in the workbench's editor."""
    days = request.form.get("days", 30, type=int)
    found = feedback.pattern(rule, days if days in funnel.PERIODS else 30, utcnow())
    suggestion = feedback.suggest(audience, rule, found) if found else None
    if suggestion is None:
        flash("No suggestion for this rule any more: the dismissals no longer share a pattern.")
        return see_other(url_for("analyst.scoreboard", rule=rule))
    feedback.open_as_draft(suggestion, current_user)
    flash(f"Draft: {rule} now reads {suggestion.after}. Backtest it before publishing.")
    return see_other(url_for("analyst.draft", audience=audience))
