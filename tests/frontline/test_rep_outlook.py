"""Pushed rep cards from the outlook refresh, one-tap actions, and live approvals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from frontline.cargo import approvals
from frontline.cargo.refresh import refresh as refresh_outlook
from frontline.extensions import db
from frontline.tables import (
    Approval,
    ApprovalStatus,
    Customer,
    Flight,
    IssuedCard,
    Lane,
    Quote,
    User,
    utcnow,
)
from tests.conftest import csrf_from


@pytest.fixture
def world(cargo_world):
    return cargo_world


def soften(rep: User, days: float = 5) -> Flight:
    """One of the rep's departures, DAYS out and only 30% loaded."""
    now = utcnow()
    flight = db.session.scalars(
        select(Flight)
        .join(Flight.lane)
        .where(Lane.rep_id == rep.id, Flight.departs_at > now + timedelta(days=days - 0.5))
        .order_by(Flight.departs_at)
    ).first()
    flight.departs_at = now + timedelta(days=days)
    flight.booked_kg, flight.booked_m3 = int(flight.capacity_kg * 0.3), flight.capacity_m3 * 0
    db.session.commit()
    return flight


def sign_in(client, email: str) -> str:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": email, "password": "demo", "csrf_token": token})
    return token


def test_refresh_pushes_a_soft_departure_card_to_the_lanes_rep_once(world):
    with world.app_context():
        rep = User.by_email("rep@demo.test")
        flight = soften(rep)
        report = refresh_outlook(utcnow())
        cards = db.session.scalars(
            select(IssuedCard).where(
                IssuedCard.subject_type == "flight", IssuedCard.subject_id == flight.id
            )
        ).all()
        assert [c.rule_id for c in cards] == ["soft-departure"]
        assert cards[0].assignee_id == rep.id and flight.number in cards[0].headline
        assert cards[0].facts["flight.load_factor"] == pytest.approx(0.3, abs=0.01)
        assert report.issued["flight"] >= 1
        again = refresh_outlook(utcnow())
        assert again.issued.get("flight", 0) == 0  # still open: not issued twice


def test_key_account_with_falling_share_gets_a_card(world):
    with world.app_context():
        customer = db.session.scalars(select(Customer).where(Customer.rep_id.is_not(None))).first()
        customer.tier = "key"
        customer.est_annual_spend = Decimal("999999999.00")  # we hold a sliver of its wallet
        db.session.commit()
        refresh_outlook(utcnow())
        card = db.session.scalars(
            select(IssuedCard).where(
                IssuedCard.subject_type == "customer",
                IssuedCard.subject_id == customer.id,
                IssuedCard.rule_id == "key-account-protection",
            )
        ).one()  # other account cards (an overdue booking) may fire too
        assert card.assignee_id == customer.rep_id


def test_rep_taps_a_card_from_the_inbox(world, client):
    with world.app_context():
        flight = soften(User.by_email("rep@demo.test"))
        refresh_outlook(utcnow())
        card_id = db.session.scalar(select(IssuedCard.id).where(IssuedCard.subject_id == flight.id))
    token = sign_in(client, "rep@demo.test")
    inbox = client.get("/rep/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'data-card-id="{card_id}"' in inbox and "<h1>" not in inbox
    page = client.get(f"/rep/cards/{card_id}").get_data(as_text=True)
    assert "Call logged" in page and "Why this card" in page
    refused = client.post(
        f"/rep/cards/{card_id}/actions",
        data={"action": "not_relevant", "csrf_token": token},
        follow_redirects=True,
    )
    assert "pick a reason" in refused.get_data(as_text=True)
    client.post(
        f"/rep/cards/{card_id}/actions",
        data={"action": "not_relevant", "reason": "already_handled", "csrf_token": token},
    )
    with world.app_context():
        card = db.session.get(IssuedCard, card_id)
        assert card.status.value == "dismissed" and card.dismiss_reason == "already_handled"


def test_the_approver_decides_and_the_rep_hears(world, client, app):
    from frontline import push

    with world.app_context():
        rep, analyst = User.by_email("rep@demo.test"), User.by_email("analyst@demo.test")
        quote = db.session.scalars(select(Quote)).first()
        quote.rep_id = rep.id
        approval = approvals.ask(quote, rep, ["below_floor"], "Tender", {"prices": {}})
        db.session.commit()
        approval_id, rep_id = approval.id, rep.id
        heard = push.broker().subscribe([push.user_channel(rep_id)])
        assert analyst.role.value == "analyst"
    token = sign_in(client, "analyst@demo.test")
    page = client.get("/analyst/approvals").get_data(as_text=True)
    assert f'data-approval-id="{approval_id}"' in page and "Tender" in page
    client.post(
        f"/analyst/approvals/{approval_id}", data={"decision": "approve", "csrf_token": token}
    )
    with world.app_context():
        assert db.session.get(Approval, approval_id).status == ApprovalStatus.APPROVED
        assert heard.get(timeout=1) is not None
        push.broker().unsubscribe(heard)
    again = client.post(
        f"/analyst/approvals/{approval_id}",
        data={"decision": "decline", "csrf_token": token},
        follow_redirects=True,
    )
    assert "already approved" in again.get_data(as_text=True)


def test_refresh_command_reports_what_it_issued(world, runner):
    with world.app_context():
        soften(User.by_email("rep@demo.test"))
    result = runner.invoke(args=["guidance", "refresh"])
    assert result.exit_code == 0, result.output
    assert "issued" in result.output and "flight" in result.output
