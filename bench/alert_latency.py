"""Alert latency: N phones hold push streams while arrivals are posted through the API.

    .venv/bin/python bench/alert_latency.py [--phones 1000] [--rate 50] [--seconds 20] [--redis]

Measures, per event: POST sent -> the card's host's phone gets the signal, and -> its inbox
fetch shows the new card; p50/p95/p99; events lost (no signal or card missing) and cards
duplicated (shown twice). Baseline, same run, same server: a bare publish through the push
layer's test endpoint (no database, no rules). Also ingestion alone: events/s with no phones,
against authenticated no-op requests/s as its baseline, and moves sent 50 per
POST /api/v1/events/batch.

Embedded: SQLite, one gunicorn worker, in-process push. --redis: PostgreSQL + Redis, two
workers (FRONTLINE_TEST_POSTGRES_URL and FRONTLINE_TEST_REDIS_URL, or the local defaults).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.security import generate_password_hash  # noqa: E402

from frontline import create_app  # noqa: E402
from frontline.extensions import db  # noqa: E402
from frontline.tables import Guest, Role, Shift, User, UserSession, Visit, Zone  # noqa: E402
from tests.factories import make_token  # noqa: E402
from tests.servers import TEST_SECRET, GunicornServer  # noqa: E402

BATCH = 50  # events per POST in the batched ingestion run
CARD_ID = re.compile(rb'data-card-id="(\d+)"')
#: asyncio keeps only weak references to tasks: hold them here until they finish.
BACKGROUND: set[asyncio.Task] = set()


def spawn(coro) -> asyncio.Task:
    task = asyncio.get_running_loop().create_task(coro)
    BACKGROUND.add(task)
    task.add_done_callback(BACKGROUND.discard)
    return task


# -- the world -----------------------------------------------------------------------------


def build_world(url: str, phones: int, guests_each: int) -> tuple[list[str], dict, str]:
    """Hosts on shift, each with guests who complained (so every arrival makes a card)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": TEST_SECRET})
    with app.app_context():
        db.create_all()
        db.session.add(Zone(code="main_floor", name="Main casino floor", kind="gaming"))
        start = datetime.now(UTC) - timedelta(hours=1)
        cheap = generate_password_hash("x", method="pbkdf2:sha256:1000")
        hosts = [
            User(
                email=f"h{i}@bench.test",
                display_name=f"Host {i}",
                role=Role.HOST,
                password_hash=cheap,
            )
            for i in range(phones)
        ]
        db.session.add_all(hosts)
        db.session.flush()
        owner: dict[str, int] = {}
        for i, host in enumerate(hosts):
            db.session.add(
                Shift(
                    user_id=host.id,
                    starts_at=start,
                    ends_at=start + timedelta(hours=8),
                    zones=["main_floor"],
                )
            )
            for j in range(guests_each):
                guest = Guest(
                    external_id=f"B{i}-{j}", name=f"Guest {i}-{j}", tier="gold", host_id=host.id
                )
                db.session.add(guest)
                db.session.flush()
                db.session.add(
                    Visit(
                        guest_id=guest.id,
                        visit_date=start.date() - timedelta(days=3),
                        zone="main_floor",
                        rating=1,
                        complaint="Slow bar.",
                    )
                )
                owner[guest.external_id] = i
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = [
            serializer.dumps({"_user_id": UserSession.start(h), "_fresh": True}) for h in hosts
        ]
        token = make_token()
        db.session.commit()
    return cookies, owner, token


# -- a minimal HTTP/1.1 client on asyncio (thousands of streams in one thread) ---------------


async def request(
    port: int, method: str, path: str, headers: dict, body: bytes = b""
) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {len(body)}\r\n\r\n"
    writer.write(head.encode() + body)
    status_line = await reader.readline()
    raw = await reader.read()
    writer.close()
    return int(status_line.split()[1]), raw


class PhoneStream:
    """One phone: its push stream, and its inbox read after each signal."""

    def __init__(self, index: int, cookie: str, port: int, lost_timeout: float) -> None:
        self.index, self.cookie, self.port = index, cookie, port
        self.signals: list[float] = []
        self.seen: set[int] = set()
        self.duplicates = 0
        self.arrivals: list[tuple[float, set[int]]] = []  # (fetch done, new card ids)
        self.ready = asyncio.Event()

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"GET /host/stream HTTP/1.1\r\nHost: x\r\nCookie: session={self.cookie}\r\n\r\n"
        writer.write(head.encode())
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"phone {self.index}: stream refused: {status!r}")
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        try:
            async for data in sse_data(reader):
                if data == "sync":
                    await self.fetch()
                    self.ready.set()
                else:
                    self.signals.append(time.perf_counter())
                    spawn(self.fetch())
        finally:
            writer.close()

    async def fetch(self) -> None:
        headers = {"Cookie": f"session={self.cookie}", "HX-Request": "true"}
        _, body = await request(self.port, "GET", "/host/", headers)
        ids = [int(i) for i in CARD_ID.findall(body)]
        self.duplicates += len(ids) - len(set(ids))
        new = set(ids) - self.seen
        self.seen |= new
        if new:
            self.arrivals.append((time.perf_counter(), new))


