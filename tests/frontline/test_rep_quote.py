"""Quote guidance on the rep's phone: floor, capacity, competitors, exact money, bad input."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from frontline.cargo import deals
from frontline.cargo.pricing import Buyer, Market, features
from frontline.cargo.quoting import RequestInvalid, advise, parse_request
from frontline.extensions import db
from frontline.scoring import frames
from frontline.tables import (
    Approval,
    Booking,
    CompetitorOffer,
    Customer,
    Flight,
    Lane,
    Quote,
    User,
    utcnow,
)
from tests.conftest import csrf_from
from tests.factories import make_competitor_rate


@pytest.fixture
def world(cargo_world):
    return cargo_world


def rep_lane_and_customer():
    rep = User.by_email("rep@demo.test")
    lane = db.session.scalars(select(Lane).where(Lane.rep_id == rep.id).order_by(Lane.code)).first()
    customer = db.session.scalars(
        select(Customer).where(Customer.rep_id == rep.id).order_by(Customer.code)
    ).first()
    return rep, lane, customer


def request_form(lane, customer, **extra) -> dict:
    return {
        "customer": customer.code,
        "lane": lane.code,
        "ready_date": (date.today() + timedelta(days=1)).isoformat(),
        "weight_kg": "1234",
        "volume_m3": "4.000",
        "commodity": "general",
    } | extra


def sign_in_rep(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    form = {"email": "rep@demo.test", "password": "demo", "csrf_token": token}
    assert client.post("/login", data=form).status_code in (302, 303)


def test_guidance_respects_the_floor_and_below_it_asks_for_approval(world, client):
    with world.app_context():
        _rep, lane, customer = rep_lane_and_customer()
        base = request_form(lane, customer)
        result = advise(parse_request(base, date.today()), utcnow())
        r = result.pricing.rates
        assert r.floor <= r.recommended <= r.stretch
        assert r.win_prob_floor >= r.win_prob >= r.win_prob_stretch
        floor = r.floor
        below = str(floor - Decimal("0.10"))
    sign_in_rep(client)
    page = client.get("/rep/quote", query_string=base)
    html = page.get_data(as_text=True)
    assert f"${floor}" in html and "Recommended" in html and "Stretch" in html
    token = csrf_from(html)
    form = base | {"rate": below, "key": "k1", "csrf_token": token}
    refused = client.post("/rep/quotes", data=form, follow_redirects=True)
    assert "give a reason for the approver" in refused.get_data(as_text=True)
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Approval)) == 0
    given = client.post("/rep/quotes", data=form | {"reason": "Match their tender"})
    assert given.status_code == 303
    with world.app_context():
        approval = db.session.scalars(select(Approval)).one()
        assert approval.grounds == "below_floor" and approval.status.value == "pending"
        assert approval.quote.rate_per_kg == Decimal(below)
    deal = client.get(given.headers["Location"]).get_data(as_text=True)
    assert "Waiting for approval" in deal


def test_a_nearly_full_flight_raises_the_recommended_rate(world):
    """Ten days out, 700 kg left: the displacement cost lifts the rate above the lane minimum."""
    with world.app_context():
        _rep, _lane, customer = rep_lane_and_customer()
        lane = db.session.scalars(select(Lane).where(Lane.code == "FRA-ORD")).one()
        ready = (date.today() + timedelta(days=10)).isoformat()
        form = request_form(lane, customer, ready_date=ready, weight_kg="500", volume_m3="1")
        request, now = parse_request(form, date.today()), utcnow()
        flight = advise(request, now).chosen.flight
        flight.booked_kg = flight.capacity_kg // 5
        db.session.commit()
        soft = advise(request, now)
        flight.booked_kg = flight.capacity_kg - 700
        db.session.commit()
        tight = advise(request, now)
        assert tight.chosen.flight.id == soft.chosen.flight.id == flight.id
        assert tight.pricing.displacement > soft.pricing.displacement
        assert tight.pricing.recommended > soft.pricing.recommended
        assert tight.chosen.band == "full" and soft.chosen.band == "open"


def test_a_missing_competitor_observation_is_missing_not_zero(world, client):
    with world.app_context():
        _rep, lane, customer = rep_lane_and_customer()
        form = request_form(lane, customer)
        db.session.execute(delete(CompetitorOffer).where(CompetitorOffer.lane_id == lane.id))
        db.session.commit()
        result = advise(parse_request(form, date.today()), utcnow())
        assert result.competitors == []
        assert result.snapshot()["competitors"] == []
        assert result.pricing.recommended > 0
    sign_in_rep(client)
    html = client.get("/rep/quote", query_string=form).get_data(as_text=True)
    competitors = html.split("Competitors on")[1].split("<form")[0]
    assert "unknown, not zero" in competitors
    assert "$0.00" not in competitors and "<table" not in competitors


def test_money_is_exact_from_quote_to_booking_and_history(world, client):
    with world.app_context():
        _rep, lane, customer = rep_lane_and_customer()
        base = request_form(lane, customer)
        make_competitor_rate(lane, "0.01", carrier="Cheapo")  # far below: shows, never pays
    sign_in_rep(client)
    token = csrf_from(client.get("/rep/quote").get_data(as_text=True))
    with world.app_context():
        result = advise(parse_request(base, date.today()), utcnow())
        rate = result.pricing.recommended
    form = base | {"rate": str(rate), "key": "exact", "csrf_token": token}
    given = client.post("/rep/quotes", data=form)
    assert given.status_code == 303, given.get_data(as_text=True)
    won_rate = rate + Decimal("0.03")
    outcome = {"outcome": "won", "won_rate": str(won_rate), "csrf_token": token}
    client.post(given.headers["Location"] + "/outcome", data=outcome)
    with world.app_context():
        quote = db.session.scalars(select(Quote).where(Quote.external_id == "rep-exact")).one()
        assert quote.outcome.value == "won" and quote.won_rate_per_kg == won_rate
        assert quote.chargeable_kg == 1234
        assert quote.total == rate * 1234
        booking = db.session.scalars(select(Booking).where(Booking.quote_id == quote.id)).one()
        assert booking.rate_per_kg == won_rate and booking.weight_kg == 1234
        assert quote.guidance["prices"]["price.floor"] == str(result.pricing.floor)
        customer_id = quote.customer_id
    history = client.get(f"/rep/customers/{customer_id}").get_data(as_text=True)
    assert f"${won_rate * 1234:,}" in history and "won" in history


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("weight_kg", "-5", "more than 0 kg"),
        ("weight_kg", "9000000", "more than any flight carries"),
        ("weight_kg", "12.5", "whole kilograms"),
        ("lane", "ZZZ-QQQ", "unknown lane 'ZZZ-QQQ'"),
        ("customer", "NOPE", "unknown customer 'NOPE'"),
        ("ready_date", "2001-01-01", "is in the past"),
        ("volume_m3", "-1", "cannot be negative"),
    ],
)
def test_bad_requests_are_refused_clearly_and_nothing_is_stored(
    world, client, field, value, message
):
    with world.app_context():
        _rep, lane, customer = rep_lane_and_customer()
        bad = request_form(lane, customer) | {field: value}
        with pytest.raises(RequestInvalid) as refused:
            parse_request(bad, date.today())
        assert message in refused.value.errors[field]
        before = db.session.scalar(select(func.count()).select_from(Quote))
    sign_in_rep(client)
    token = csrf_from(client.get("/rep/quote").get_data(as_text=True))
    form = bad | {"key": "bad", "csrf_token": token}
    answer = client.post("/rep/quotes", data=form, follow_redirects=True).get_data(as_text=True)
    assert message.replace("'", "&#39;") in answer
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Quote)) == before


def test_flight_and_board_pages(world, client):
    sign_in_rep(client)
    board = client.get("/rep/board").get_data(as_text=True)
    assert "data-flight-count" in board and "band" in board
    with world.app_context():
        flight = db.session.scalars(select(Flight).where(Flight.departs_at > utcnow())).first()
    assert client.get(f"/rep/flights/{flight.id}").status_code == 200
    fragment = client.get("/rep/board?lane=FRA-ORD", headers={"HX-Request": "true"})
    assert "<h1>" not in fragment.get_data(as_text=True)


def test_a_stored_quote_trains_on_the_features_it_was_served(world):
    """Bugs 1 and 3: transit is ours minus the competitor's, and share of wallet is one
    function, whether the quote is being priced or read back for training."""
    with world.app_context():
        rep, lane, customer = rep_lane_and_customer()
        make_competitor_rate(lane, "1.10", carrier="Slowline", transit_hours=30)
        now = utcnow()
        request = parse_request(request_form(lane, customer), date.today())
        result = advise(request, now)
        flight = result.chosen.flight
        market = Market.seen(result.competitors, flight)
        served = features(Buyer.of(customer, now), flight, request.shipment, market, now)
        ours = (flight.arrives_at - flight.departs_at).total_seconds()
        quote = deals.give_quote(result, rep, "features-both-ways", "a reason", now)
        deals.record_outcome(quote, rep, "lost", "", "price", now)
        trained = frames.quotes().set_index("quote_id").loc[quote.id]
    assert served["transit_diff_hours"] == trained["transit_diff_hours"] == ours / 3600 - 30
    assert served["share_of_wallet"] == pytest.approx(trained["share_of_wallet"], abs=1e-4)
    assert served["competitor_best_rate"] == trained["competitor_best_rate"] == 1.10
    assert served["load_factor"] == pytest.approx(trained["load_factor"], abs=1e-3)
    assert served["days_to_departure"] == pytest.approx(trained["days_to_departure"], abs=1e-4)
