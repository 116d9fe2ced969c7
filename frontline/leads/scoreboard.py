"""The shared scoreboard, as a sales lead sees it: the analyst's page and numbers, read-only."""

from flask import Response, abort, request

from ..auth import lead_required
from ..rendering import render
from ..scoreboard import charts, funnel
from ..scoreboard.board import board
from ..tables import utcnow
from . import bp


def _filters() -> funnel.Filters:
    try:
        return funnel.Filters.from_args(request.args)
    except funnel.FilterError as error:
        abort(400, f"Scoreboard filter {error}.")


@bp.get("/scoreboard")
@lead_required
def scoreboard():
    filters = _filters()
    return render(
        "analyst/scoreboard.html", block="board", board=board(filters, utcnow()),
        people=funnel.people(filters.audience), side="leads",
    )  # fmt: skip


@bp.get("/scoreboard/cards")
@lead_required
def scoreboard_cards():
    filters, stage = _filters(), request.args.get("stage", "issued")
    try:
        found = funnel.cards(filters, stage, utcnow())
    except funnel.FilterError as error:
        abort(400, f"Scoreboard filter {error}.")
    return render(
        "analyst/scoreboard_cards.html", cards=found, stage=stage, filters=filters, side="leads"
    )


@bp.get("/scoreboard/charts/<name>.svg")
@lead_required
def scoreboard_chart(name: str):
    try:
        svg = charts.chart(name, board(_filters(), utcnow()))
    except LookupError:
        abort(404)
    return Response(svg, mimetype="image/svg+xml")
