"""Push through Redis: fan-out between brokers and between gunicorn processes, and recovery.

Needs the Redis server named by FRONTLINE_TEST_REDIS_URL (FRONTLINE_REQUIRE_REDIS=1 turns its
absence into a failure). Every test uses its own key prefix, so runs never hear each other.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
import redis
import requests

from frontline import push
from tests.conftest import POSTGRES_URL, required
from tests.servers import GunicornServer, read_events

pytestmark = pytest.mark.redis

REDIS_URL = os.environ.get("FRONTLINE_TEST_REDIS_URL", "")


@pytest.fixture(scope="module")
def redis_url() -> str:
    if not REDIS_URL:
        if required("redis"):
            pytest.fail("FRONTLINE_REQUIRE_REDIS=1 but FRONTLINE_TEST_REDIS_URL is not set")
        pytest.skip("FRONTLINE_TEST_REDIS_URL is not set")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {REDIS_URL} is not reachable: {error}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def prefix() -> str:
    return f"frontline:test:{uuid.uuid4().hex[:12]}:push:"


@pytest.fixture
def brokers(redis_url, prefix):
    """Make RedisBrokers on the test's prefix (each stands for one process); all closed after."""
    made: list[push.RedisBroker] = []

    def make() -> push.RedisBroker:
        made.append(push.RedisBroker(redis_url, prefix))
        return made[-1]

    yield make
    for broker in made:
        broker.close()


def kill_listener(redis_url: str, name_start: str) -> int:
    """CLIENT KILL the pub/sub connections whose name starts so; how many there were."""
    client = redis.Redis.from_url(redis_url)
    try:
        ids = [
            c["id"] for c in client.client_list(_type="pubsub") if c["name"].startswith(name_start)
        ]
        for client_id in ids:
            client.client_kill_filter(_id=client_id)
        return len(ids)
    finally:
        client.close()


def drain(subscription, count: int, timeout: float = 5.0) -> list:
    """(event, data) of the messages that arrive (without the version inbox messages carry)."""
    deadline, messages = time.monotonic() + timeout, []
    while len(messages) < count and time.monotonic() < deadline:
        message = subscription.get(timeout=0.2)
        if message is not None:
            messages.append((message.event, message.data))
    return messages


# -- brokers in this process, each standing for a worker -------------------------------------


def test_published_in_one_broker_reaches_every_subscriber_of_another(brokers):
    here, there = brokers(), brokers()
    subscriptions = [there.subscribe(["user:1"]) for _ in range(20)] + [here.subscribe(["user:1"])]
    other_user = there.subscribe(["user:2"])
    sent = [push.Message("inbox", str(n)) for n in range(50)]

    for message in sent:
        here.publish("user:1", *message)

    assert all(drain(s, len(sent)) == sent for s in subscriptions)
    assert drain(other_user, 1, timeout=0.3) == []


def test_publish_many_signals_each_channel_in_order_with_its_own_version(brokers):
    """A batch of arrivals signals all of its people in one round trip: every channel gets
    its signal, counted up from its own version, in order with what was published before."""
    here, there = brokers(), brokers()
    listening = {c: there.subscribe([c]) for c in ("user:1", "user:2", "user:3")}
    here.publish("user:1", "inbox", "before")

    here.publish_many(["user:1", "user:2", "user:3"], "inbox", "new")

    first = [listening["user:1"].get(timeout=5) for _ in range(2)]
    assert [(m.event, m.data) for m in first] == [("inbox", "before"), ("inbox", "new")]
    assert int(first[1].id) == int(first[0].id) + 1
    for channel in ("user:2", "user:3"):
        message = listening[channel].get(timeout=5)
        assert (message.event, message.data) == ("inbox", "new")
        assert message.id == there.version(channel)


def test_subscribe_returns_only_once_redis_is_listening(brokers):
    publisher = brokers()
    for _ in range(5):
        listener = brokers()  # a fresh process: its first subscribe makes the connection
        subscription = listener.subscribe(["user:1"])
        publisher.publish("user:1", "inbox", "at once")
        assert drain(subscription, 1) == [("inbox", "at once")]
        listener.close()


def test_a_killed_listener_reconnects_and_resyncs_every_stream(brokers, redis_url):
    broker, publisher = brokers(), brokers()
    subscriptions = [broker.subscribe([f"user:{n}"]) for n in range(3)]

    assert kill_listener(redis_url, broker.client_name) == 1

    assert all(drain(s, 1) == [push.SYNC] for s in subscriptions)
    assert broker.reconnects == 1
    late = broker.subscribe(["user:1"])
    publisher.publish("user:1", "inbox", "after")
    assert drain(subscriptions[1], 1) == [("inbox", "after")]
    assert drain(late, 1) == [("inbox", "after")]


def wait_for_reconnect(broker: push.RedisBroker, subscription) -> None:
    assert drain(subscription, 1) == [push.SYNC] and broker.reconnects == 1


def test_a_version_published_while_the_listener_was_away_is_read_again(brokers, redis_url):
    """A phone that reconnects after a Redis blip must not be told its inbox is current from
    a version this worker kept from before: what changed meanwhile was never heard here."""
    broker, publisher = brokers(), brokers()
    stream = broker.subscribe(["user:9"])
    publisher.publish("user:1", "inbox", "before")
    before = broker.version("user:1")

    assert kill_listener(redis_url, broker.client_name) == 1
    publisher.publish("user:1", "inbox", "while away")  # lands before the 0.1 s backoff ends
    wait_for_reconnect(broker, stream)

    assert broker.version("user:1") == publisher.version("user:1") != before


