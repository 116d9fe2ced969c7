"""Issue 14, the rep's and approver's screens: undo, valid next steps, my quotes, decisions as
cards, the type-ahead picker, checks as typed, rounded numbers, a paged board."""

import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from frontline.extensions import db
from frontline.tables import Approval, Booking, Flight, IssuedCard, Quote, User, utcnow
from tests.conftest import csrf_from
from tests.frontline.test_rep_quote import rep_lane_and_customer, request_form, sign_in_rep


@pytest.fixture
def world(cargo_world):
    return cargo_world


def give(world, client, **extra) -> int:
    """A quote on the rep's first lane for the rep's first customer; its id."""
    with world.app_context():
        _rep, lane, customer = rep_lane_and_customer()
        form = request_form(lane, customer, **extra)
    sign_in_rep(client)
    html = client.get("/rep/quote", query_string=form).get_data(as_text=True)
    given = client.post(
        "/rep/quotes",
        data=form
        | {
            "key": extra.get("rate", "k"),
            "csrf_token": csrf_from(html),
            "reason": "Matching a tender",
        },
    )
    assert given.status_code == 303, given.get_data(as_text=True)
    return int(given.headers["Location"].rsplit("/", 1)[1])


def booked(world, quote_id) -> tuple[int, int]:
    with world.app_context():
        quote = db.session.get(Quote, quote_id)
        bookings = db.session.scalar(
            select(func.count()).select_from(Booking).where(Booking.quote_id == quote_id)
        )
        return db.session.get(Flight, quote.flight_id).booked_kg, bookings


def test_a_win_can_be_undone_for_ten_seconds(world, client):
    quote_id = give(world, client)
    kg_before, _ = booked(world, quote_id)
    page = client.get(f"/rep/quotes/{quote_id}").get_data(as_text=True)
    client.post(
        f"/rep/quotes/{quote_id}/outcome",
        data={"outcome": "won", "won_rate": "", "csrf_token": csrf_from(page)},
    )
    after = client.get(f"/rep/quotes/{quote_id}").get_data(as_text=True)
    assert "Recorded: won at" in after and ">Undo</button>" in after
    assert booked(world, quote_id) == (kg_before + 1234, 1)
    undone = client.post(
        f"/rep/quotes/{quote_id}/undo", data={"csrf_token": csrf_from(after)}, follow_redirects=True
    )
    assert "Undone: the quote is open again." in undone.get_data(as_text=True)
    assert booked(world, quote_id) == (kg_before, 0)
    with world.app_context():
        quote = db.session.get(Quote, quote_id)
        assert quote.outcome.value == "pending" and quote.won_rate_per_kg is None