async def sse_data(reader: asyncio.StreamReader):
    """The data of each SSE event from a chunked response."""
    buffer = b""
    while True:
        size_line = await reader.readline()
        if not size_line:
            return
        size = int(size_line.strip() or b"0", 16)
        if size == 0:
            return
        buffer += await reader.readexactly(size)
        await reader.readexactly(2)
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            for line in block.decode().splitlines():
                if line.startswith("data:"):
                    yield line[5:].strip()


# -- the runs ------------------------------------------------------------------------------


def percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    ms = sorted(v * 1000 for v in values)
    p50, p95, p99 = (ms[min(len(ms) - 1, int(q * len(ms)))] for q in (0.50, 0.95, 0.99))
    return f"p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms  (n={len(ms)})"


@dataclass
class Sent:
    posted: float
    phone: int
    cards: int = 0  # how many cards the API said the event made
    status: int = 0


async def post_arrival(port: int, headers: dict, body: dict, sent: Sent) -> None:
    status, raw = await request(port, "POST", "/api/v1/events", headers, json.dumps(body).encode())
    sent.status = status
    if status in (200, 202):
        sent.cards = json.loads(raw.split(b"\r\n\r\n", 1)[1])["cards"]


async def latency_run(port: int, cookies, owner, token, rate: float, seconds: float) -> dict:
    phones = [PhoneStream(i, c, port, 5.0) for i, c in enumerate(cookies)]
    tasks = []
    for phone in phones:  # connect gradually, like a shift starting
        tasks.append(asyncio.create_task(phone.run()))
        await asyncio.sleep(0.002)
    await asyncio.wait_for(asyncio.gather(*(p.ready.wait() for p in phones)), timeout=120)
    guests = list(owner)
    sent: list[Sent] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        guest = guests[n % len(guests)]
        body = {
            "id": str(uuid.uuid4()),
            "type": "guest.arrived",
            "occurred_at": datetime.now(UTC).isoformat(),
            "guest_id": guest,
            "location": {"zone": "main_floor"},
            "source": "card_in",
        }
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        sent.append(Sent(time.perf_counter(), owner[guest]))
        spawn(post_arrival(port, headers, body, sent[-1]))
    await asyncio.sleep(5.0)  # a card not on its phone by now counts as lost
    for task in tasks:
        task.cancel()
    await asyncio.gather(*(phone.fetch() for phone in phones))  # the final word: each inbox
    return measure(sent, phones)


def measure(sent: list[Sent], phones: list[PhoneStream]) -> dict:
    """Per phone, in order: an event's latency is when its phone first had all its cards."""
    signal_lat, inbox_lat, lost = [], [], 0
    for phone in phones:
        events = [e for e in sent if e.phone == phone.index]
        cumulative, shown = 0, np.cumsum([len(ids) for _, ids in phone.arrivals])
        for event in events:
            cumulative += event.cards
            reached = int(np.searchsorted(shown, cumulative)) if event.cards else None
            if reached is None or reached >= len(shown):
                lost += event.cards > 0 or event.status >= 300
                continue
            inbox_lat.append(max(phone.arrivals[reached][0] - event.posted, 0.0))
            later = [t for t in phone.signals if t >= event.posted]
            if later:
                signal_lat.append(later[0] - event.posted)
    return {
        "signal": signal_lat,
        "inbox": inbox_lat,
        "lost": lost,
        "duplicated": sum(p.duplicates for p in phones),
        "sent": len(sent),
        "failed": sum(1 for e in sent if e.status >= 300 or e.status == 0),
    }


async def bare_push_run(port: int, samples: int = 200) -> list[float]:
    """Baseline: publish through the push layer alone and time the stream's delivery."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /_test/stream?channel=bench HTTP/1.1\r\nHost: x\r\n\r\n")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    stream = sse_data(reader)
    await anext(stream)  # sync
    latencies = []
    for n in range(samples):
        started = time.perf_counter()
        body = f"channel=bench&event=inbox&data={n}".encode()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        await request(port, "POST", "/_test/publish", form, body)
        while (await anext(stream)) != str(n):
            pass
        latencies.append(time.perf_counter() - started)
    writer.close()
    return latencies


class KeepAlive:
    """One persistent HTTP/1.1 connection, as an integration's client library would hold."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None

    async def send(self, method: str, path: str, headers: dict, body: bytes) -> int:
        if self.reader is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await self.reader.readexactly(length)
        return status


