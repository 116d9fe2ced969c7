"""Micro-markets: potential, actual, share and trend equal direct computations; targets are
kept with who set them and when; bad input is refused by field and writes nothing."""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import func, select

from frontline import demo
from frontline.cargo.markets import lane_markets, rep_lane_ids
from frontline.casino.markets import host_keys, zone_tier_markets
from frontline.extensions import db
from frontline.plans import targets
from frontline.plans.markets import PERIOD_DAYS, week_edges
from frontline.tables import (
    Booking,
    Customer,
    FactValue,
    Guest,
    Lane,
    MarketTarget,
    User,
    Visit,
    utcnow,
)
from frontline.tables.cargo import chargeable_kg
from tests.conftest import csrf_from
from tests.factories import make_user

SIZES = demo.Sizes(guests=80, shippers=60, quotes=600, past_flight_days=120, future_flight_days=7)


@pytest.fixture
def world(app):
    with app.app_context():
        demo.load(seed=11, today=date.today(), sizes=SIZES)
    return app


def test_lane_markets_equal_a_direct_computation(world):
    with world.app_context():
        now = utcnow()
        markets = {m.key: m for m in lane_markets(now)}
        expected = _direct_lanes(now)
        assert set(markets) == set(expected) and len(markets) == 10
        assert any(m.actual for m in markets.values())
        for code, (potential, actual, weekly) in expected.items():
            m = markets[code]
            assert m.actual == actual, code
            assert m.weekly == weekly, code
            assert m.potential == pytest.approx(potential, abs=Decimal("0.01")), code
            assert m.share == (float(actual / m.potential) if m.potential else None)
            before, after = sum(weekly[:4]), sum(weekly[4:])
            assert m.trend == (float(after / before - 1) if before else None)


def _direct_lanes(now: datetime) -> dict[str, tuple]:
    """Row by row in Python: revenue = chargeable kg times rate, per lane and per customer."""
    year, period = now - timedelta(days=365), now - timedelta(days=PERIOD_DAYS)
    edges = week_edges(now)
    actual, weekly = defaultdict(Decimal), defaultdict(lambda: [Decimal("0.00")] * len(edges))
    mix = defaultdict(lambda: defaultdict(Decimal))
    for b in db.session.scalars(select(Booking)):
        code, revenue = b.flight.lane.code, chargeable_kg(b.weight_kg, b.volume_m3) * b.rate_per_kg
        if year < b.booked_at <= now:
            mix[b.customer_id][code] += revenue
        if period < b.booked_at <= now:
            actual[code] += revenue
        for i, (start, end) in enumerate(edges):
            if start < b.booked_at <= end:
                weekly[code][i] += revenue
    potential = defaultdict(Decimal)
    for customer_id, lanes in mix.items():
        spend = db.session.get(Customer, customer_id).est_annual_spend * PERIOD_DAYS / 365
        total = sum(lanes.values())
        for code, revenue in lanes.items():
            potential[code] += spend * revenue / total if total else 0
    codes = db.session.scalars(select(Lane.code)).all()
    return {c: (potential[c], actual[c].quantize(Decimal("0.01")), tuple(weekly[c])) for c in codes}


def test_zone_tier_markets_equal_a_direct_computation(world):
    with world.app_context():
        now = utcnow()
        assert all(m.potential is None for m in zone_tier_markets(now))  # nobody scored yet
        rng = np.random.default_rng(5)
        guests = db.session.scalars(select(Guest.id)).all()
        values = {g: Decimal(f"{rng.uniform(0, 5000):.2f}") for g in guests}
        recent = select(Visit.guest_id).where(Visit.visit_date > now.date() - timedelta(days=300))
        barred = db.session.get(Guest, db.session.scalars(recent).first())
        barred.self_excluded = True  # no potential, whatever the model says
        for g, value in values.items():
            db.session.add(
                FactValue(
                    subject_type="guest", subject_id=g, name="guest.value_90d",
                    value=str(value), model_version="test",
                )
            )  # fmt: skip
        db.session.commit()
        markets = {m.key: m for m in zone_tier_markets(now)}
        potential, actual = _direct_casino(now, values)
        assert set(markets) == set(potential) | set(actual)
        for key, m in markets.items():
            assert m.actual == actual.get(key, Decimal(0)), key
            assert m.potential == pytest.approx(potential.get(key, 0), abs=Decimal("0.01")), key


