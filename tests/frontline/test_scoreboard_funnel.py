"""The funnel's numbers equal direct SQL counts on a generated data set."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from frontline.extensions import db
from frontline.scoreboard import funnel
from frontline.tables import utcnow
from tests.factories import make_guest, make_user


@pytest.fixture
def history(app):
    with app.app_context():
        hosts = [make_user("host") for _ in range(3)]
        for n in range(20):
            make_guest(hosts[n % 3])
        from frontline.demo import scoreboard

        scoreboard.fill(days=40, per_day=30, seed=3)
        yield hosts


DIRECT = """
SELECT c.rule_id, c.pack_version, COUNT(*) AS issued,
  SUM(CASE WHEN EXISTS (SELECT 1 FROM card_actions a WHERE a.card_id = c.id
      AND (a.action = 'seen' OR a.user_id IS NOT NULL)) THEN 1 ELSE 0 END) AS seen,
  SUM(CASE WHEN EXISTS (SELECT 1 FROM card_actions a WHERE a.card_id = c.id
      AND a.action IN ('acknowledge', 'on_my_way', 'done', 'call_logged', 'offer_sent'))
      THEN 1 ELSE 0 END) AS acknowledged,
  SUM(CASE WHEN EXISTS (SELECT 1 FROM card_actions a WHERE a.card_id = c.id
      AND a.action IN ('on_my_way', 'done', 'call_logged', 'offer_sent')) THEN 1 ELSE 0 END)
      AS acted,
  SUM(CASE WHEN c.outcome = 'accepted' THEN 1 ELSE 0 END) AS outcome,
  SUM(CASE WHEN c.status = 'DISMISSED' OR c.status = 'dismissed' THEN 1 ELSE 0 END) AS dismissed
FROM cards c
WHERE c.created_at >= :since {extra}
GROUP BY c.rule_id, c.pack_version
"""


def direct(since, extra: str = "", **params) -> dict:
    query = text(DIRECT.format(extra=extra))
    rows = db.session.execute(query, {"since": since, **params}).all()
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def counted(rows) -> dict:
    return {
        (r.rule, r.version): (r.issued, r.seen, r.acknowledged, r.acted, r.outcome, r.dismissed)
        for r in rows
    }


def test_funnel_equals_direct_counts(app, history):
    with app.app_context():
        now = utcnow()
        for days in (7, 30):
            rows = funnel.funnel(funnel.Filters(days=days), now)
            expected = direct(now - timedelta(days=days))
            assert counted(rows) == expected
            assert sum(r.issued for r in rows) > 100
            assert any(r.dismissed for r in rows) and any(r.outcome for r in rows)


def test_person_and_rule_filters_narrow_the_counts(app, history):
    with app.app_context():
        now = utcnow()
        host = history[1]
        rows = funnel.funnel(funnel.Filters(days=30, person=host.id), now)
        expected = direct(now - timedelta(days=30), "AND c.assignee_id = :who", who=host.id)
        assert counted(rows) == expected
        rule = rows[0].rule
        one = funnel.funnel(funnel.Filters(days=30, person=host.id, rule=rule), now)
        assert [r.rule for r in one] == [rule]


def test_each_number_lists_the_cards_behind_it(app, history):
    with app.app_context():
        now = utcnow()
        filters = funnel.Filters(days=30)
        row = funnel.funnel(filters, now)[0]
        narrowed = funnel.Filters(days=30, rule=row.rule, version=row.version)
        for stage in ("issued", "seen", "acted", "dismissed"):
            listed = funnel.cards(narrowed, stage, now, limit=10_000)
            assert len(listed) == getattr(row, stage)
            assert {card.rule_id for card in listed} <= {row.rule}


def test_a_bad_filter_names_its_field():
    with pytest.raises(funnel.FilterError, match="days"):
        funnel.Filters.from_args({"days": "12"})
    with pytest.raises(funnel.FilterError, match="audience"):
        funnel.Filters.from_args({"audience": "pit boss"})


def test_the_place_filter_counts_cards_of_guests_seen_in_that_zone(app, history):
    from frontline.tables import Event, IssuedCard

    with app.app_context():
        now = utcnow()
        event = Event(
            external_id="e-high", type="guest.arrived", source="card_in", occurred_at=now,
            zone="high_limit", body_hash="0" * 64,
        )  # fmt: skip
        db.session.add(event)
        db.session.flush()
        cards = db.session.scalars(
            db.select(IssuedCard).where(IssuedCard.audience == "host").limit(9)
        ).all()
        for card in cards:
            card.event_id = event.id
        db.session.commit()
        rows = funnel.funnel(funnel.Filters(days=90, place="high_limit"), now)
        assert sum(row.issued for row in rows) == len(cards) == 9
        assert funnel.funnel(funnel.Filters(days=90, place="HKG-FRA"), now) == []
