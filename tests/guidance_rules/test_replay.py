"""Replaying a log in bulk (`replay_columns`) gives exactly the cards of the row-by-row reference
(`replay_rows`): generated logs of several subjects over several days, random conditions, with
cooldowns of every kind (a duration, per visit, once, per another fact), hard stops of both
kinds, and every hit policy."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guidance_rules import columns_from_rows, load_pack
from guidance_rules.replay import replay_columns, replay_rows
from tests.guidance_rules.test_properties import conditions, facts_strategy

COOLDOWNS = ["1d", "visit", "once", "{every: 2h, per: lane.code}", None]
SUPPRESS = ["offers", "all", None, None]
START = dt.datetime(2025, 3, 1, 8)


def pack_text(rules: list[str], policy: str, top: int, kinds: list[tuple[int, int]]) -> str:
    lines = ["id: p", 'version: "1"', "audience: host", f"hit_policy: {policy}", f"top: {top}"]
    lines.append("rules:")
    for i, (condition, (cooldown, suppress)) in enumerate(zip(rules, kinds, strict=True)):
        stop = SUPPRESS[suppress]
        offer = ", offer: {type: dining, description: Dinner}" if i % 2 == 0 and not stop else ""
        lines += [
            f"  - id: r{i}",
            f"    title: R{i}",
            f"    priority: {(i * 37) % 5}",
            "    when: >-",
            f"      {condition}",
            f"    card: {{headline: 'R{i} {{quote.rate}}', actions: [acknowledge]{offer}}}",
        ]
        if COOLDOWNS[cooldown]:
            lines.append(f"    cooldown: {COOLDOWNS[cooldown]}")
        if stop:
            lines.append(f"    suppress: {stop}")
    return "\n".join(lines) + "\n"


log_row = st.tuples(
    st.integers(0, 2),  # subject
    st.integers(0, 60),  # hours since START
    st.sampled_from([None, 0, 5, 30]),  # hours since the visit started (None: missing)
    st.one_of(st.none(), st.sampled_from(["HKG-FRA", "SIN-LHR"])),
    facts_strategy,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules=st.lists(conditions(1), min_size=1, max_size=5),
    kinds=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), min_size=5, max_size=5),
    log=st.lists(log_row, min_size=1, max_size=25),
    policy=st.sampled_from(["first", "collect"]),
    top=st.integers(1, 4),
)
def test_bulk_replay_gives_the_cards_of_the_row_by_row_replay(rules, kinds, log, policy, top):
    text = pack_text(rules, policy, top, kinds[: len(rules)])
    log = sorted(log, key=lambda row: row[1])
    rows, subjects, times = [], [], []
    for subject, hours, visit, lane, facts in log:
        at = START + dt.timedelta(hours=hours)
        facts = {**facts, "guest.id": f"G{subject}", "now": at, "lane.code": lane}
        facts["visit.started"] = None if visit is None else at - dt.timedelta(hours=visit)
        rows.append(facts)
        subjects.append(subject)
        times.append(at)
    expected = replay_rows(load_pack(text), zip(subjects, times, rows, strict=True))
    names = sorted({name for row in rows for name in row})
    replay = replay_columns(
        load_pack(text),
        columns_from_rows(rows, names),
        np.array(subjects),
        np.array(times, dtype="M8[us]"),
    )
    for i, cards in enumerate(expected):
        assert replay.cards(i) == cards, (text, i, rows[i])
    assert replay.shown.sum() == sum(map(len, expected))


def test_a_cooldown_shown_card_blocks_the_same_subject_only_until_it_expires():
    text = pack_text(["guest.visits_12m > 0"], "collect", 3, [(0, 2)])
    pack = load_pack(text)
    at = [START + dt.timedelta(hours=h) for h in (0, 1, 2, 25, 26)]
    rows = [
        {"guest.visits_12m": 3, "guest.id": g, "now": t} for g, t in zip("AABAA", at, strict=True)
    ]
    replay = replay_columns(
        pack,
        columns_from_rows(rows, ["guest.visits_12m", "guest.id", "now"]),
        np.array([0, 0, 1, 0, 0]),
        np.array(at, dtype="M8[us]"),
    )
    assert replay.shown[0].tolist() == [True, False, True, True, False]
