"""Cargo data in through /api/v1/cargo and CSV: every bad field reported, all or nothing."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from frontline.extensions import db
from frontline.imports import ImportFailed
from frontline.imports import cargo as cargo_import
from frontline.tables import (
    Booking,
    CompetitorOffer,
    Customer,
    CustomerTier,
    Flight,
    IssuedCard,
    Lane,
    Quote,
)
from tests.factories import make_token, make_user

DEPARTS = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0, second=0)


@pytest.fixture
def cargo(app):
    """A lane with its rep, a shipper, one flight five days out; and a cargo token."""
    with app.app_context():
        rep = make_user("rep", email="tom@example.test")
        lane = Lane(code="FRA-ORD", origin="FRA", destination="ORD", rep_id=rep.id)
        customer = Customer(
            code="C1", name="Acme", tier=CustomerTier.KEY, est_annual_spend=Decimal("1000000.00")
        )
        db.session.add_all([lane, customer])
        db.session.flush()
        flight = Flight(
            number="FL100", lane_id=lane.id, departs_at=DEPARTS,
            arrives_at=DEPARTS + timedelta(hours=9), capacity_kg=10000,
            capacity_m3=Decimal("60.000"), booked_kg=0, booked_m3=Decimal(0),
        )  # fmt: skip
        db.session.add(flight)
        db.session.commit()
        return {"token": make_token(["cargo:read", "cargo:write"]), "rep_id": rep.id}


def post(client, cargo, path: str, body):
    headers = {"Authorization": f"Bearer {cargo['token']}"}
    return client.post(f"/api/v1/cargo/{path}", json=body, headers=headers)


def booking(**kw) -> dict:
    return {
        "id": "B1", "flight_number": "FL100", "departs_at": DEPARTS.isoformat(),
        "customer": "C1", "weight_kg": 1200, "volume_m3": "7.000", "rate_per_kg": "2.35",
    } | kw  # fmt: skip


def count(app, table) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(table))


def test_bookings_fill_the_flight_once_and_push_the_outlook(app, client, cargo):
    first = post(client, cargo, "bookings", [booking()])
    assert first.status_code == 201 and first.json == {"created": 1, "updated": 0, "unchanged": 0}
    again = post(client, cargo, "bookings", [booking()])
    assert again.status_code == 200 and again.json["unchanged"] == 1
    changed = post(client, cargo, "bookings", [booking(weight_kg=5)])
    assert (
        changed.status_code == 422
        and "other values" in changed.json["errors"]["json"]["0"]["id"][0]
    )
    with app.app_context():
        flight = db.session.scalars(select(Flight)).one()
        assert flight.booked_kg == 1200 and flight.booked_m3 == Decimal("7.000")
        assert db.session.scalars(select(Booking)).one().rate_per_kg == Decimal("2.35")
        card = db.session.scalars(select(IssuedCard)).one()  # 12% loaded, five days out
        assert card.rule_id == "soft-departure" and card.assignee_id == cargo["rep_id"]


def test_bad_bookings_report_every_field_and_store_nothing(app, client, cargo):
    body = [
        booking(id="B2"),
        booking(id="B3", weight_kg=-5, rate_per_kg="2.345", customer="NOPE"),
        booking(id="B4", flight_number="FL999"),
        booking(id="B5", weight_kg=9000),
        booking(id="B6", weight_kg=9000),  # together with B5 more than the flight holds
    ]
    answer = post(client, cargo, "bookings", body)
    assert answer.status_code == 422
    errors = answer.json["errors"]["json"]
    assert set(errors["1"]) == {"weight_kg", "rate_per_kg"}
    assert "2" not in errors or "flight_number" in errors["2"]
    assert count(app, Booking) == 0
    answer = post(client, cargo, "bookings", body[:1] + body[2:])
    errors = answer.json["errors"]["json"]
    assert "No such flight" in errors["1"]["flight_number"][0]
    answer = post(client, cargo, "bookings", [body[0], body[3], body[4]])
    assert "has only" in answer.json["errors"]["json"]["2"]["weight_kg"][0]
    assert count(app, Booking) == 0


def test_unknown_lane_and_customer_are_named(client, cargo):
    quote = {
        "id": "Q1", "customer": "NOPE", "lane": "ZZZ-QQQ", "quoted_at": DEPARTS.isoformat(),
        "ready_date": date.today().isoformat(), "weight_kg": 500, "volume_m3": "1.000",
        "rate_per_kg": "2.10", "outcome": "lost",
    }  # fmt: skip
    errors = post(client, cargo, "quotes", [quote]).json["errors"]["json"]["0"]
    assert errors["customer"] == ["Unknown customer 'NOPE'."]
    assert errors["lane"] == ["Unknown lane 'ZZZ-QQQ'."]
    assert "lost_reason" in errors


def test_quotes_with_outcomes_are_idempotent_and_update_outcome(app, client, cargo):
    quote = {
        "id": "Q1", "customer": "C1", "lane": "FRA-ORD", "quoted_at": DEPARTS.isoformat(),
        "ready_date": date.today().isoformat(), "weight_kg": 500, "volume_m3": "1.000",
        "rate_per_kg": "2.10", "outcome": "pending",
    }  # fmt: skip
    assert post(client, cargo, "quotes", [quote]).json["created"] == 1
    won = quote | {"outcome": "won", "won_rate_per_kg": "2.15"}
    assert post(client, cargo, "quotes", [won]).json["updated"] == 1
    assert post(client, cargo, "quotes", [won]).json["unchanged"] == 1
    with app.app_context():
        stored = db.session.scalars(select(Quote)).one()
        assert stored.outcome.value == "won" and stored.won_rate_per_kg == Decimal("2.15")


def test_competitor_rate_in_another_currency_needs_a_rate(app, client, cargo):
    seen = {
        "id": "O1", "carrier": "Skyline", "lane": "FRA-ORD",
        "observed_on": date.today().isoformat(), "rate_per_kg": "2.10", "currency": "EUR",
        "transit_hours": 14,
    }  # fmt: skip
    refused = post(client, cargo, "competitor-rates", [seen])
    assert refused.status_code == 422
    assert "needs usd_per_unit" in refused.json["errors"]["json"]["0"]["usd_per_unit"][0]
    assert count(app, CompetitorOffer) == 0
    given = post(client, cargo, "competitor-rates", [seen | {"usd_per_unit": "1.082500"}])
    assert given.status_code == 201
    with app.app_context():
        row = db.session.scalars(select(CompetitorOffer)).one()
        assert row.rate_per_kg == Decimal("2.27")  # 2.27325, half to even, exact cents
        assert row.local_rate_per_kg == Decimal("2.10") and row.currency == "EUR"


def test_capacity_feed_and_board(app, client, cargo):
    flight = {
        "number": "FL100", "lane": "FRA-ORD", "departs_at": DEPARTS.isoformat(),
        "arrives_at": (DEPARTS + timedelta(hours=9)).isoformat(), "capacity_kg": 12000,
        "capacity_m3": "70.000",
    }  # fmt: skip
    assert post(client, cargo, "flights", [flight]).json["updated"] == 1
    late = flight | {"arrives_at": (DEPARTS - timedelta(hours=1)).isoformat(), "number": "FL9"}
    assert "arrives_at" in post(client, cargo, "flights", [late]).json["errors"]["json"]["0"]
    rows = client.get(
        "/api/v1/cargo/flights", headers={"Authorization": f"Bearer {cargo['token']}"}
    ).json
    assert rows[0]["capacity_kg"] == 12000 and rows[0]["band"] == "open"


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_reports_every_bad_row_by_line_and_column(app, cargo, tmp_path):
    departs = DEPARTS.isoformat()
    path = write(
        tmp_path,
        "bookings.csv",
        "id,flight_number,departs_at,customer,weight_kg,volume_m3,rate_per_kg\n"
        f"B1,FL100,{departs},C1,1000,5,2.35\n"
        f"B2,FL100,{departs},NOPE,-3,5,2.355\n"
        f"B3,FL999,{departs},C1,1000,5,2.35\n",
    )
    with app.app_context(), pytest.raises(ImportFailed) as failed:
        cargo_import.import_bookings(path)
    report = failed.value.report()
    assert "line 3, column customer: unknown customer 'NOPE'" in report
    assert "line 3, column weight_kg" in report and "line 3, column rate_per_kg" in report
    assert "line 4, column flight_number: no such flight" in report  # in the same report
    # Capacity and repeated ids are checked once every row is well formed.
    path.write_text(path.read_text().replace("NOPE,-3,5,2.355", "C1,9500,5,2.35"))
    path.write_text(path.read_text().replace("FL999", "FL100"))
    with app.app_context(), pytest.raises(ImportFailed) as failed:
        cargo_import.import_bookings(path)
    assert "line 3, column weight_kg: FL100 has only 9,000 kg free" in failed.value.report()
    assert count(app, Booking) == 0


def test_csv_competitor_rates_and_quotes_import(app, cargo, tmp_path, runner):
    rates = write(
        tmp_path,
        "rates.csv",
        "id,carrier,lane,observed_on,rate_per_kg,currency,usd_per_unit,transit_hours\n"
        f"O1,Skyline,FRA-ORD,{date.today()},2.10,EUR,,14\n",
    )
    result = runner.invoke(args=["import", "competitor-rates", str(rates)])
    assert result.exit_code != 0 and "line 2, column usd_per_unit" in result.output
    rates.write_text(rates.read_text().replace("EUR,,14", "EUR,1.0825,14"))
    result = runner.invoke(args=["import", "competitor-rates", str(rates)])
    assert "1 created" in result.output, result.output
    with app.app_context():
        assert db.session.scalars(select(CompetitorOffer)).one().rate_per_kg == Decimal("2.27")