def _direct_casino(now: datetime, values: dict[int, Decimal]):
    today = now.date()
    play = defaultdict(lambda: defaultdict(Decimal))
    actual = defaultdict(Decimal)
    for v in db.session.scalars(select(Visit)):
        key = f"{v.zone}/{v.guest.tier.value}"
        if today - timedelta(days=365) < v.visit_date <= today and v.guest.may_receive_offers:
            play[v.guest_id][key] += v.theo_win
        if today - timedelta(days=PERIOD_DAYS) < v.visit_date <= today:
            actual[key] += v.theo_win
    potential = defaultdict(Decimal)
    for guest_id, keys in play.items():
        total = sum(keys.values())
        for key, theo in keys.items():
            if total:
                potential[key] += values[guest_id] * theo / total
    return potential, actual


def test_a_reps_markets_are_his_lanes_and_his_accounts_lanes(world):
    with world.app_context():
        rep = User.by_email("rep@demo.test")
        own = set(db.session.scalars(select(Lane.id).where(Lane.rep_id == rep.id)))
        assert own and own <= set(rep_lane_ids(rep.id))
        newcomer = make_user(role="rep")
        assert rep_lane_ids(newcomer.id) == []
        cut, seen = date.today() - timedelta(days=PERIOD_DAYS), False
        for host in db.session.scalars(select(User).where(User.role == "host")):
            expected = {
                f"{v.zone}/{v.guest.tier.value}"
                for v in db.session.scalars(
                    select(Visit).join(Guest).where(Guest.host_id == host.id)
                )
                if v.visit_date > cut
            }
            assert host_keys(host.id, utcnow()) == expected
            seen = seen or bool(expected)
        assert seen


def test_target_edits_are_kept_with_who_and_when(world, client, auth):
    with world.app_context():
        make_user(role="rep", email="lead@example.test", signs_off="rep")
        db.session.execute(db.delete(MarketTarget))
        db.session.commit()
    auth.login("analyst")
    token = auth.csrf_token("/leads/plan")
    form = {"business": "cargo", "market": "FRA-ORD", "csrf_token": token}
    answer = client.post("/leads/plan/targets", data={**form, "amount": "1,250,000", "note": "Q1"})
    assert answer.status_code == 303
    auth.logout()
    auth.post_login("lead@example.test", "pw-for-tests")
    token = auth.csrf_token("/leads/plan")
    page = client.get("/leads/plan").get_data(as_text=True)
    assert 'data-target="1250000.00"' in page and "analyst@example.test" not in page
    assert 'set by <span class="set-by">User' in page and "just now" in page
    client.post("/leads/plan/targets", data={**form, "csrf_token": token, "amount": "1300000"})
    with world.app_context():
        rows = targets.history("cargo", "FRA-ORD")
        assert [(r.amount, r.set_by.email) for r in rows] == [
            (Decimal("1300000.00"), "lead@example.test"),
            (Decimal("1250000.00"), "analyst@example.test"),
        ]
        assert rows[0].set_at >= rows[1].set_at and rows[1].note == "Q1"
        assert targets.current("cargo")["FRA-ORD"].id == rows[0].id
    page = client.get("/leads/plan").get_data(as_text=True)
    assert "Earlier targets (1)" in page and "$1,250,000 by User" in page
    with world.app_context():
        ours = sum(m.actual for m in lane_markets(utcnow()))
    assert f'data-total-actual="{ours}"' in page and "targets $1.3M for 1 of 10 markets" in page


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"market": "FRA-ORD", "amount": "-5"}, "amount", "zero or more"),
        ({"market": "FRA-ORD", "amount": "lots"}, "amount", "not an amount"),
        ({"market": "XXX-YYY", "amount": "100"}, "market", "no lane 'XXX-YYY'"),
        ({"market": "FRA-ORD", "amount": "100", "note": "n" * 201}, "note", "at most 200"),
    ],
)
def test_a_bad_target_is_refused_by_field_and_writes_nothing(
    world, client, auth, fields, field, words
):
    auth.login("analyst")
    with world.app_context():
        before = db.session.scalar(select(func.count()).select_from(MarketTarget))
    data = {"business": "cargo", "csrf_token": auth.csrf_token("/leads/plan"), **fields}
    answer = client.post("/leads/plan/targets", data=data)
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert f'data-field="{field}"' in page and words in page
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(MarketTarget)) == before


