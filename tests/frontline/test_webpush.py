"""Web Push end to end: a routed card reaches the host's device through a push service that
checks the VAPID signature and decrypts the payload with the device's keys (tests/push_service)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from frontline.casino.escalation import escalate_overdue
from frontline.extensions import db
from frontline.push import web
from frontline.tables import IssuedCard, PushSubscription, UserSession, utcnow
from tests.factories import (
    arrival,
    make_guest,
    make_shift,
    make_token,
    make_user,
    make_visit,
    make_zone,
)
from tests.push_service import PushService, b64encode


@pytest.fixture
def service(app):
    keys = web.generate_keys()
    app.config.update(
        VAPID_PRIVATE_KEY=keys["private_key"],
        VAPID_PUBLIC_KEY=keys["public_key"],
        WEBPUSH_SERVICES=("127.0.0.1",),
        WEBPUSH_ALLOW_HTTP=True,
    )
    with PushService(keys["public_key"]) as running:
        yield running


@pytest.fixture
def floor(app):
    with app.app_context():
        make_zone()
        host = make_user(role="host", email="maya@example.test")
        make_shift(host)
        guest = make_guest(host=host, external_id="G1", name="Ava Walsh")
        make_visit(guest, days_ago=15, rating=2, complaint="Room not ready at check-in.")
        return {"token": make_token(), "host_id": host.id}


def subscribe(auth, service, name: str):
    device = service.device(name)
    data = {
        "endpoint": service.endpoint(name),
        "p256dh": device.p256dh(),
        "auth": b64encode(device.auth),
        "csrf_token": auth.csrf_token("/host/"),
    }
    return auth.client.post("/phone/push-subscription", data=data)


def arrive(client, floor, guest: str) -> None:
    response = client.post(
        "/api/v1/events",
        json=arrival(guest, zone="main_floor"),
        headers={"Authorization": f"Bearer {floor['token']}"},
    )
    assert response.status_code == 202, response.text


def wait_for_pushes(app) -> None:
    assert app.extensions["webpush"].wait()


def test_a_routed_card_reaches_the_device_signed_and_encrypted(app, auth, client, service, floor):
    auth.login("host", email="maya@example.test")
    assert subscribe(auth, service, "maya-phone").status_code == 204
    arrive(client, floor, "G1")
    wait_for_pushes(app)
    assert service.refused == []
    [delivery] = service.delivered
    with app.app_context():
        card = db.session.scalars(select(IssuedCard).order_by(IssuedCard.id.desc())).first()
        assert delivery.payload == {
            "title": "Ava Walsh",
            "body": card.headline,
            "url": f"/host/cards/{card.id}",
            "tag": f"card-{card.id}",
        }
    assert delivery.claims["sub"] == app.config["VAPID_SUBJECT"]
    assert 0 < delivery.ttl <= 300


def test_an_escalated_card_is_pushed_to_its_new_owner(app, auth, client, service, floor):
    with app.app_context():
        manager = make_user(role="host", email="lee@example.test")
        make_shift(manager, manager=True)
    auth.login("host", email="lee@example.test")
    assert subscribe(auth, service, "lee-phone").status_code == 204
    arrive(client, floor, "G1")
    wait_for_pushes(app)
    assert service.delivered == []  # the card went to Maya, who has no device
    with app.app_context():
        assert escalate_overdue(utcnow().replace(microsecond=0) + timedelta(minutes=10), 5) == 1
    wait_for_pushes(app)
    [delivery] = service.delivered
    assert delivery.payload["title"] == "Ava Walsh · passed on to you"


def test_a_device_its_service_calls_gone_is_forgotten(app, auth, client, service, floor):
    auth.login("host", email="maya@example.test")
    assert subscribe(auth, service, "old-phone").status_code == 204
    assert subscribe(auth, service, "new-phone").status_code == 204
    service.gone.add("old-phone")
    arrive(client, floor, "G1")
    wait_for_pushes(app)
    assert [d.device for d in service.delivered] == ["new-phone"]
    with app.app_context():
        left = db.session.scalars(select(PushSubscription.endpoint)).all()
    assert left == [service.endpoint("new-phone")]


def test_signing_out_ends_the_devices_alerts(app, auth, client, service, floor):
    auth.login("host", email="maya@example.test")
    assert subscribe(auth, service, "maya-phone").status_code == 204
    with app.app_context():
        assert db.session.scalar(select(PushSubscription.session_id)) is not None
    auth.logout()
    with app.app_context():
        assert db.session.scalars(select(UserSession)).all() == []
        assert db.session.scalars(select(PushSubscription)).all() == []
    arrive(client, floor, "G1")
    wait_for_pushes(app)
    assert service.delivered == []


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("https://evil.example/push/1", "evil.example is not a known push service"),
        ("ftp://127.0.0.1/x", "the push endpoint must be an https URL"),
        ("", "the push endpoint must be an https URL"),
    ],
)
def test_a_subscription_is_checked(app, auth, service, floor, endpoint, message):
    auth.login("host", email="maya@example.test")
    device = service.device("x")
    response = auth.client.post(
        "/phone/push-subscription",
        data={
            "endpoint": endpoint,
            "p256dh": device.p256dh(),
            "auth": "a" * 22,
            "csrf_token": auth.csrf_token("/host/"),
        },
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_malformed_keys_are_refused(app, auth, service, floor):
    auth.login("host", email="maya@example.test")
    response = auth.client.post(
        "/phone/push-subscription",
        data={
            "endpoint": service.endpoint("x"),
            "p256dh": "short",
            "auth": "",
            "csrf_token": auth.csrf_token("/host/"),
        },
    )
    assert response.status_code == 400
    assert "p256dh and auth are missing or malformed" in response.get_data(as_text=True)


def test_push_keys_command_writes_a_pair(app, runner, tmp_path):
    app.instance_path = str(tmp_path)
    result = runner.invoke(args=["push", "keys", "--write"])
    assert result.exit_code == 0, result.output
    from frontline.config import vapid_keys

    keys = vapid_keys(str(tmp_path), {})
    assert len(keys["VAPID_PRIVATE_KEY"]) == 43 and len(keys["VAPID_PUBLIC_KEY"]) == 87
    kept = runner.invoke(args=["push", "keys", "--write", "--if-missing"])
    assert "kept" in kept.output
    assert vapid_keys(str(tmp_path), {}) == keys