def test_a_sign_out_published_while_the_listener_was_away_is_not_trusted_away(brokers, redis_url):
    """A ticket issued before the gap goes back to the Flask view (the database decides):
    its session may have signed out while this worker heard nothing."""
    broker, publisher = brokers(), brokers()
    stream = broker.subscribe(["user:9"])
    issued = time.time() - 1
    assert not broker.signed_out_since(["user:1", "session:abc"], issued)

    assert kill_listener(redis_url, broker.client_name) == 1
    publisher.publish("session:abc", *push.SIGNED_OUT)
    wait_for_reconnect(broker, stream)

    assert broker.signed_out_since(["user:1", "session:abc"], issued)
    assert not broker.signed_out_since(["user:1", "session:abc"], time.time())


def test_unreachable_redis_is_one_clear_line_and_publish_does_not_raise(prefix):
    broker = push.RedisBroker("redis://:hunter2@127.0.0.1:1/0", prefix)
    local = broker.local.subscribe(["user:1"])  # what this process's streams would hold
    started = time.monotonic()
    with pytest.raises(push.PushUnavailable) as failure:
        broker.subscribe(["user:1"])
    message = str(failure.value)

    assert time.monotonic() - started < 3
    assert "127.0.0.1:1" in message and "\n" not in message and "hunter2" not in message
    broker.publish("user:1", "inbox", "still told here")
    assert drain(local, 1) == [("inbox", "still told here")]
    broker.close()


def test_creating_the_app_connects_nothing(app, prefix):
    # A blackhole address: any connection attempt would hang for the connect timeout.
    app.config.update(REDIS_URL="redis://10.255.255.1:6379/0", PUSH_REDIS_PREFIX=prefix)
    started = time.monotonic()
    push.init_app(app)
    assert time.monotonic() - started < 0.5
    broker = push.broker(app)
    assert isinstance(broker, push.RedisBroker) and broker._thread is None


def test_a_stream_without_redis_answers_503_in_one_line(app, prefix):
    from tests.servers import LiveServer, add_push_test_routes

    app.config.update(REDIS_URL="redis://127.0.0.1:1/0", PUSH_REDIS_PREFIX=prefix)
    push.init_app(app)
    add_push_test_routes(app)
    with LiveServer(app) as server:
        answer = requests.get(f"{server.url}/_test/stream", timeout=10)
    assert answer.status_code == 503
    assert answer.text.startswith("push: Redis at redis://127.0.0.1:1/0 is unreachable")
    assert answer.text.count("\n") == 1


# -- separate gunicorn processes ----------------------------------------------------------------


def start(redis_url: str, prefix: str, database_url: str, workers: int = 1) -> GunicornServer:
    app = f"tests.servers:push_test_app(heartbeat_seconds=0.5, redis_prefix={prefix!r})"
    return GunicornServer(database_url, redis_url=redis_url, workers=workers, app=app)


def open_stream(http, server: GunicornServer, channel: str = "user:7"):
    response = http.get(f"{server.url}/_test/stream?channel={channel}", stream=True, timeout=5)
    assert response.status_code == 200, response.text
    return response


def publish(server: GunicornServer, channel: str = "user:7", data: str = "") -> None:
    answer = requests.post(
        f"{server.url}/_test/publish", data={"channel": channel, "data": data}, timeout=5
    )
    assert answer.status_code == 204


def next_event(events):
    return next(event for event in events if not event.comment)


def test_two_processes_signal_each_other_and_recover_from_a_kill(redis_url, prefix, tmp_path):
    with (
        start(redis_url, prefix, f"sqlite:///{tmp_path / 'a.sqlite3'}") as a,
        start(redis_url, prefix, f"sqlite:///{tmp_path / 'b.sqlite3'}") as b,
        requests.Session() as http,
        open_stream(http, a) as on_a,
        open_stream(http, b) as on_b,
    ):
        events_a, events_b = read_events(on_a), read_events(on_b)
        assert next_event(events_a).data == next_event(events_b).data == "sync"

        publish(a, data="from a")  # straight after connect: the subscription is already live
        publish(b, data="from b")
        for events in (events_a, events_b):
            assert [next_event(events).data for _ in range(2)] == ["from a", "from b"]

        (pid_b,) = b.worker_pids()
        assert kill_listener(redis_url, f"frontline-push-{pid_b}-") == 1
        assert next_event(events_b).data == "sync"  # B may have missed something: resync
        publish(a, data="after the kill")
        assert next_event(events_b).data == "after the kill"
        assert next_event(events_a).data == "after the kill"


def test_two_workers_of_one_server_share_every_signal(redis_url, prefix, request, tmp_path):
    if POSTGRES_URL or required("postgres"):
        database_url = request.getfixturevalue("postgres_schema_url")
    else:
        database_url = f"sqlite:///{tmp_path / 'push.sqlite3'}"
    with start(redis_url, prefix, database_url, workers=2) as server, requests.Session() as http:
        http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=50))
        assert len(server.worker_pids()) == 2
        streams, pids = [], set()
        while len(pids) < 2 and len(streams) < 40:
            response = open_stream(http, server)
            streams.append((response, read_events(response)))
            pids.add(int(response.headers["X-Worker-Pid"]))
        try:
            assert len(pids) == 2, "every stream landed on one worker"
            assert all(next_event(events).data == "sync" for _, events in streams)
            publish(server, data="to everyone")
            assert all(next_event(events).data == "to everyone" for _, events in streams)
        finally:
            for response, _ in streams:
                response.close()
