"""Hostile or careless input is a clear 4xx naming the field, on both databases (issue 15)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from frontline.extensions import db
from frontline.tables import Event, Guest, Visit
from tests.factories import arrival, make_floor, make_token

CARGO = ("cargo:write", "cargo:read", "events:write", "guests:write", "guests:read")


@pytest.fixture
def api(app, client):
    with app.app_context():
        make_floor()
        token = make_token(CARGO)

    def call(method: str, path: str, body=None, raw: bytes | None = None):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if raw is None:
            return client.open(f"/api/v1{path}", method=method, json=body, headers=headers)
        return client.open(f"/api/v1{path}", method=method, data=raw, headers=headers)

    return call


def count(app, table) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(table))


def guest(**fields) -> dict:
    return {"name": "Ava", "tier": "gold"} | fields


def visit(**fields) -> dict:
    day = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    return {"visit_date": day, "zone": "main_floor", "spend": "10.00", "theo_win": "5.00"} | fields


def errors(response) -> dict:
    assert response.is_json, response.data[:200]
    return response.json["errors"]["json"]


# -- JSON nested too deep ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "method"), [("/events", "POST"), ("/guests/G9", "PUT"), ("/cargo/quotes", "POST")]
)
def test_json_nested_100000_deep_is_400(api, path, method):
    response = api(method, path, raw=b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400
    assert "nested deeper" in response.json["errors"]["json"][0]


def test_deep_object_inside_location_is_400(api, app):
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    body = json.dumps(arrival("G1") | {"location": {"zone": "main_floor", "z": "DEEP"}})
    response = api("POST", "/events", raw=body.replace('"DEEP"', deep).encode())
    assert response.status_code == 400
    assert count(app, Event) == 0


# -- dates and datetimes in range ----------------------------------------------------------


def test_visit_dated_9999_is_refused(api, app):
    response = api("POST", "/guests/G1/visits", [visit(visit_date="9999-12-31")])
    assert response.status_code == 422
    assert "between" in errors(response)["0"]["visit_date"][0]
    assert count(app, Visit) == 1  # make_floor's own visit only


@pytest.mark.parametrize("when", ["0001-01-01T00:30+01:00", "9999-12-31T23:30-01:00"])
def test_datetime_that_overflows_utc_is_422(api, app, when):
    response = api("POST", "/events", arrival("G1", occurred_at=when))
    assert response.status_code == 422
    assert "occurred_at" in errors(response)
    assert count(app, Event) == 0


def test_flight_departing_year_1_is_422(api):
    flight = {
        "number": "FL1", "lane": "FRA-ORD", "departs_at": "0001-01-01T00:00+05:00",
        "arrives_at": "0001-01-01T09:00+05:00", "capacity_kg": 1000, "capacity_m3": "10.000",
    }  # fmt: skip
    response = api("POST", "/cargo/flights", [flight])
    assert response.status_code == 422
    assert "departs_at" in errors(response)["0"]


def test_event_far_in_the_future_is_refused_and_cannot_poison_the_order(api, app):
    future = (datetime.now(UTC) + timedelta(days=365 * 70)).isoformat()
    left = arrival("G1", "e-left", type="guest.left", occurred_at=future)
    left.pop("location")
    response = api("POST", "/events", left)
    assert response.status_code == 422
    assert "future" in errors(response)["occurred_at"][0]
    real = api("POST", "/events", arrival("G1", "e-real"))
    assert real.status_code == 202 and real.json["cards"] >= 1


def test_small_clock_skew_is_tolerated(api, app):
    ahead = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    assert api("POST", "/events", arrival("G1", occurred_at=ahead)).status_code == 202
    app.config["EVENT_MAX_FUTURE_SECONDS"] = 60
    assert api("POST", "/events", arrival("G1", occurred_at=ahead)).status_code == 422


# -- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("rate_per_kg", "1e999"), ("rate_per_kg", "1E+1000000"), ("usd_per_unit", "1E+100000"),
     ("rate_per_kg", "NaN"), ("rate_per_kg", "Infinity")],
)  # fmt: skip
def test_huge_or_non_finite_decimals_are_422(api, field, value):
    rate = {
        "id": "O1", "carrier": "Skyline", "lane": "FRA-ORD", "observed_on": "2026-01-05",
        "rate_per_kg": "2.10", "currency": "EUR", "usd_per_unit": "1.08", "transit_hours": 14,
    }  # fmt: skip
    response = api("POST", "/cargo/competitor-rates", [rate | {field: value}])
    assert response.status_code == 422
    assert field in errors(response)["0"]


@pytest.mark.parametrize("field", ["spend", "theo_win"])
def test_sub_cent_visit_money_is_refused_not_rounded(api, app, field):
    response = api("POST", "/guests/G1/visits", [visit(**{field: "10.005"})])
    assert response.status_code == 422
    assert "decimal places" in errors(response)["0"][field][0]
    assert count(app, Visit) == 1


# -- strings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_name", "why"), [('"Ava \\ud800"', "surrogate"), ('"Ava\\u0000"', "NUL")]
)
def test_names_with_lone_surrogate_or_nul_are_422(api, app, raw_name, why):
    response = api("PUT", "/guests/G9", raw=b'{"name": %s, "tier": "gold"}' % raw_name.encode())
    assert response.status_code == 422
    assert why in errors(response)["name"][0]
    assert count(app, Guest) == 1


def test_over_long_external_id_is_422(api, app):
    response = api("PUT", f"/guests/{'x' * 300}", guest())
    assert response.status_code == 422
    assert "external_id" in response.json["errors"]["path"]
    assert count(app, Guest) == 1


# -- list sizes and error reports ----------------------------------------------------------


def test_huge_list_is_refused_quickly_with_a_small_report(api):
    response = api("POST", "/cargo/quotes", raw=b"[" + b",".join([b"{}"] * 100_000) + b"]")
    assert response.status_code == 422
    assert len(response.data) < 10_000
    assert "at most" in str(response.json["errors"]).lower()


def test_error_report_is_capped_with_a_count(api):
    response = api("POST", "/cargo/quotes", [{}] * 400)
    assert response.status_code == 422
    assert len(response.data) < 20_000
    assert "more items have errors" in str(response.json["errors"])


# -- forms, queries and paths --------------------------------------------------------------


def test_nul_in_a_form_field_is_a_400_page(auth, app):
    from tests.conftest import csrf_from

    token = csrf_from(auth.client.get("/login").get_data(as_text=True))
    response = auth.client.post(
        "/login", data={"email": "ava\x00@example.test", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "email&#39; contains a NUL character" in response.get_data(as_text=True)


def test_nul_in_an_api_path_is_a_400(api):
    response = api("GET", "/guests/G%001")
    assert response.status_code == 400 and response.is_json
    assert "external_id" in response.json["message"]
