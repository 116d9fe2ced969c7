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
MAX_BARS = 13  # a quarter of weeks; longer periods add weeks together
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
    # pygal's colours and fills, and the layout part of its graph.css (the rest styles the
    # tooltips of a script these charts do not have).
    "css": [
        "file://style.css",
        "inline:"
        + (
            ".title,.centered,.axis.x text,text.no_data{text-anchor:middle}"
            ".axis.y text{text-anchor:end}.axis.x text[transform]{text-anchor:start}"
            ".axis .guide.line{stroke-dasharray:4,4;stroke:#0000002e}"
            ".axis .major.guide.line{stroke-dasharray:6,6;stroke:#0000004d}"
            ".horizontal .axis.y .guide.line,.vertical .axis.x .guide.line{opacity:0}"
            ".nofill{fill:none}"
        ),
    ],
    "truncate_label": 28,
    "x_label_rotation": 20,
}
#: What pygal writes for its script's tooltips (each bar's value, label and position: the
#: chart's own description carries the numbers for a screen reader), and coordinates to 0.1 px.
_TOOLTIP_DATA = re.compile(r'<desc class="(?:x|y|x_label|value)(?: centered)?">[^<]*</desc>')
#: pygal's config for its script, and its comments: an image runs no script.
_SCRIPT_AND_COMMENTS = re.compile(r"<script[^>]*>.*?</script>|<!--.*?-->", re.DOTALL)
_LONG_NUMBER = re.compile(r"(\d+\.\d)\d+")
STAGE_LABELS = ("Issued", "Seen", "Acknowledged", "Acted", "Outcome")


def funnel_chart(rows: list[Row]) -> bytes:
    """Cards at each stage, one bar group per rule and version (the top six by cards)."""
    top = rows[:6]
    chart = pygal.Bar(**OPTIONS, title="Funnel per rule and version")
    chart.x_labels = [f"{row.rule} {row.version}" for row in top]
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
    weeks = _at_most(weeks, MAX_BARS)
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


def _at_most(weeks: dict[str, Counter], bars: int) -> dict[str, Counter]:
    """Consecutive weeks added together so that at most BARS bars remain (each labelled by its
    first week): a year of weeks stays a readable, small chart."""
    size = -(-len(weeks) // bars)  # weeks per bar, rounded up
    if size <= 1:
        return weeks
    keys = list(weeks)
    merged: dict[str, Counter] = {}
    for start in range(0, len(keys), size):
        merged[keys[start]] = sum((weeks[key] for key in keys[start : start + size]), Counter())
    return merged


def uplift_chart(results: list[Uplift]) -> bytes:
    """Outcome rate with and without the card, per rule and version (the eight largest)."""
    results = sorted(results, key=lambda u: -(u.shown.subjects + u.held_out.subjects))[:8]
    chart = pygal.Bar(**OPTIONS, title="Outcome rate with and without the card")
    chart.x_labels = [f"{u.rule} {u.version}" for u in results]
    chart.value_formatter = lambda value: f"{value:.1%}"
    chart.add("Shown the card", [u.shown.rate for u in results])
    chart.add("Held out", [u.held_out.rate for u in results])
    described = "; ".join(
        f"{u.rule} version {u.version}: {u.shown.rate:.1%} with the card, "
        f"{u.held_out.rate:.1%} without" for u in results
    )  # fmt: skip
    return _svg(chart, "Outcome rate with and without the card", described or "No experiments.")


def cards_per_day_chart(in_force: dict, draft: dict) -> bytes:
    """A backtest's cards per day: the version in force against the draft (dates -> Counter)."""
    days = sorted(set(in_force) | set(draft))
    title = "Cards per day: in force and draft"
    chart = pygal.Line(**OPTIONS | {"x_label_rotation": 0, "show_minor_x_labels": False},
                       title=title)  # fmt: skip
    chart.x_labels = [day.strftime("%d %b") for day in days]
    chart.x_labels_major = chart.x_labels[:: max(1, len(days) // 6)]
    before = [sum(in_force.get(day, Counter()).values()) for day in days]
    after = [sum(draft.get(day, Counter()).values()) for day in days]
    chart.add("In force", before)
    chart.add("Draft", after)
    described = (
        f"Over {len(days)} days the version in force shows {sum(before):,} cards and the "
        f"draft {sum(after):,}; per day from {min(after, default=0)} to {max(after, default=0)} "
        "with the draft."
    )
    return _svg(chart, title, described)


def _svg(chart: pygal.Graph, title: str, description: str) -> bytes:
    """The chart's SVG with its description for screen readers (pygal writes the title)."""
    svg = chart.render(is_unicode=True)
    svg = _SCRIPT_AND_COMMENTS.sub("", _TOOLTIP_DATA.sub("", svg))
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
