"""The shared scoreboard, as the analyst sees it: funnels, dismissals, suggestions, uplift."""

from flask import Response, abort, flash, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..rendering import render, see_other
from ..scoreboard import charts, feedback, funnel
from ..scoreboard.board import board
from ..tables import Role, utcnow
from . import bp


@bp.get("/scoreboard")
@role_required(Role.ANALYST)
def scoreboard():
    filters = funnel.Filters.from_args(request.args)
    return render(
        "analyst/scoreboard.html", block="board", board=board(filters, utcnow()),
        people=funnel.people(filters.audience), side="analyst",
    )  # fmt: skip


@bp.get("/scoreboard/cards")
@role_required(Role.ANALYST)
def scoreboard_cards():
    filters = funnel.Filters.from_args(request.args)
    stage = request.args.get("stage", "issued")
    found = funnel.cards(filters, stage, utcnow())
    return render(
        "analyst/scoreboard_cards.html", cards=found, stage=stage, filters=filters, side="analyst"
    )


@bp.get("/scoreboard/charts/<name>.svg")
@role_required(Role.ANALYST)
def scoreboard_chart(name: str):
    try:
        svg = charts.chart(name, board(funnel.Filters.from_args(request.args), utcnow()))
    except LookupError:
        abort(404)
    return Response(svg, mimetype="image/svg+xml")


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