def test_a_casino_market_must_be_a_known_zone_and_tier(world):
    with world.app_context():
        analyst = make_user(role="analyst")
        with pytest.raises(targets.TargetInvalid) as refused:
            targets.set_target("casino", "main_floor/emperor", "10", "", analyst)
        assert "tier one of" in refused.value.errors["market"]
        with pytest.raises(targets.TargetInvalid) as refused:
            targets.set_target("casino", "moon/gold", "10", "", analyst)
        assert refused.value.errors == {"market": "no zone 'moon'"}
        assert targets.set_target("casino", "main_floor/gold", "10", "", analyst).id


def test_only_analysts_and_sales_leads_set_targets(world, client, auth):
    auth.login("rep")
    assert client.get("/leads/plan").status_code == 403
    data = {"business": "cargo", "market": "FRA-ORD", "amount": "1"}
    assert client.post("/leads/plan/targets", data=data).status_code in (400, 403)


def test_a_sales_lead_plans_only_their_teams_business(world, client, auth):
    with world.app_context():
        make_user(
            role="host", email="floor.lead@example.test", signs_off="host", display_name="Rita"
        )
        before = db.session.scalar(select(func.count()).select_from(MarketTarget))
    auth.post_login("floor.lead@example.test", "pw-for-tests")
    page = client.get("/leads/plan").get_data(as_text=True)
    assert 'data-business="casino"' in page and 'data-business="cargo"' not in page
    data = {"business": "cargo", "market": "FRA-ORD", "amount": "5", "csrf_token": csrf_from(page)}
    refused = html.unescape(client.post("/leads/plan/targets", data=data).get_data(as_text=True))
    assert 'data-field="business"' in refused and "Rita does not plan the cargo business" in refused
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(MarketTarget)) == before


def test_the_reps_market_screen_and_the_lane_line_on_the_quote(world, client, auth):
    with world.app_context():
        rep = User.by_email("rep@demo.test")
        rep.password_hash = make_user(role="rep").password_hash
        db.session.commit()
        lanes = db.session.scalars(select(Lane.code).where(Lane.id.in_(rep_lane_ids(rep.id))))
        codes = set(lanes)
    auth.post_login("rep@demo.test", "pw-for-tests")
    page = client.get("/rep/market").get_data(as_text=True)
    shown = {code for code in db_codes(world) if f'data-market="{code}"' in page}
    assert shown == codes
    assert 'href="tel:' in page  # who to call about each lane
    line = client.get("/rep/market?lane=FRA-ORD", headers={"HX-Request": "true"})
    text = line.get_data(as_text=True)
    assert "<html" not in text and 'data-market="FRA-ORD"' in text and "FRA-ORD: ours $" in text
    assert 'data-market="FRA-JFK"' not in text


def db_codes(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(Lane.code)).all()


def test_a_week_is_seven_days_back_from_now():
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    edges = week_edges(now)
    assert len(edges) == 8 and edges[-1] == (now - timedelta(weeks=1), now)
    assert all(b - a == timedelta(weeks=1) for a, b in edges)