async def throughput(
    port: int, path: str, make_body, headers: dict, count: int, concurrency: int
) -> float:
    queue = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    statuses: list[int] = []

    async def worker():
        connection = KeepAlive(port)
        while not queue.empty():
            n = queue.get_nowait()
            method = "POST" if make_body else "GET"
            body = json.dumps(make_body(n)).encode() if make_body else b""
            statuses.append(await connection.send(method, path, headers, body))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    bad = [s for s in statuses if s >= 300]
    if bad:
        print(f"  warning: {len(bad)} requests answered {sorted(set(bad))}")
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--ingest", type=int, default=3000, help="events for the ingestion run")
    parser.add_argument(
        "--connections", type=int, default=32, help="keep-alive connections posting at once"
    )
    parser.add_argument("--redis", action="store_true", help="PostgreSQL + Redis + 2 workers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url, server_kwargs = setup(args.redis, scratch)
        shape = "PostgreSQL + Redis, 2 workers" if args.redis else "SQLite, 1 worker"
        print(f"Setting up {args.phones} hosts ({shape})...")
        cookies, owner, token = build_world(url, args.phones, guests_each=3)
        app = "tests.servers:push_test_app()"
        with GunicornServer(url, app=app, **server_kwargs) as server:
            port = int(server.url.rsplit(":", 1)[1])
            report(asyncio.run(run_all(port, cookies, owner, token, args)), args)


def setup(redis: bool, scratch: str) -> tuple[str, dict]:
    threads = {"FRONTLINE_THREADS": "1200"}
    if not redis:
        return f"sqlite:///{scratch}/bench.sqlite3", {"env": threads}
    import sqlalchemy as sa

    base = os.environ.get(
        "FRONTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with sa.create_engine(base).begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    redis_url = os.environ.get("FRONTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    env = threads | {"FRONTLINE_THREADS": "700", "FRONTLINE_PUSH_REDIS_PREFIX": f"bench:{schema}:"}
    return f"{base}?options=-csearch_path%3D{schema}", {
        "env": env,
        "redis_url": redis_url,
        "workers": 2,
    }


async def run_all(port, cookies, owner, token, args) -> dict:
    bare = await bare_push_run(port)
    latency = await latency_run(port, cookies, owner, token, args.rate, args.seconds)
    auth = {"Authorization": f"Bearer {token}"}
    connections = args.connections
    noop = await throughput(port, "/api/v1/token", None, auth, args.ingest, connections)
    guests = list(owner)

    def events_of(kind: str):
        def body(n: int) -> dict:
            return {
                "id": f"ingest-{kind}-{n}",
                "type": kind,
                "occurred_at": datetime.now(UTC).isoformat(),
                "guest_id": guests[n % len(guests)],
                "location": {"zone": "main_floor"},
                "source": "beacon",
            }

        return body

    async def post_all(kind: str) -> float:
        headers = auth | {"Content-Type": "application/json"}
        return await throughput(
            port, "/api/v1/events", events_of(kind), headers, args.ingest, connections
        )

    ingest = await post_all("guest.moved")
    arrivals = await post_all("guest.arrived")
    moves = events_of("guest.moved-batch")

    def batch(n: int) -> dict:
        events = [moves(n * BATCH + k) | {"type": "guest.moved"} for k in range(BATCH)]
        return {"events": events}

    batched = BATCH * await throughput(
        port, "/api/v1/events/batch", batch, auth | {"Content-Type": "application/json"},
        args.ingest // BATCH, min(connections, 8),
    )  # fmt: skip
    return {
        "bare": bare,
        "latency": latency,
        "noop": noop,
        "ingest": ingest,
        "arrivals": arrivals,
        "batched": batched,
    }


def report(results: dict, args) -> None:
    lat = results["latency"]
    load = f"{args.rate:g} events/s for {args.seconds:g} s ({lat['sent']} events)"
    print(f"\n{args.phones} phones connected, {load}")
    print(f"  POST -> signal on the phone   {percentiles(lat['signal'])}")
    print(f"  POST -> card in inbox fetch   {percentiles(lat['inbox'])}")
    print(f"  baseline: bare push publish   {percentiles(results['bare'])}")
    if lat["signal"] and results["bare"]:
        ratio = statistics.median(lat["signal"]) / statistics.median(results["bare"])
        print(f"  signal p50 / bare push p50    {ratio:.1f}x")
    print(f"  lost {lat['lost']}   duplicated {lat['duplicated']}   POSTs failed {lat['failed']}")
    print(f"\ningestion, {args.connections} connections posting one event per request:")
    print(f"  moves (stored, no cards)       {results['ingest']:,.0f} events/s")
    print(f"  arrivals (rules, cards, push)  {results['arrivals']:,.0f} events/s")
    print(f"{f'  moves, {BATCH} per batch POST':<33}{results['batched']:,.0f} events/s")
    print(
        f"  baseline: authenticated no-op  {results['noop']:,.0f} requests/s "
        f"(moves are {results['ingest'] / results['noop']:.2f}x of it)"
    )


if __name__ == "__main__":
    main()
