"""The scoreboard's charts: SVG drawn on the server by pygal, with a title and a description
for screen readers, no script, and at most LIMIT bytes each."""

from __future__ import annotations

import re
from collections import Counter
from xml.sax.saxutils import escape

import pygal
from pygal.style import Style

from ..guidance.actions import REASONS
from .funnel import Row
from .uplift import Uplift

LIMIT = 15_000
STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1d2b36",
    foreground_strong="#0f2a3d",
    foreground_subtle="#5b6b78",
    colors=("#1f6f8b", "#e07a1f", "#5a9e4b", "#b8405e", "#7d5ba6", "#8c8c8c"),
    font_family="system-ui, sans-serif",
    title_font_size=16,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
)
OPTIONS = {
    "style": STYLE,
    "js": [],  # no script: the page's policy allows none, and a chart needs none
    "disable_xml_declaration": True,
    "show_y_guides": True,
    "width": 640,
    "height": 340,
    "legend_at_bottom": True,
    "print_values": False,
    "explicit_size": False,
    "no_prefix": True,  # one chart per document (served as an image): no id in every selector
    "css": [],  # pygal's base styles and our colours only; its tooltip styles serve no script
}
#: What pygal writes for its script's tooltips (positions), and coordinates to 0.1 px.
_TOOLTIP_POSITIONS = re.compile(r'<desc class="(?:x|y)(?: centered)?">[^<]*</desc>')
#: pygal's config for its script, and its comments: an image runs no script.
_SCRIPT_AND_COMMENTS = re.compile(r"<script[^>]*>.*?</script>|<!--.*?-->", re.DOTALL)
_LONG_NUMBER = re.compile(r"(\d+\.\d)\d+")
STAGE_LABELS = ("Issued", "Seen", "Acknowledged", "Acted", "Outcome")


def funnel_chart(rows: list[Row]) -> bytes:
    """Cards at each stage, one bar group per rule and version (the top six by cards)."""
    top = rows[:6]
    chart = pygal.HorizontalBar(**OPTIONS, title="Funnel per rule and version")
    chart.x_labels = [f"{row.rule} v{row.version}" for row in top]
    for label in STAGE_LABELS:
        chart.add(label, [getattr(row, label.lower()) for row in top])
    described = "; ".join(
        f"{row.rule} version {row.version}: {row.issued} issued, {row.seen} seen, "
        f"{row.acknowledged} acknowledged, {row.acted} acted on, {row.outcome} outcomes"
        for row in top
    )
    return _svg(chart, "Funnel per rule and version", described or "No cards in this period.")


def reasons_chart(rule: str, weeks: dict[str, Counter], labels: dict[str, str]) -> bytes:
    """Dismissals of one rule per week, stacked by reason."""
    title = f"Why {rule} was dismissed, week by week"
    chart = pygal.StackedBar(**OPTIONS, title=title)
    chart.x_labels = [week[5:] for week in weeks]  # MM-DD of each Monday
    reasons = sorted({reason for counts in weeks.values() for reason in counts})
    for reason in reasons:
        chart.add(labels.get(reason, reason), [counts[reason] for counts in weeks.values()])
    totals = Counter()
    for counts in weeks.values():
        totals.update(counts)
    described = ", ".join(f"{labels.get(r, r)}: {n}" for r, n in totals.most_common())
    return _svg(chart, title, f"Dismissals over {len(weeks)} weeks. {described or 'None.'}")


def uplift_chart(results: list[Uplift]) -> bytes:
    """Outcome rate with the card and without it, per rule and version."""
    chart = pygal.Bar(**OPTIONS, title="Outcome rate with and without the card")
    chart.x_labels = [f"{u.rule} v{u.version}" for u in results]
    chart.value_formatter = lambda value: f"{value:.1%}"
    chart.add("Shown the card", [u.shown.rate for u in results])
    chart.add("Held out", [u.held_out.rate for u in results])
    described = "; ".join(
        f"{u.rule} version {u.version}: {u.shown.rate:.1%} with the card, "
        f"{u.held_out.rate:.1%} without" for u in results
    )  # fmt: skip
    return _svg(chart, "Outcome rate with and without the card", described or "No experiments.")


def _svg(chart: pygal.Graph, title: str, description: str) -> bytes:
    """The chart's SVG with its description for screen readers (pygal writes the title)."""
    svg = chart.render(is_unicode=True)
    svg = _SCRIPT_AND_COMMENTS.sub("", _TOOLTIP_POSITIONS.sub("", svg))
    svg = _LONG_NUMBER.sub(r"\1", svg)
    svg = svg.replace(' rx="0" ry="0"', "").replace(" reactive tooltip-trigger", "")
    end = svg.find("</title>")
    if end >= 0:
        end += len("</title>")
        svg = svg[:end] + f"<desc>{escape(description[:1500])}</desc>" + svg[end:]
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)
    return svg.encode()


def chart(name: str, board) -> bytes:
    """One of the scoreboard's charts for a built board (`funnel`, `reasons` or `uplift`)."""
    if name == "funnel":
        return funnel_chart(board.rows)
    if name == "reasons":
        return reasons_chart(board.focus or "no rule", board.weeks, REASONS)
    if name == "uplift":
        return uplift_chart(board.experiments)
    raise LookupError(name)
