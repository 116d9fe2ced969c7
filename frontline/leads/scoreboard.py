"""The shared scoreboard, as a sales lead sees it: the analyst's page and numbers, read-only."""

from flask import Response, abort, request

from ..auth import lead_required
from ..rendering import render
from ..scoreboard import charts, funnel
from ..scoreboard.board import board
from ..tables import utcnow
from . import bp


@bp.get("/scoreboard")
@lead_required
def scoreboard():
    filters = funnel.Filters.from_args(request.args)
    return render(
        "analyst/scoreboard.html", block="board", board=board(filters, utcnow()),
        people=funnel.people(filters.audience), side="leads",
    )  # fmt: skip


@bp.get("/scoreboard/cards")
@lead_required
def scoreboard_cards():
    filters = funnel.Filters.from_args(request.args)
    stage = request.args.get("stage", "issued")
    found = funnel.cards(filters, stage, utcnow())
    return render(
        "analyst/scoreboard_cards.html", cards=found, stage=stage, filters=filters, side="leads"
    )


@bp.get("/scoreboard/charts/<name>.svg")
@lead_required
def scoreboard_chart(name: str):
    try:
        svg = charts.chart(name, board(funnel.Filters.from_args(request.args), utcnow()))
    except LookupError:
        abort(404)
    return Response(svg, mimetype="image/svg+xml")
