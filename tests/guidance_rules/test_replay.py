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
from guidance_rules.replay import _jump, _walk, replay_columns, replay_rows
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
    st.sampled_from([None, 0, 5, 5, 30]),  # hours since the visit started (None: missing)
    st.one_of(st.none(), st.sampled_from(["HKG-FRA", "SIN-LHR"])),
    facts_strategy,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules=st.lists(conditions(1), min_size=1, max_size=5),
    kinds=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), min_size=5, max_size=5),
    log=st.lists(log_row, min_size=1, max_size=25),
    policy=st.sampled_from(["first", "collect"]),
    top=st.integers(1, 4),
    steady=st.booleans(),
)
def test_bulk_replay_gives_the_cards_of_the_row_by_row_replay(
    rules, kinds, log, policy, top, steady
):
    text = pack_text(rules, policy, top, kinds[: len(rules)])
    log = sorted(log, key=lambda row: row[1])
    rows, subjects, times = [], [], []
    for subject, hours, visit, lane, facts in log:
        at = START + dt.timedelta(hours=hours)
        facts = {**facts, "guest.id": f"G{subject}", "now": at, "lane.code": lane}
        if visit is None:
            facts["visit.started"] = None
        elif steady:  # visits that begin in order, as on a real floor: 6-hour blocks
            facts["visit.started"] = START + dt.timedelta(hours=hours // 6 * 6)
        else:
            facts["visit.started"] = at - dt.timedelta(hours=visit)
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


@settings(max_examples=300, deadline=None)
@given(
    log=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 20), st.integers(0, 4), st.booleans()),
        min_size=1,
        max_size=40,
    ),
    gap=st.integers(1, 6),
)
def test_jumping_to_the_next_card_agrees_with_walking_row_by_row(log, gap):
    """Groups in order, times rising; the bound (now, or the visit's start) never falls within
    a group and may be missing on a group's first row only: `_jump` must be exact there."""
    log = sorted(log)
    groups = np.array([g for g, *_ in log])
    first = np.ones(len(log), bool)
    first[1:] = groups[1:] != groups[:-1]
    at = np.array([t for _g, t, *_ in log])
    bound = np.maximum.accumulate(np.array([t - lag for _g, t, lag, _k in log]))
    bound = np.where(first, at - np.array([lag for *_, lag, _k in log]), bound)
    known = np.array([k for *_, k in log]) | ~first
    jumped = _jump(groups + 1, first, at, bound, known, gap)
    walked = ~np.array(_walk(groups.tolist(), at.tolist(), bound.tolist(), known.tolist(), gap))
    if jumped is not None:
        assert jumped.tolist() == walked.tolist()
    assert jumped is not None or (np.diff(bound)[~first[1:]] < 0).any()
