"""The scoreboard's pages, one implementation for both audiences that read it.

The analyst (`analyst/scoreboard.py`) and the sales lead (`leads/scoreboard.py`) see the same
numbers on the same pages; only who may open them and the side's links differ (`side`)."""

from flask import Response, abort, request

from ..rendering import render
from ..tables import utcnow
from . import charts, funnel
from .board import board


def board_page(side: str):
    filters = funnel.Filters.from_args(request.args)
    return render(
        "analyst/scoreboard.html", block="board", board=board(filters, utcnow()),
        people=funnel.people(filters.audience), side=side,
    )  # fmt: skip


def cards_page(side: str):
    """The cards behind one number: the funnel stage in `?stage=` under the page's filters."""
    filters = funnel.Filters.from_args(request.args)
    stage = request.args.get("stage", "issued")
    found = funnel.cards(filters, stage, utcnow())
    return render(
        "analyst/scoreboard_cards.html", cards=found, stage=stage, filters=filters, side=side
    )


def chart_svg(name: str) -> Response:
    try:
        svg = charts.chart(name, board(funnel.Filters.from_args(request.args), utcnow()))
    except LookupError:
        abort(404)
    return Response(svg, mimetype="image/svg+xml")


def my_numbers_page(audience: str, person_id: int):
    """One person's own funnel on the phone ("My numbers"), over `?days=`."""
    days = request.args.get("days", 30, type=int)
    if days not in funnel.PERIODS:
        abort(400, f"days: one of {', '.join(map(str, funnel.PERIODS))}")
    filters = funnel.Filters(audience=audience, days=days, person=person_id)
    return render("partials/numbers.html", rows=funnel.funnel(filters, utcnow()), days=days)
