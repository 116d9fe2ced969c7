"""The phone platform (issue 14): taps sent twice count once, sign-in brings you back, static
files are hashed, immutable and compressed, the stream syncs only a stale inbox, the app shell."""

import gzip
import json
import re

import brotli
import pytest
from sqlalchemy import select

from frontline import push
from frontline.extensions import db
from frontline.tables import CardAction, IssuedCard, UserSession
from tests.factories import (
    arrival,
    make_guest,
    make_shift,
    make_token,
    make_user,
    make_visit,
    make_zone,
)


@pytest.fixture
def alert(app, client):
    with app.app_context():
        make_zone()
        host = make_user(role="host", email="maya@example.test")
        make_shift(host)
        guest = make_guest(host=host, external_id="G1", name="Ava Walsh")
        make_visit(guest, days_ago=15, rating=2, complaint="Room not ready at check-in.")
        token, host_id = make_token(), host.id
    response = client.post(
        "/api/v1/events", json=arrival("G1"), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 202
    with app.app_context():
        return db.session.scalar(select(IssuedCard.id).where(IssuedCard.assignee_id == host_id))


def test_a_tap_sent_twice_is_recorded_once(app, auth, alert):
    auth.login("host", email="maya@example.test")
    data = {"action": "acknowledge", "tap_id": "phone-1-tap-1", "csrf_token": auth.csrf_token()}
    for _ in range(2):
        response = auth.client.post(f"/host/cards/{alert}/actions", data=data)
        assert response.status_code == 303
    assert "Not recorded" not in auth.client.get(f"/host/cards/{alert}").get_data(as_text=True)
    with app.app_context():
        query = select(CardAction.action).where(CardAction.card_id == alert)
        taps = db.session.scalars(
            query.where(CardAction.action != "seen").order_by(CardAction.id)
        )  # "seen": the card was viewed
        assert taps.all() == ["issued", "acknowledge"]


def test_a_new_tap_id_is_a_new_tap(app, auth, alert):
    auth.login("host", email="maya@example.test")
    token = auth.csrf_token()
    url = f"/host/cards/{alert}/actions"
    auth.client.post(url, data={"action": "acknowledge", "tap_id": "t1", "csrf_token": token})
    auth.client.post(url, data={"action": "on_my_way", "tap_id": "t2", "csrf_token": token})
    with app.app_context():
        query = select(CardAction.tap_id).where(CardAction.card_id == alert)
        assert db.session.scalars(query.order_by(CardAction.id)).all() == [None, "t1", "t2"]


def test_an_expired_session_mid_tap_sends_the_page_to_sign_in_and_back(app, auth, alert):
    auth.login("host", email="maya@example.test")
    token = auth.csrf_token()
    with app.app_context():
        db.session.execute(db.delete(UserSession))
        db.session.commit()
    response = auth.client.post(
        f"/host/cards/{alert}/actions",
        data={"action": "acknowledge", "csrf_token": token},
        headers={"HX-Request": "true", "HX-Current-URL": f"http://phone/host/cards/{alert}"},
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/login?next=/host/cards/{alert}"
    signed_in = auth.client.post(
        response.headers["HX-Redirect"],
        data={
            "email": "maya@example.test",
            "password": "pw-for-tests",
            "csrf_token": auth.csrf_token("/login"),
        },
    )
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == f"/host/cards/{alert}"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "host/"])
def test_sign_in_never_leaves_the_site(auth, target):
    auth.login("host", email="maya@example.test")
    auth.logout()
    response = auth.client.post(
        f"/login?next={target}",
        data={
            "email": "maya@example.test",
            "password": "pw-for-tests",
            "csrf_token": auth.csrf_token("/login"),
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/host/"


def _static_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def test_static_files_have_hashed_names_and_are_immutable(client):
    urls = _static_urls(client.get("/login").get_data(as_text=True))
    assert any(u.startswith("/static/css/app.") for u in urls) and len(urls) >= 5
    for url in urls:
        assert re.search(r"\.[0-9a-f]{10}\.\w+$", url), url
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Cookie" not in response.headers.get("Vary", ""), url


def test_static_text_is_precompressed_brotli_or_gzip(client):
    url = next(
        u for u in _static_urls(client.get("/login").get_data(as_text=True)) if "htmx-2" in u
    )
    plain = client.get(url, headers={"Accept-Encoding": "identity"}).data
    br = client.get(url, headers={"Accept-Encoding": "br, gzip"})
    gz = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert br.headers["Content-Encoding"] == "br" and brotli.decompress(br.data) == plain
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == plain
    assert len(br.data) < len(plain) / 3
    again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": br.headers["ETag"]})
    assert again.status_code == 304


def test_pages_are_compressed(auth, alert):
    auth.login("host", email="maya@example.test")
    response = auth.client.get("/host/", headers={"Accept-Encoding": "br"})
    assert response.headers["Content-Encoding"] == "br"
    assert "Ava Walsh" in brotli.decompress(response.data).decode()
    assert "Accept-Encoding" in response.headers["Vary"]


def _first_event(client, url: str, headers: dict | None = None) -> bytes:
    response = client.get(url, buffered=False, headers=headers or {})
    try:
        return next(iter(response.response))
    finally:
        response.close()


def test_the_stream_syncs_only_an_inbox_that_changed(app, auth, alert):
    auth.login("host", email="maya@example.test")
    page = auth.client.get("/host/").get_data(as_text=True)
    stream_url = re.search(r'sse-connect="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "?v=" in stream_url
    first = _first_event(auth.client, stream_url)
    assert b"data: sync" not in first
    shown = re.search(rb"id: (\d+)", first).group(1).decode()  # what EventSource keeps
    with app.app_context():
        card = db.session.get(IssuedCard, alert)
        card.headline = "Changed since the page was made"
        db.session.commit()
        push.publish(push.user_channel(card.assignee_id), "inbox", "changed")  # as actions do
    assert b"event: inbox\ndata: sync" in _first_event(auth.client, stream_url)
    assert b"data: sync" in _first_event(auth.client, "/host/stream")  # no version: sync
    # A reconnect says what it has (Last-Event-ID): the page's own version no longer counts.
    again = _first_event(auth.client, stream_url, {"Last-Event-ID": shown})
    assert b"data: sync" in again
    current = re.search(rb"id: (\d+)", again).group(1).decode()
    assert b"data: sync" not in _first_event(auth.client, stream_url, {"Last-Event-ID": current})


def test_the_manifest_makes_an_installable_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).mimetype == "image/png"


def test_the_service_worker_names_its_shell_and_version(client):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "public, no-cache"
    source = response.get_data(as_text=True)
    assert "__SHELL__" not in source and "__VERSION__" not in source
    shell = json.loads(re.search(r"var SHELL = (\[.*?\]);", source).group(1))
    assert "/offline" in shell
    for url in shell:
        assert client.get(url).status_code == 200, url
    assert client.get("/favicon.ico").mimetype in ("image/vnd.microsoft.icon", "image/x-icon")


def test_the_rep_stream_syncs_only_a_stale_home(app, auth):
    auth.login("rep")
    page = auth.client.get("/rep/").get_data(as_text=True)
    stream_url = re.search(r'sse-connect="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert b"data: sync" not in _first_event(auth.client, stream_url)
    assert b"data: sync" in _first_event(auth.client, stream_url.replace("v=", "v=stale"))


def test_the_version_is_compared_once_the_stream_listens(app, monkeypatch):
    """Compared before subscribing, a card arriving in between would be missed for good."""
    broker, listening = push.broker(app), []
    read_version = broker.version

    def version(channel: str) -> str:
        listening.append(broker.subscriber_count())
        return read_version(channel)

    monkeypatch.setattr(broker, "version", version)
    with app.test_request_context():
        response = push.stream(["user:1"], "a version from before")
        assert b"data: sync" in next(iter(response.response))
        response.close()
    assert listening == [1] and broker.subscriber_count() == 0


def test_a_changed_shell_file_makes_a_new_worker_version(app, client):
    def version() -> str:
        return re.search(r'var VERSION = "(\w+)"', client.get("/sw.js").get_data(as_text=True))[1]

    before = version()
    assert version() == before  # the same deploy: the phone keeps its worker
    files = app.extensions["static_files"]
    files.hashed["css/app.css"] = "css/app.0123456789.css"  # as a deploy with new CSS names it
    assert version() != before
