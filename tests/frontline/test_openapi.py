"""The OpenAPI document says what the API really sends (issue 15: schemathesis findings)."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from frontline.extensions import db
from frontline.tables import Flight, Lane
from tests.factories import make_floor, make_token


def spec(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def test_exact_decimals_are_documented_as_strings(client):
    schemas = spec(client)["components"]["schemas"]
    for name in ("capacity_m3", "booked_m3", "displacement_cost"):
        prop = schemas["FlightRow"]["properties"][name]
        assert prop["type"] == "string" and prop["format"] == "decimal", (name, prop)
    spend = schemas["Visit"]["properties"]["spend"]
    assert spend["type"] == "string" and "minimum" not in spend
    assert re.match(spend["pattern"], "10.50") and not re.match(spend["pattern"], "10.005")


def test_flight_rows_match_their_schema(app, client):
    with app.app_context():
        lane = Lane(code="FRA-ORD", origin="FRA", destination="ORD")
        db.session.add(lane)
        db.session.flush()
        departs = datetime.now(UTC) + timedelta(days=2)
        db.session.add(
            Flight(
                number="FL1",
                lane_id=lane.id,
                departs_at=departs,
                arrives_at=departs + timedelta(hours=9),
                capacity_kg=1000,
                capacity_m3=Decimal("70.000"),
                booked_kg=0,
                booked_m3=Decimal(0),
            )
        )
        db.session.commit()
        token = make_token(("cargo:read",))
    rows = client.get("/api/v1/cargo/flights", headers={"Authorization": f"Bearer {token}"}).json
    props = spec(client)["components"]["schemas"]["FlightRow"]["properties"]
    for name in ("capacity_m3", "booked_m3"):
        assert isinstance(rows[0][name], str)
        assert re.match(props[name]["pattern"], rows[0][name])


def test_a_guest_off_property_has_a_nullable_zone(app, client):
    with app.app_context():
        make_floor()
        token = make_token()
    guest = client.get("/api/v1/guests/G1", headers={"Authorization": f"Bearer {token}"}).json
    assert guest["current_zone"] is None
    assert spec(client)["components"]["schemas"]["Guest"]["properties"]["current_zone"]["nullable"]


def test_the_guest_read_documents_its_404_and_422(client):
    responses = spec(client)["paths"]["/api/v1/guests/{external_id}"]["get"]["responses"]
    assert {"404", "422"} <= set(responses)
