"""Push: in-process fan-out, the SSE wire format over real HTTP, and gunicorn with open streams."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from frontline import push
from frontline.push.broker import CLOSED, MAX_BACKLOG
from frontline.push.sse import RETRY_JITTER_MS, RETRY_MS
from tests.servers import GunicornServer, LiveServer, add_push_test_routes, read_events

HEARTBEAT = 0.3


# -- LocalBroker ---------------------------------------------------------------------------


def drain(subscription, count: int, timeout: float = 5.0) -> list:
    deadline = time.monotonic() + timeout
    messages = []
    while len(messages) < count and time.monotonic() < deadline:
        message = subscription.get(timeout=0.5)
        if message is not None:
            messages.append(message)
    return messages


def pairs(messages: list) -> list[tuple[str, str]]:
    """(event, data) of each message, without the version `inbox` messages carry."""
    return [(m.event, m.data) for m in messages]


def test_every_subscriber_gets_every_message_in_order():
    broker = push.LocalBroker()
    subscriptions = [broker.subscribe(["user:1"]) for _ in range(100)]
    sent = [push.Message("inbox", str(n)) for n in range(200)]

    with ThreadPoolExecutor(max_workers=50) as pool:
        received = [pool.submit(drain, s, len(sent)) for s in subscriptions]
        for message in sent:
            broker.publish("user:1", *message)
        results = [future.result() for future in received]

    assert all([(m.event, m.data) for m in result] == sent for result in results)


def test_channels_are_separate_and_a_stream_can_follow_several():
    broker = push.LocalBroker()
    one, both = broker.subscribe(["user:1"]), broker.subscribe(["user:1", "user:2"])
    broker.publish("user:2", "inbox", "for two")
    broker.publish("user:1", "inbox", "for one")

    assert pairs(drain(one, 2, timeout=0.5)) == [("inbox", "for one")]
    assert pairs(drain(both, 2)) == [("inbox", "for two"), ("inbox", "for one")]


def test_unsubscribe_leaves_nothing_behind():
    broker = push.LocalBroker()
    subscriptions = [broker.subscribe(["user:1", f"user:{n}"]) for n in range(2, 12)]
    assert (broker.subscriber_count(), broker.channel_count()) == (10, 11)

    for subscription in subscriptions:
        broker.unsubscribe(subscription)
        broker.unsubscribe(subscription)  # twice is harmless

    assert (broker.subscriber_count(), broker.channel_count()) == (0, 0)
    broker.publish("user:1", "inbox", "nobody listens")


def test_a_subscriber_far_behind_gets_one_sync_instead_of_the_backlog():
    broker = push.LocalBroker()
    subscription = broker.subscribe(["user:1"])
    for n in range(MAX_BACKLOG + 5):
        broker.publish("user:1", "inbox", str(n))

    messages = drain(subscription, MAX_BACKLOG + 5, timeout=0.5)

    # The message that overflowed and all before it are covered by the SYNC (the inbox has them).
    assert messages[0] == push.SYNC
    expected = [("inbox", str(n)) for n in range(MAX_BACKLOG + 1, MAX_BACKLOG + 5)]
    assert pairs(messages[1:]) == expected


def test_close_ends_every_stream_and_refuses_new_ones():
    broker = push.LocalBroker()
    subscription = broker.subscribe(["user:1"])
    broker.close()

    assert subscription.get(timeout=1) is CLOSED
    with pytest.raises(push.PushUnavailable):
        broker.subscribe(["user:1"])


def test_names_and_wire_format():
    assert push.user_channel(42) == "user:42"
    assert push.format_event("inbox", "a\nb") == b"event: inbox\ndata: a\ndata: b\n\n"
    assert push.format_event("inbox", "") == b"event: inbox\ndata: \n\n"


def test_publish_refuses_what_cannot_be_sent(app):
    push.init_app(app)
    with app.app_context():
        for event in ("", "in\nbox"):
            with pytest.raises(ValueError):
                push.publish("user:1", event)
        with pytest.raises(ValueError):
            push.publish("", "inbox")


# -- SSE over real HTTP (werkzeug in a thread; SQLite and PostgreSQL) ------------------------


@pytest.fixture
def server(app):
    if "push" not in app.extensions:  # until create_app calls push.init_app itself
        push.init_app(app)
    app.config["PUSH_HEARTBEAT_SECONDS"] = HEARTBEAT
    add_push_test_routes(app)

    @app.get("/_test/db-stream")
    def db_stream():
        from frontline.extensions import db

        db.session.execute(sa.text("SELECT 1"))  # as a signed-in view would, via the session
        return push.stream(["user:1"])

    with LiveServer(app) as live:
        yield live
    push.shutdown(app)


def open_stream(http: requests.Session, url: str, channels=("user:1",)):
    return http.get(
        f"{url}/_test/stream", params={"channel": list(channels)}, stream=True, timeout=5
    )


def many_connections() -> requests.Session:
    http = requests.Session()
    http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=1000))
    return http


def publish(url: str, channel: str = "user:1", data: str = "", event: str = "inbox") -> None:
    answer = requests.post(
        f"{url}/_test/publish", data={"channel": channel, "data": data, "event": event}
    )
    assert answer.status_code == 204


def stats(url: str) -> dict:
    return requests.get(f"{url}/_test/stats", timeout=5).json()


def wait_for(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_stream_headers_and_sync_first_then_messages(server):
    with requests.Session() as http, open_stream(http, server.url) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Cache-Control"] == "no-store"  # private, never kept (issue 15)
        assert response.headers["X-Accel-Buffering"] == "no"
        events = read_events(response)
        first = next(events)
        assert (first.event, first.data) == ("inbox", "sync")
        assert RETRY_MS <= first.retry < RETRY_MS + RETRY_JITTER_MS

        publish(server.url, data="card 7\nescalated")
        publish(server.url, event="card", data="8")
        received = [next(e for e in events if not e.comment) for _ in range(2)]
    assert [(e.event, e.data) for e in received] == [("inbox", "card 7\nescalated"), ("card", "8")]


def test_every_connect_starts_with_sync_even_while_messages_fly(server):
    stop = threading.Event()

    def publish_constantly():
        with requests.Session() as http:
            while not stop.is_set():
                http.post(f"{server.url}/_test/publish", data={"channel": "user:1", "data": "x"})

    publisher = threading.Thread(target=publish_constantly)
    publisher.start()
    try:
        for _ in range(5):
            with requests.Session() as http, open_stream(http, server.url) as response:
                events = read_events(response)
                first = next(events)
                assert (first.event, first.data) == ("inbox", "sync")
                assert next(e for e in events if not e.comment).data == "x"
    finally:
        stop.set()
        publisher.join()


def test_heartbeats_keep_their_interval(server):
    with requests.Session() as http, open_stream(http, server.url) as response:
        beats = []
        for event in read_events(response):
            if event.comment == "heartbeat":
                beats.append(event.at)
            if len(beats) == 4:
                break
    gaps = [later - earlier for earlier, later in itertools.pairwise(beats)]
    assert all(HEARTBEAT * 0.8 <= gap <= HEARTBEAT * 2.5 for gap in gaps), gaps


def test_a_closed_client_is_unsubscribed(server):
    with requests.Session() as http:
        responses = [open_stream(http, server.url, [f"user:{n}"]) for n in range(5)]
        assert stats(server.url)["subscribers"] == 5
        for response in responses:
            response.close()
    # The server notices at its next write: a heartbeat at the latest.
    assert wait_for(lambda: stats(server.url)["subscribers"] == 0)
    assert stats(server.url)["channels"] == 0


def test_a_stream_ends_after_its_maximum_age(server, app):
    app.config["PUSH_MAX_STREAM_SECONDS"] = 1.0
    started = time.monotonic()
    with requests.Session() as http, open_stream(http, server.url) as response:
        events = list(read_events(response))
    assert 0.9 <= time.monotonic() - started <= 4
    assert (events[0].event, events[0].data) == ("inbox", "sync")
    assert wait_for(lambda: stats(server.url)["subscribers"] == 0)


def test_the_stream_holds_no_database_connection(server, app):
    from frontline.extensions import db

    with requests.Session() as http:
        response = http.get(f"{server.url}/_test/db-stream", stream=True, timeout=5)
        with response:
            assert next(read_events(response)).data == "sync"
            with app.app_context():
                assert db.engine.pool.checkedout() == 0


def test_streams_beyond_the_cap_are_refused_with_retry_after(server, app):
    app.config["PUSH_MAX_STREAMS"] = 2
    with requests.Session() as http:
        open_streams = [open_stream(http, server.url) for _ in range(2)]
        refused = open_stream(http, server.url)
        with refused:
            assert refused.status_code == 503
            assert 2 <= int(refused.headers["Retry-After"]) <= 10
            assert refused.text.count("\n") == 1
        for response in open_streams:
            response.close()


# -- under gunicorn, as deployed --------------------------------------------------------------


def test_gunicorn_answers_quickly_with_many_streams_open(tmp_path):
    app = "tests.servers:push_test_app(heartbeat_seconds=0.5)"
    database = f"sqlite:///{tmp_path / 'push.sqlite3'}"
    with GunicornServer(database, app=app) as server, many_connections() as http:
        responses = [open_stream(http, server.url, [f"user:{n}"]) for n in range(100)]
        readers = [read_events(response) for response in responses]
        assert all(next(reader).data == "sync" for reader in readers)

        started = time.monotonic()
        assert stats(server.url)["subscribers"] == 100
        assert time.monotonic() - started < 0.5

        publish(server.url, "user:42", data="hello")
        assert next(e for e in readers[42] if not e.comment).data == "hello"
        for response in responses[50:]:
            response.close()
        assert wait_for(lambda: stats(server.url)["subscribers"] == 50)

        stopping = time.monotonic()
        server.stop()  # SIGTERM ends the open streams at once
        assert time.monotonic() - stopping < 8
        for reader, response in zip(readers[:50], responses, strict=False):
            assert [e for e in reader if not e.comment] == []
            response.close()


#: A stream request that asks the server to close afterwards (a proxy, an HTTP/1.0 client).
LOST_PHONE_REQUEST = (
    b"GET /_test/stream?channel=lost HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
)


def test_refused_streams_their_phones_never_close_stall_nobody(tmp_path):
    """Phones that lost their Wi-Fi: refused at the cap, they never read the answer or close.
    Under the thread-per-stream worker, each such socket held gunicorn's accepting thread for
    up to 2 s (GET /login took 2-6 s); the event loop closes them without waiting."""
    app = "tests.servers:push_test_app()"
    database = f"sqlite:///{tmp_path / 'push.sqlite3'}"
    env = {"FRONTLINE_THREADS": "8", "FRONTLINE_PUSH_MAX_STREAMS": "4"}  # a cap of 4 either way
    with GunicornServer(database, app=app, env=env) as server, many_connections() as http:
        held = [open_stream(http, server.url, [f"user:{n}"]) for n in range(4)]
        assert all(response.status_code == 200 for response in held)
        host, port = server.url.removeprefix("http://").split(":")
        silent = []
        for _ in range(6):
            phone = socket.create_connection((host, int(port)))
            phone.sendall(LOST_PHONE_REQUEST)
            silent.append(phone)  # never read, never closed
        time.sleep(0.3)

        started = time.monotonic()
        for _ in range(5):
            assert requests.get(f"{server.url}/login", timeout=15).status_code == 200
        took = time.monotonic() - started

        for phone in silent:
            phone.settimeout(5)
            assert b" 503 " in phone.recv(100)  # they were refused, not left hanging
            phone.close()
        for response in held:
            response.close()
    assert took < 1.0, f"5 page loads took {took:.1f} s behind refused, unclosed streams"


def test_gunicorn_refuses_several_workers_without_redis(tmp_path):
    server = GunicornServer(f"sqlite:///{tmp_path / 'push.sqlite3'}", workers=2)
    with pytest.raises(RuntimeError, match="FRONTLINE_REDIS_URL"):
        server.__enter__()
