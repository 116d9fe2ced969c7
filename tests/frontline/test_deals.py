"""Deals: winning a quote books its flight's space exactly once, even when reps race."""

import threading
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from frontline.cargo.deals import DealRefused, record_outcome
from frontline.extensions import db
from frontline.tables import (
    Booking,
    Customer,
    CustomerTier,
    Flight,
    Lane,
    Quote,
    QuoteOutcome,
    User,
    utcnow,
)
from tests.factories import make_user


def last_kilos(capacity_kg=1000, booked_kg=400, quotes=2, weight_kg=600):
    """A flight with room for one of QUOTES pending quotes of WEIGHT_KG each."""
    rep = make_user("rep")
    lane = Lane(code="FRA-JFK", origin="FRA", destination="JFK", rep_id=rep.id)
    customer = Customer(
        code="C1", name="Shipper", tier=CustomerTier.STANDARD,
        est_annual_spend=Decimal("100000.00"), rep_id=rep.id,
    )  # fmt: skip
    now = utcnow()
    flight = Flight(
        number="FL1", lane=lane, departs_at=now + timedelta(days=2),
        arrives_at=now + timedelta(days=2, hours=9), capacity_kg=capacity_kg,
        capacity_m3=Decimal("100.000"), booked_kg=booked_kg, booked_m3=Decimal("1.000"),
    )  # fmt: skip
    db.session.add_all([lane, customer, flight])
    db.session.flush()
    same = {
        "customer_id": customer.id, "lane_id": lane.id, "flight_id": flight.id,
        "rep_id": rep.id, "quoted_at": now, "ready_date": date.today(), "weight_kg": weight_kg,
        "volume_m3": Decimal("2.000"), "rate_per_kg": Decimal("2.00"), "guidance": {},
    }  # fmt: skip
    db.session.add_all(Quote(external_id=f"race-{n}", **same) for n in range(quotes))
    db.session.commit()
    return rep.id, flight.id


def win_together(app, rep_id: int, quote_ids: list[int]) -> list[str]:
    """Each quote won from its own thread; every thread has read the flight before any writes."""
    ready = threading.Barrier(len(quote_ids))
    answers: list[str] = []

    def win(quote_id: int) -> None:
        with app.app_context():
            quote, rep = db.session.get(Quote, quote_id), db.session.get(User, rep_id)
            assert quote.flight.booked_kg + quote.weight_kg <= quote.flight.capacity_kg
            db.session.commit()  # end the read, as a request would before the tap arrives
            ready.wait(timeout=10)
            try:
                record_outcome(quote, rep, "won", "", "", utcnow())
                answers.append("won")
            except DealRefused as refusal:
                db.session.rollback()
                answers.append(str(refusal))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=win, args=(i,)) for i in quote_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_two_reps_winning_the_last_kilos_book_exactly_one(app):
    with app.app_context():
        rep_id, flight_id = last_kilos()
        quote_ids = list(db.session.scalars(select(Quote.id).order_by(Quote.id)))
    answers = win_together(app, rep_id, quote_ids)
    assert sorted(answers) == sorted(["won", "FL1 no longer has room for 600 kg"]), answers
    with app.app_context():
        flight = db.session.get(Flight, flight_id)
        assert flight.booked_kg == 1000 and flight.booked_m3 == Decimal("3.000")
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
        outcomes = sorted(q.outcome for q in db.session.scalars(select(Quote)))
        assert outcomes == [QuoteOutcome.PENDING, QuoteOutcome.WON]


def test_a_quote_is_won_once_even_from_two_phones(app):
    with app.app_context():
        rep_id, flight_id = last_kilos(capacity_kg=10_000, quotes=1)
        quote_id = db.session.scalar(select(Quote.id))
    answers = win_together(app, rep_id, [quote_id, quote_id])
    assert "won" in answers and len(answers) == 2
    assert answers.count("won") == 1, answers
    with app.app_context():
        assert db.session.get(Flight, flight_id).booked_kg == 1000
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
