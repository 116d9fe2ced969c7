"""A phone's live stream ends within seconds of sign-out or of the person being disabled, over
real HTTP, embedded and scaled out (the stream may sit on another worker than the request that
signed out): a stream must never outlive the session that opened it (issue 15)."""

from __future__ import annotations

import html
import re
import threading
import time

import pytest
import requests

from frontline import create_app
from frontline.extensions import db
from tests.factories import make_shift, make_user, make_zone
from tests.phones import Phone
from tests.servers import TEST_SECRET

PASSWORD = "pw-for-tests"
ENDS_WITHIN = 5.0  # seconds: heartbeats come every 15 s, so an open stream cannot pass by luck
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STREAM_URL = re.compile(r'sse-connect="([^"]+)"')


@pytest.fixture
def people(deployment):
    url, _ = deployment
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": TEST_SECRET})
    with app.app_context():
        db.create_all()
        make_zone()
        host = make_user(role="host", email="maya@example.test", password=PASSWORD)
        make_shift(host)
        make_user(role="admin", email="admin@example.test", password=PASSWORD)
        host_id = host.id
    yield {"host_id": host_id}
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


class HeldStream:
    """A phone holding its stream; `ended` is set when the server closes it."""

    def __init__(self, phone: Phone):
        self.events: list[str] = []
        self.thread = phone.listen(lambda event: self.events.append(event.data), threading.Event())

    def ends_within(self, seconds: float) -> bool:
        self.thread.join(seconds)
        return not self.thread.is_alive()


def sign_out(phone: Phone) -> None:
    token = FORM_CSRF.search(phone.session.get(f"{phone.base_url}/host/", timeout=10).text)
    response = phone.session.post(
        f"{phone.base_url}/logout",
        data={"csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303, response.text


def test_sign_out_ends_that_browsers_stream_and_disabling_ends_every_other(deployment, people):
    _, server_for = deployment
    with server_for() as server:
        pocket = Phone(server.url, "maya@example.test", PASSWORD)
        tablet = Phone(server.url, "maya@example.test", PASSWORD)
        pocket_stream, tablet_stream = HeldStream(pocket), HeldStream(tablet)

        sign_out(pocket)
        assert pocket_stream.ends_within(ENDS_WITHIN), "the signed-out phone's stream stayed open"
        assert pocket_stream.events[-1] == "ended"  # the last event: the session ended
        assert not tablet_stream.ends_within(1.0), "another browser's session was ended too"

        admin = Phone(server.url, "admin@example.test", PASSWORD)
        page = admin.session.get(f"{server.url}/admin/", timeout=10).text
        response = admin.session.post(
            f"{server.url}/admin/users/{people['host_id']}/enabled",
            data={"csrf_token": FORM_CSRF.search(page).group(1)},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 303, response.text
        assert tablet_stream.ends_within(ENDS_WITHIN), "a disabled person's stream stayed open"
        assert tablet_stream.events[-1] == "ended"

        refused = tablet.session.get(f"{server.url}/host/stream", timeout=10, stream=True)
        assert "text/event-stream" not in refused.headers.get("Content-Type", "")
        for phone in (pocket, tablet, admin):
            phone.close()


def test_a_signed_out_page_refetching_its_inbox_is_sent_to_sign_in(deployment, people):
    """A page whose session ended is sent to sign-in at its next refetch (HX-Redirect)."""
    _, server_for = deployment
    with server_for() as server:
        phone = Phone(server.url, "maya@example.test", PASSWORD)
        sign_out(phone)
        response = phone.session.get(
            f"{server.url}/host/", headers={"HX-Request": "true"}, timeout=10
        )
        assert response.headers.get("HX-Redirect", "").startswith("/login")
        phone.close()


def test_the_ticket_of_a_signed_out_session_does_not_open_a_stream(deployment, people):
    """The page's stream ticket is checked without the database; after sign-out it is refused
    by every worker (they all heard the sign-out), and the view sends it to sign in."""
    _, server_for = deployment
    with server_for() as server:
        phone = Phone(server.url, "maya@example.test", PASSWORD)
        page = phone.session.get(f"{server.url}/host/", timeout=10).text
        stream_url = server.url + html.unescape(STREAM_URL.search(page).group(1))
        for _ in range(4):  # no cookie: the ticket alone opens it, on whichever worker
            with requests.get(stream_url, stream=True, timeout=10) as opened:
                assert opened.headers["Content-Type"].startswith("text/event-stream")

        sign_out(phone)
        time.sleep(0.5)  # the sign-out reaches every worker through the broker
        for _ in range(4):
            with requests.get(stream_url, stream=True, timeout=10) as refused:
                assert "text/event-stream" not in refused.headers.get("Content-Type", "")
        phone.close()
