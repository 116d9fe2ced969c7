"""Who to call: chosen by lane or zone, deal size and who is on duty; kept by the admin."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from frontline.cargo import contacts as cargo_contacts
from frontline.casino import contacts as casino_contacts
from frontline.extensions import db
from frontline.plans import directory
from frontline.tables import DirectoryEntry, IssuedCard, Lane
from tests.factories import make_zone

WEDNESDAY_10 = datetime(2026, 11, 25, 10, tzinfo=UTC)
WEDNESDAY_20 = datetime(2026, 11, 25, 20, tzinfo=UTC)
SATURDAY_10 = datetime(2026, 11, 28, 10, tzinfo=UTC)


def entry(business, market, role, name, days="12345", start=8, end=18, phone="+49 69 1000"):
    row = DirectoryEntry(
        business=business, market=market, role=role, name=name, phone=phone,
        email=f"{name.split()[0].lower()}@example.test", duty_days=days, duty_from=start,
        duty_to=end,
    )  # fmt: skip
    db.session.add(row)
    return row


@pytest.fixture
def people(app):
    with app.app_context():
        entry("cargo", "FRA-ORD", "product_manager", "Paula Ord", phone="+49 (69) 555-01")
        entry("cargo", "FRA-JFK", "product_manager", "Jack Jfk")
        entry("cargo", "*", "pricing_analyst", "Pia Pricing", days="1234567", start=6, end=22)
        entry("cargo", "*", "on_call_approver", "Otto Oncall", days="1234567", start=0, end=24)
        entry("casino", "high_limit", "zone_manager", "Zoe Zone", days="1234567", start=20, end=8)
        entry("casino", "*", "on_call_approver", "Cas Oncall", days="1234567", start=0, end=24)
        db.session.commit()
    return app


def test_a_large_deal_reaches_the_lanes_product_manager(people):
    with people.app_context():
        big, small = Decimal("2500000"), Decimal("40000")
        chosen = cargo_contacts.for_deal("FRA-ORD", big, False, WEDNESDAY_10)
        assert chosen.entry.name == "Paula Ord" and chosen.why == "Lane product manager, FRA-ORD"
        assert chosen.tel == "tel:+496955501" and chosen.sms == "sms:+496955501"
        assert cargo_contacts.for_deal("FRA-JFK", big, False, WEDNESDAY_10).entry.name == "Jack Jfk"
        at_limit = cargo_contacts.for_deal("FRA-ORD", Decimal("2000000"), False, WEDNESDAY_10)
        assert at_limit.entry.name == "Pia Pricing"  # above $2M, not at it
        assert cargo_contacts.for_deal("FRA-ORD", small, True, WEDNESDAY_10).entry.name == (
            "Pia Pricing"
        )


def test_off_duty_hands_over_to_the_on_call_approver(people):
    with people.app_context():
        big = Decimal("2500000")
        evening = cargo_contacts.for_deal("FRA-ORD", big, False, WEDNESDAY_20)
        assert evening.entry.name == "Otto Oncall" and "Paula Ord" in evening.why
        assert "off duty" in evening.why
        weekend = cargo_contacts.for_deal("FRA-ORD", big, False, SATURDAY_10)
        assert weekend.entry.name == "Otto Oncall"
        # a large deal on a lane with no product manager of its own: the on-call approver
        nobody = cargo_contacts.for_deal("FRA-DXB", big, False, WEDNESDAY_10)
        assert (nobody.entry.name, nobody.why) == ("Otto Oncall", "On call now")


def test_the_zone_manager_on_an_overnight_shift(people):
    with people.app_context():
        card = IssuedCard(escalation_level=1, offer=None)
        guest = type("G", (), {"current_zone": "high_limit"})()
        at_night = datetime(2026, 11, 26, 3, tzinfo=UTC)  # Thursday 03:00, shift began Wednesday
        assert casino_contacts.for_card(card, guest, at_night).entry.name == "Zoe Zone"
        assert casino_contacts.for_card(card, guest, WEDNESDAY_10).entry.name == "Cas Oncall"
        guest.current_zone = "spa"
        assert casino_contacts.for_card(card, guest, at_night).entry.name == "Cas Oncall"


def test_a_host_card_needs_help_when_escalated_or_beyond_authority():
    calm = IssuedCard(escalation_level=0, offer={"max_value": "200"})
    assert not casino_contacts.needs_help(calm, Decimal(500))
    assert casino_contacts.needs_help(calm, Decimal(100))
    assert casino_contacts.needs_help(IssuedCard(escalation_level=1, offer=None), Decimal(500))


def test_nobody_in_the_directory_means_no_contact(app):
    with app.app_context():
        assert cargo_contacts.for_deal("FRA-ORD", Decimal(3_000_000), True, WEDNESDAY_10) is None


GOOD = {
    "business": "cargo", "market": "FRA-ORD", "role": "product_manager",
    "name": "Ngozi Adeyemi-Whitfield", "phone": "+49 69 5500 3100",
    "email": "ngozi@example.test", "duty_days": "54321", "duty_from": "7", "duty_to": "19",
}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"market": "XXX-YYY"}, "market", "no lane 'XXX-YYY'"),
        ({"phone": "call me"}, "phone", "is not a phone number"),
        ({"role": "zone_manager"}, "role", "for cargo one of"),
        ({"duty_from": "25"}, "duty_from", "an hour from 0 to 24"),
        ({"duty_days": "89"}, "duty_days", "1 = Monday"),
        ({"name": ""}, "name", "needed"),
        ({"email": "nope"}, "email", "not an e-mail address"),
        ({"duty_to": "7"}, "duty_to", "must differ from the start hour"),
        ({"business": "ferries"}, "business", "must be cargo or casino"),
    ],
)
def test_the_admin_gets_a_field_error_and_nothing_is_written(
    app, client, auth, change, field, words
):
    with app.app_context():
        db.session.add(Lane(code="FRA-ORD", origin="FRA", destination="ORD"))
        db.session.commit()
    auth.login("admin")
    data = {**GOOD, **change, "csrf_token": auth.csrf_token("/admin/directory")}
    answer = client.post("/admin/directory", data=data)
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert f'data-field="{field}"' in page and words in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DirectoryEntry)) == 0


def test_the_admin_adds_edits_and_removes_a_person(app, client, auth):
    with app.app_context():
        db.session.add(Lane(code="FRA-ORD", origin="FRA", destination="ORD"))
        make_zone()
        db.session.commit()
    auth.login("admin")
    token = auth.csrf_token("/admin/directory")
    assert client.post("/admin/directory", data={**GOOD, "csrf_token": token}).status_code == 303
    with app.app_context():
        saved = db.session.scalars(select(DirectoryEntry)).one()
        assert (saved.duty_days, saved.duty_from, saved.duty_to) == ("12345", 7, 19)
        entry_id = saved.id
    page = client.get("/admin/directory").get_data(as_text=True)
    assert "Ngozi Adeyemi-Whitfield" in page and 'href="tel:+49 69 5500 3100"' in page
    moved = {**GOOD, "business": "casino", "market": "main_floor", "role": "zone_manager"}
    answer = client.post(f"/admin/directory/{entry_id}", data={**moved, "csrf_token": token})
    assert answer.status_code == 303
    with app.app_context():
        assert db.session.get(DirectoryEntry, entry_id).market == "main_floor"
    client.post(f"/admin/directory/{entry_id}/delete", data={"csrf_token": token})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DirectoryEntry)) == 0


def test_only_the_admin_keeps_the_directory(app, client, auth):
    auth.login("analyst")
    assert client.get("/admin/directory").status_code == 403


def test_on_duty_days_and_hours():
    row = DirectoryEntry(duty_days="12345", duty_from=22, duty_to=6)
    friday_23 = datetime(2026, 11, 27, 23, tzinfo=UTC)
    saturday_03 = datetime(2026, 11, 28, 3, tzinfo=UTC)  # Friday's night shift
    sunday_03 = datetime(2026, 11, 29, 3, tzinfo=UTC)  # Saturday had no shift
    assert directory.on_duty(row, friday_23) and directory.on_duty(row, saturday_03)
    assert not directory.on_duty(row, sunday_03)


@pytest.mark.parametrize(
    ("days", "hours", "text"),
    [
        ("1234567", (0, 24), "every day, round the clock"),
        ("12345", (5, 21), "Mon-Fri, 5-21 h UTC"),
        ("135", (22, 6), "Mon, Wed, Fri, 22-6 h UTC"),
    ],
)
def test_duty_reads_as_words(days, hours, text):
    assert DirectoryEntry(duty_days=days, duty_from=hours[0], duty_to=hours[1]).duty_text == text


def test_an_escalated_host_card_names_the_zone_manager(app, client, auth):
    from datetime import timedelta

    from frontline.casino.escalation import escalate_overdue
    from frontline.tables import utcnow
    from tests.factories import arrival, make_guest, make_shift, make_token, make_user, make_visit

    with app.app_context():
        make_zone()
        host = make_user(role="host", email="maya@example.test", comp_authority=300)
        make_shift(host)
        guest = make_guest(host=host, external_id="G1", name="Ava Walsh")
        make_visit(guest, days_ago=15, rating=2, complaint="Room not ready at check-in.")
        manager = make_user(role="host", email="boss@example.test", display_name="Rita Moreno")
        make_shift(manager, zones=("main_floor",), manager=True)
        entry("casino", "main_floor", "zone_manager", "Zena Floor-Manager", days="1234567",
              start=0, end=24, phone="+1 702 555 0100")  # fmt: skip
        db.session.commit()
        token = make_token()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/events", json=arrival("G1"), headers=headers).status_code == 202
    with app.app_context():
        card = db.session.scalar(select(IssuedCard).where(IssuedCard.rule_id == "service-recovery"))
        card_id = card.id
    auth.login("host", email="maya@example.test")
    calm = client.get(f"/host/cards/{card_id}").get_data(as_text=True)
    assert "Zena Floor-Manager" not in calm  # not escalated, no offer beyond authority
    with app.app_context():
        assert escalate_overdue(utcnow() + timedelta(minutes=6), minutes=5) >= 1
    auth.logout()
    auth.login("host", email="boss@example.test")
    page = client.get(f"/host/cards/{card_id}").get_data(as_text=True)
    assert "Zena Floor-Manager" in page and 'href="tel:+17025550100"' in page
