"""A published version makes the cards in every gunicorn worker within about a second, with no
restart: embedded (SQLite, one worker) and scaled out (PostgreSQL + Redis, two workers)."""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import select

from frontline.extensions import db
from frontline.guidance import rulebook
from frontline.tables import Event, IssuedCard
from tests.factories import arrival
from tests.frontline.test_alert_reliability import floor  # noqa: F401 (the floor)
from tests.frontline.test_workbench import HEADLINE, NEW_HEADLINE, install_shipped_packs

GUESTS = [f"G{n:03d}" for n in range(50)]  # the floor's guests, each with a fresh complaint


@pytest.fixture
def published(floor):  # noqa: F811
    """The reliability tests' floor, with the shipped packs as version 1 in its database."""
    with floor["app"].app_context():
        install_shipped_packs()
    return floor


def arrive(server, token: str, guest: str) -> str:
    """Post an arrival through the API and answer its event id."""
    answer = requests.post(
        f"{server.url}/api/v1/events", json=arrival(guest),
        headers={"Authorization": f"Bearer {token}"}, timeout=10,
    )  # fmt: skip
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


def card_version(app, event_id: str) -> str:
    with app.app_context():
        query = (
            select(IssuedCard.pack_version)
            .join(IssuedCard.event)
            .where(IssuedCard.rule_id == "service-recovery")
        )
        return db.session.scalar(query.where(Event.external_id == event_id))


def test_a_publish_reaches_every_worker_within_a_second(deployment, published):
    _url, server_for = deployment
    app, token, guests = published["app"], published["token"], iter(GUESTS)
    with server_for() as server:
        assert card_version(app, arrive(server, token, next(guests))) == "v1"
        with app.app_context():
            pack = rulebook.pack_for("host")
            text = pack.draft.replace(HEADLINE, NEW_HEADLINE)
            rulebook.import_pack(text, None, "lead with the recovery", publish_it=True)
        published = time.monotonic()
        while card_version(app, arrive(server, token, next(guests))) != "v2":
            assert time.monotonic() - published < 1.5, "the new version took over a second"
            time.sleep(0.05)
        took = time.monotonic() - published
        time.sleep(max(0.0, 1.2 - took))  # every worker has looked by now
        later = [card_version(app, arrive(server, token, next(guests))) for _ in range(8)]
    assert later == ["v2"] * 8, later