def test_an_undo_after_ten_seconds_is_refused(world, client):
    quote_id = give(world, client)
    page = client.get(f"/rep/quotes/{quote_id}").get_data(as_text=True)
    token = csrf_from(page)
    client.post(
        f"/rep/quotes/{quote_id}/outcome",
        data={"outcome": "lost", "lost_reason": "price", "csrf_token": token},
    )
    with world.app_context():
        quote = db.session.get(Quote, quote_id)
        quote.decided_at = utcnow() - timedelta(seconds=11)
        db.session.commit()
    page = client.get(f"/rep/quotes/{quote_id}").get_data(as_text=True)
    assert ">Undo</button>" not in page
    refused = client.post(
        f"/rep/quotes/{quote_id}/undo", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Not undone: an outcome can be undone for 10 s only." in refused.get_data(as_text=True)
    with world.app_context():
        assert db.session.get(Quote, quote_id).outcome.value == "lost"


def decide(world, quote_id, approve: bool, note: str = ""):
    from frontline.cargo import approvals

    with world.app_context():
        approval = db.session.scalar(select(Approval).where(Approval.quote_id == quote_id))
        analyst = User.by_email("analyst@demo.test")
        approvals.decide(approval, analyst, approve, note)


def below_floor(world) -> str:
    from frontline.cargo.quoting import advise, parse_request

    with world.app_context():
        _rep, lane, customer = rep_lane_and_customer()
        result = advise(parse_request(request_form(lane, customer), utcnow().date()), utcnow())
        return str(result.pricing.rates.floor - Decimal("0.10"))


def test_a_declined_quote_offers_no_win_and_the_decision_is_a_card(world, client):
    quote_id = give(world, client, rate=below_floor(world))
    waiting = client.get(f"/rep/quotes/{quote_id}").get_data(as_text=True)
    assert 'value="won"' not in waiting and "once the approval is granted" in waiting
    mine = client.get("/rep/quotes").get_data(as_text=True)
    section = mine[mine.index('data-state="waiting"') : mine.index('data-state="declined"')]
    assert f'data-quote-id="{quote_id}"' in section
    with pytest.raises(Exception, match="say why it is declined"):
        decide(world, quote_id, approve=False)
    decide(world, quote_id, approve=False, note="Too far under the market")
    declined = client.get(f"/rep/quotes/{quote_id}").get_data(as_text=True)
    assert 'value="won"' not in declined and "Quote again at or above the floor" in declined
    mine = client.get("/rep/quotes").get_data(as_text=True)
    section = mine[mine.index('data-state="declined"') : mine.index('data-state="open"')]
    assert f'data-quote-id="{quote_id}"' in section
    with world.app_context():
        card = db.session.scalar(select(IssuedCard).where(IssuedCard.subject_type == "quote"))
        assert (
            card.headline.startswith("Declined: ") and "Too far under the market" in card.details[0]
        )
        card_id = card.id
    inbox = client.get("/rep/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'data-card-id="{card_id}"' in inbox
    page = client.get(f"/rep/cards/{card_id}").get_data(as_text=True)
    assert f'href="/rep/quotes/{quote_id}"' in page and 'class="tabs"' in page


def test_approvals_show_context_and_decided_ones_open(world, client, auth):
    quote_id = give(world, client, rate=below_floor(world))
    client.post(
        "/logout", data={"csrf_token": csrf_from(client.get("/rep/").get_data(as_text=True))}
    )
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post(
        "/login", data={"email": "analyst@demo.test", "password": "demo", "csrf_token": token}
    )
    home = client.get("/analyst/").get_data(as_text=True)
    assert 'href="/analyst/approvals"' in home
    page = client.get("/analyst/approvals").get_data(as_text=True)
    assert "Asked just now" in page and "share of wallet" in page and "decided in 12 months" in page
    with world.app_context():
        approval_id = db.session.scalar(select(Approval.id).where(Approval.quote_id == quote_id))
    refused = client.post(
        f"/analyst/approvals/{approval_id}",
        data={"decision": "decline", "csrf_token": csrf_from(page)},
        follow_redirects=True,
    )
    assert "Not recorded: say why it is declined" in refused.get_data(as_text=True)
    client.post(
        f"/analyst/approvals/{approval_id}",
        data={
            "decision": "decline",
            "note": "Hold the floor this week",
            "csrf_token": csrf_from(page),
        },
    )
    listed = client.get("/analyst/approvals").get_data(as_text=True)
    assert f'href="/analyst/approvals/{approval_id}"' in listed
    opened = client.get(f"/analyst/approvals/{approval_id}").get_data(as_text=True)
    assert "Declined by" in opened and "Hold the floor this week" in opened


def test_the_form_opens_without_errors_and_checks_fields_as_typed(world, client):
    with world.app_context():
        _rep, lane, _customer = rep_lane_and_customer()
    sign_in_rep(client)
    fresh = client.get("/rep/quote", query_string={"lane": lane.code, "flight_id": "1"}).get_data(
        as_text=True
    )
    assert (
        'class="error"' not in fresh and "Fill in the customer and weight to see prices." in fresh
    )
    typed = client.get(
        "/rep/quote",
        query_string={"lane": lane.code, "weight_kg": "12x"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert 'id="err-weight_kg" hx-swap-oob="true"' in typed
    weight_error = typed[typed.index('id="err-weight_kg"') :].split("</span>")[0]
    customer_error = typed[typed.index('id="err-customer"') :].split("</span>")[0]
    assert "give the weight in whole kilograms" in weight_error, weight_error
    assert customer_error.endswith('aria-live="polite">'), customer_error  # not typed yet: quiet
    asked = client.get("/rep/quote", query_string={"lane": lane.code, "go": "1"}).get_data(
        as_text=True
    )
    assert "choose a customer" in asked


def test_customer_type_ahead_finds_a_few_of_many(world, client):
    with world.app_context():
        _rep, _lane, customer = rep_lane_and_customer()
        name, code = customer.name, customer.code
    sign_in_rep(client)
    page = client.get("/rep/quote").get_data(as_text=True)
    assert '<select name="customer"' not in page and 'type="radio" name="customer"' not in page
    found = client.get(
        "/rep/quote/customers",
        query_string={"customer_q": name[:6]},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert f'value="{code}"' in found and found.count('type="radio"') <= 8
    nothing = client.get(
        "/rep/quote/customers",
        query_string={"customer_q": "zzzz-nobody"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert "No customer you may quote matches “zzzz-nobody”." in nothing


def test_type_ahead_among_300_customers_shows_a_few(world, client):
    from frontline.tables import Customer, CustomerTier

    with world.app_context():
        rep = User.by_email("rep@demo.test")
        for n in range(300):
            db.session.add(
                Customer(
                    code=f"Q{n:04d}", name=f"Quantum Freight {n:03d}", tier=CustomerTier("small"),
                    est_annual_spend=Decimal("1000.00"), rep_id=rep.id,
                )
            )  # fmt: skip
        db.session.commit()
    sign_in_rep(client)
    page = client.get("/rep/quote").get_data(as_text=True)
    assert "Quantum Freight" not in page  # no list of 300 names up front
    found = client.get(
        "/rep/quote/customers",
        query_string={"customer_q": "quantum"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert found.count('type="radio"') == 8 and re.search(
        r"\d{3} more: type more of the name.", found
    ), found[-300:]
    one = client.get(
        "/rep/quote/customers",
        query_string={"customer_q": "freight 123"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert one.count('type="radio"') == 1 and 'value="Q0123"' in one


class Counter(HTMLParser):
    def __init__(self):
        super().__init__()
        self.nodes = 0

    def handle_starttag(self, tag, attrs):
        self.nodes += 1


def test_capacity_board_is_paged_and_light(world, client):
    sign_in_rep(client)
    page = client.get("/rep/board")
    html = page.get_data(as_text=True)
    counter = Counter()
    counter.feed(html)
    print(f"capacity board page 1: {counter.nodes} elements, {len(page.data):,} bytes")
    assert counter.nodes <= 600 and len(page.data) <= 30_000, (counter.nodes, len(page.data))
    assert 'rel="next"' in html
    second = client.get("/rep/board?page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and "page 2 of" in second


def test_numbers_read_as_people_say_them(world, client):
    from guidance_rules.cards import format_value
    from guidance_rules.vocabulary import load_vocabulary

    vocabulary = load_vocabulary()
    assert format_value(vocabulary["flight.days_to_departure"], 0.04) == "1 h"
    assert format_value(vocabulary["flight.days_to_departure"], 2.4) == "2.5 days"
    assert format_value(vocabulary["quote.volume_m3"], 97.353) == "97 m³"
    sign_in_rep(client)
    with world.app_context():
        flight_id = db.session.scalar(select(Flight.id).order_by(Flight.id))
    flight = client.get(f"/rep/flights/{flight_id}").get_data(as_text=True)
    assert "@" not in flight.split("Displacement")[1].split("</div>")[0]
    assert "m³" in flight and ".000 m³" not in flight
