"""The shared scoreboard, as a sales lead sees it: the analyst's page and numbers, read-only."""

from ..auth import lead_required
from ..scoreboard import pages
from . import bp


@bp.get("/scoreboard")
@lead_required
def scoreboard():
    return pages.board_page("leads")


@bp.get("/scoreboard/cards")
@lead_required
def scoreboard_cards():
    return pages.cards_page("leads")


@bp.get("/scoreboard/charts/<name>.svg")
@lead_required
def scoreboard_chart(name: str):
    return pages.chart_svg(name)
