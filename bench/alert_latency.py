"""Alert latency under load: phones hold push streams while integrations post arrivals.

    .venv/bin/python bench/alert_latency.py            # embedded: SQLite, one worker
    .venv/bin/python bench/alert_latency.py --redis    # PostgreSQL + Redis, FRONTLINE_WORKERS (2)

The production path: gunicorn with frontline.gunicorn_conf serving 'frontline:create_app()'
(your FRONTLINE_* variables are passed on; --redis takes FRONTLINE_TEST_POSTGRES_URL and
FRONTLINE_TEST_REDIS_URL, or the local defaults, and drops its schema afterwards). Arrivals are
real POST /api/v1/events, as an integration sends them. A phone loads its inbox page, opens the
stream the page names (ticket and inbox version), and re-reads its inbox fragment on every
signal, as the page does.

Per step (1,000 / 3,000 / 10,000 phones, each at 50 / 100 / 150 arrivals/s): POST -> signal on
the phone, POST -> card in the inbox it fetched, the fetch itself (p50/p99), lost, duplicated,
refused (streams and POSTs), memory and threads of the server processes; the first step that
misses a target is the saturation point. Then a reconnect storm (5,000 phones dropped and
back within 1 s while arrivals go on), and beyond capacity: POSTs at four times the top rate
for 4 s, then a burst of POSTs and of pages at once (503 + Retry-After, how fast, any hang,
any worker restart). Memory counts every process under gunicorn (workers, writer processes).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import random
import re
import resource
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.security import generate_password_hash  # noqa: E402

from frontline import create_app  # noqa: E402
from frontline.extensions import db  # noqa: E402
from frontline.tables import Guest, Role, Shift, User, UserSession, Visit, Zone  # noqa: E402
from tests.factories import make_token  # noqa: E402
from tests.servers import TEST_SECRET, GunicornServer  # noqa: E402

CARD_ID = re.compile(rb'data-card-id="(\d+)"')
STREAM_URL = re.compile(rb'sse-connect="([^"]+)"')
TARGETS = {"signal_p99": 0.100, "inbox_p99": 0.150}
HTTP_TIMEOUT = 20.0  # a request not answered by then is a hang
#: asyncio keeps only weak references to tasks: hold them here until they finish.
BACKGROUND: set[asyncio.Task] = set()


def spawn(coro) -> asyncio.Task:
    task = asyncio.get_running_loop().create_task(coro)
    BACKGROUND.add(task)
    task.add_done_callback(BACKGROUND.discard)
    return task


# -- the world -----------------------------------------------------------------------------


def build_world(url: str, phones: int, guests_each: int) -> tuple[list[str], list[str], str]:
    """Hosts on shift, each with guests who complained (so every arrival makes a card).

    Returns each host's session cookie, each guest's external id (guest i*guests_each + j
    belongs to host i), and an API token."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": TEST_SECRET})
    with app.app_context():
        db.create_all()
        db.session.add(Zone(code="main_floor", name="Main casino floor", kind="gaming"))
        start = datetime.now(UTC) - timedelta(hours=1)
        cheap = generate_password_hash("x", method="pbkdf2:sha256:1000")
        hosts = [
            User(email=f"h{i}@bench.test", display_name=f"Host {i}", role=Role.HOST,
                 password_hash=cheap)
            for i in range(phones)
        ]  # fmt: skip
        db.session.add_all(hosts)
        db.session.flush()
        shift = {"starts_at": start, "ends_at": start + timedelta(hours=8), "zones": ["main_floor"]}
        db.session.add_all(Shift(user_id=host.id, **shift) for host in hosts)
        guests = [
            Guest(external_id=f"B{i}-{j}", name=f"Guest {i}-{j}", tier="gold", host_id=host.id)
            for i, host in enumerate(hosts)
            for j in range(guests_each)
        ]
        db.session.add_all(guests)
        db.session.flush()
        visit_day = start.date() - timedelta(days=3)
        db.session.add_all(
            Visit(guest_id=g.id, visit_date=visit_day, zone="main_floor", rating=1,
                  complaint="Slow bar.")
            for g in guests
        )  # fmt: skip
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = [
            serializer.dumps({"_user_id": UserSession.start(h), "_fresh": True}) for h in hosts
        ]
        token = make_token()
        db.session.commit()
        external = [g.external_id for g in guests]
    return cookies, external, token


# -- a minimal HTTP/1.1 client on asyncio (thousands of streams in one thread) ---------------


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict, bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed before answering")
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        body = b""
        while size := int((await reader.readline()).strip() or b"0", 16):
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        await reader.readline()
    else:
        body = await reader.read()
    return int(status_line.split()[1]), headers, body


async def request(port: int, method: str, path: str, headers: dict, body: bytes = b""):
    """One request on a connection of its own, closed afterwards (whatever the answer)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request_bytes(method, path, headers, body))
        return await asyncio.wait_for(read_response(reader), HTTP_TIMEOUT)
    finally:
        writer.close()


def request_bytes(method: str, path: str, headers: dict, body: bytes) -> bytes:
    """An HTTP/1.1 request asking the server to close the connection after answering."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


class Pool:
    """Keep-alive connections shared by the phones' inbox fetches (sockets are scarce here)."""

    def __init__(self, port: int, size: int) -> None:
        self.port, self.idle = port, asyncio.Queue()
        for _ in range(size):
            self.idle.put_nowait(None)

    async def get(self, path: str, headers: dict, took: list | None = None):
        """(status, headers, body); appends to `took` how long the server took (from when a
        connection of this client's pool was free)."""
        connection = await self.idle.get()
        started = time.perf_counter()
        try:
            for attempt in (1, 2):  # the server may have closed an idle one
                if connection is None:
                    connection = await asyncio.open_connection("127.0.0.1", self.port)
                reader, writer = connection
                head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                writer.write((head + "".join(f"{k}: {v}\r\n" for k, v in headers.items()))
                             .encode() + b"\r\n")  # fmt: skip
                try:
                    answer = await asyncio.wait_for(read_response(reader), HTTP_TIMEOUT)
                except (ConnectionError, asyncio.IncompleteReadError):
                    writer.close()
                    connection = None
                    if attempt == 2:
                        raise
                    continue
                if answer[1].get("connection") == "close":
                    writer.close()
                    connection = None
                if took is not None:
                    took.append(time.perf_counter() - started)
                return answer
        finally:
            self.idle.put_nowait(connection)
        raise AssertionError("unreachable")


async def sse_blocks(reader: asyncio.StreamReader):
    """(event, data, id) of each SSE block of a chunked response, as it arrives."""
    buffer = b""
    while size_line := await reader.readline():
        size = int(size_line.strip() or b"0", 16)
        if size == 0:
            return
        buffer += await reader.readexactly(size)
        await reader.readexactly(2)
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            fields: dict[str, str] = {}
            for line in block.decode().splitlines():
                name, _, value = line.partition(":")
                if name:
                    fields[name] = value.strip()
            yield fields.get("event", ""), fields.get("data"), fields.get("id")


# -- a phone -------------------------------------------------------------------------------


class Phone:
    """A host's phone: its inbox page, its stream, and an inbox fetch after each signal."""

    def __init__(self, index: int, cookie: str, port: int, pool: Pool) -> None:
        self.index, self.port, self.pool = index, port, pool
        self.cookie = {"Cookie": f"session={cookie}"}
        self.stream_path = ""
        self.last_id: str | None = None
        self.seen: set[int] = set()
        self.duplicates = 0
        self.writer: asyncio.StreamWriter | None = None
        self.connected_at = 0.0
        self.syncs: list[float] = []  # when each sync's fetch finished
        self.reset()

    def reset(self) -> None:
        self.signals: list[float] = []
        self.arrivals: list[tuple[float, set[int]]] = []  # (fetch done, new card ids)
        self.fetches: list[float] = []  # how long each inbox fetch took

    async def load_page(self) -> None:
        status, headers, body = await self.pool.get("/host/", self.cookie)
        self.keep_cookie(headers)
        if status != 200:
            raise RuntimeError(f"phone {self.index}: inbox page answered {status}")
        self.stream_path = html.unescape(STREAM_URL.search(body).group(1).decode())
        self.absorb(body)

    async def connect(self) -> int:
        """Open the stream; its HTTP status (a refused one is read and closed at once)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        last = f"Last-Event-ID: {self.last_id}\r\n" if self.last_id else ""
        writer.write(f"GET {self.stream_path} HTTP/1.1\r\nHost: x\r\n{last}{self.cookie_line}\r\n"
                     .encode())  # fmt: skip
        try:
            status_line = await asyncio.wait_for(reader.readline(), HTTP_TIMEOUT)
            status = int(status_line.split()[1]) if status_line else 0
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
        except (TimeoutError, ConnectionError, ValueError, IndexError):
            status = 0
        if status != 200:
            if os.environ.get("BENCH_DEBUG"):
                print(status_line, await reader.read(300), file=sys.stderr)
            writer.close()
            return status
        self.writer, self.connected_at = writer, time.perf_counter()
        spawn(self.listen(reader, writer))
        return status

    def keep_cookie(self, headers: dict) -> None:
        """Keep the session cookie the server sent back, as a browser does (it notes the
        last request at most once a minute; a phone that resent its first cookie for ever
        would make the server sign a new one on every request)."""
        cookie = headers.get("set-cookie", "")
        if cookie.startswith("session="):
            self.cookie = {"Cookie": cookie.split(";", 1)[0]}

    @property
    def cookie_line(self) -> str:
        return f"Cookie: {self.cookie['Cookie']}\r\n"

    async def listen(self, reader, writer) -> None:
        try:
            async for event, data, id_ in sse_blocks(reader):
                if id_:
                    self.last_id = id_
                if event != "inbox" or data is None:
                    continue
                if data == "sync":
                    spawn(self.fetch(sync=True))
                else:
                    self.signals.append(time.perf_counter())
                    spawn(self.fetch())
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            writer.close()
            if self.writer is writer:
                self.writer = None

    def drop(self) -> None:
        """The Wi-Fi blinked: the connection is gone without a goodbye."""
        if self.writer is not None:
            self.writer.transport.abort()
            self.writer = None

    async def fetch(self, sync: bool = False, timed: bool = True) -> None:
        headers = self.cookie | {"HX-Request": "true"}
        status, answer, body = await self.pool.get(
            "/host/", headers, self.fetches if timed else None
        )
        done = time.perf_counter()
        self.keep_cookie(answer)
        if status == 200:
            self.absorb(body, done)
        if sync:
            self.syncs.append(done)

    def absorb(self, body: bytes, at: float = 0.0) -> None:
        ids = [int(i) for i in CARD_ID.findall(body)]
        self.duplicates += len(ids) - len(set(ids))
        new = set(ids) - self.seen
        self.seen |= new
        if new:
            self.arrivals.append((at or time.perf_counter(), new))


async def connect_phones(phones: list[Phone], per_second: float) -> dict:
    """Phones come on shift: each loads its page and opens its stream, spread over time."""
    statuses: list[int] = []
    retried: list[int] = []

    async def one(phone: Phone, delay: float) -> None:
        await asyncio.sleep(delay)
        status, deadline = 0, time.perf_counter() + 120
        while status != 200 and time.perf_counter() < deadline:
            try:
                await phone.load_page()
                status = await phone.connect()
            except (OSError, RuntimeError, TimeoutError, asyncio.IncompleteReadError):
                status = 0
            if status != 200:  # busy (503, Retry-After): the page tries again, as a phone does
                retried.append(status)
                await asyncio.sleep(1.0 + random.random())
        statuses.append(status)

    started = time.perf_counter()
    await asyncio.gather(*(one(p, n / per_second) for n, p in enumerate(phones)))
    joined = time.perf_counter() - started
    settled = await settle(phones[0].port, phones[0].cookie)
    refused = sum(1 for s in statuses if s != 200)
    return {"seconds": joined, "settled": settled, "refused": refused, "retried": len(retried)}


async def settle(port: int, cookie: dict, quick: float = 0.05, limit: float = 30.0) -> float:
    """Wait until the server has worked off a ramp (the first syncs' fetches, pages retried
    late): three page loads in a row each answered within QUICK s, or LIMIT s. How long."""
    started, quick_ones = time.perf_counter(), 0
    await asyncio.sleep(2.0)
    while quick_ones < 3 and time.perf_counter() - started < limit:
        began = time.perf_counter()
        try:
            status, _, _ = await request(port, "GET", "/host/", cookie)
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            status = 0
        quick_ones = quick_ones + 1 if status == 200 and time.perf_counter() - began < quick else 0
        await asyncio.sleep(0.2)
    return time.perf_counter() - started


# -- arrivals and what the phones saw ------------------------------------------------------


@dataclass
class Sent:
    posted: float
    phone: int
    status: int = 0
    cards: int = 0
    answered: float = 0.0
    retry_after: bool = False
    server: float | None = None  # a 503's Server-Timing: the worker's own time to give it (s)


def server_timing(headers: dict) -> float | None:
    """The worker's own time (s) from a 503's `Server-Timing: app;dur=<ms>`, if it has one."""
    found = re.search(r"app;dur=([\d.]+)", headers.get("server-timing", ""))
    return float(found.group(1)) / 1000 if found else None


def arrival_body(guest: str) -> dict:
    """A guest.arrived event as the card-in integration sends it."""
    return {
        "id": str(uuid.uuid4()), "type": "guest.arrived",
        "occurred_at": datetime.now(UTC).isoformat(), "guest_id": guest,
        "location": {"zone": "main_floor"}, "source": "card_in",
    }  # fmt: skip


async def post_arrival(port: int, token: str, guest: str, sent: Sent) -> None:
    body = arrival_body(guest)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        status, answer, raw = await request(
            port, "POST", "/api/v1/events", headers, json.dumps(body).encode()
        )
    except (OSError, TimeoutError, asyncio.IncompleteReadError):
        status, answer, raw = 0, {}, b""
    sent.status, sent.answered = status, time.perf_counter()
    sent.retry_after, sent.server = "retry-after" in answer, server_timing(answer)
    if status in (200, 202):
        sent.cards = json.loads(raw)["cards"]


async def post_arrivals(port, token, guests, guests_each, rate, seconds) -> list[Sent]:
    sent: list[Sent] = []
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        guest = random.choice(guests)
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        sent.append(Sent(time.perf_counter(), int(guest.split("-")[0][1:])))
        spawn(post_arrival(port, token, guest, sent[-1]))
    return sent


def measure(sent: list[Sent], phones: list[Phone]) -> dict:
    """Per phone, in order: an event's latency is when its phone first had all its cards."""
    signal_lat, inbox_lat, lost = [], [], 0
    by_phone: dict[int, list[Sent]] = {}
    for event in sent:
        by_phone.setdefault(event.phone, []).append(event)
    for index, events in by_phone.items():
        phone = phones[index]
        cumulative, shown = 0, np.cumsum([len(ids) for _, ids in phone.arrivals])
        for event in events:
            if event.status not in (200, 202):
                continue
            cumulative += event.cards
            reached = int(np.searchsorted(shown, cumulative)) if event.cards else None
            if reached is None or reached >= len(shown):
                lost += event.cards > 0
                continue
            inbox_lat.append(max(phone.arrivals[reached][0] - event.posted, 0.0))
            later = [t for t in phone.signals if t >= event.posted]
            if later:
                signal_lat.append(later[0] - event.posted)
    return {
        "signal": signal_lat,
        "inbox": inbox_lat,
        "fetch": [f for p in phones for f in p.fetches],
        "lost": lost,
        "duplicated": sum(p.duplicates for p in phones),
        "sent": len(sent),
        "refused_posts": sum(1 for e in sent if e.status == 503),
        "failed_posts": sum(1 for e in sent if e.status not in (200, 202, 503)),
    }


async def latency_step(port, token, phones, guests, guests_each, rate, seconds) -> dict:
    for phone in phones:
        phone.reset()
    sent = await post_arrivals(port, token, guests, guests_each, rate, seconds)
    await asyncio.sleep(3.0)  # a card not on its phone by now counts as lost
    touched = {e.phone for e in sent}
    await asyncio.gather(*(phones[i].fetch(timed=False) for i in touched))  # the final word
    return measure(sent, phones)


# -- the storm and beyond capacity ---------------------------------------------------------


async def page_sampler(port: int, cookie: dict, stop: asyncio.Event) -> list[float]:
    """An ordinary page (a host's full inbox page) every 50 ms, on a fresh connection."""
    times = []
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status, _, _ = await request(port, "GET", "/host/", cookie)
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            status = 0
        times.append(time.perf_counter() - started if status == 200 else HTTP_TIMEOUT)
        await asyncio.sleep(0.05)
    return times


async def storm_step(port, token, phones, all_phones, guests, guests_each, rate) -> dict:
    """Drop every phone's stream at once; each comes back within 1 s, arrivals going on."""
    for phone in all_phones:
        phone.reset()
    stop = asyncio.Event()
    sampler = spawn(page_sampler(port, phones[0].cookie, stop))
    arrivals = spawn(post_arrivals(port, token, guests, guests_each, rate, 12.0))
    await asyncio.sleep(1.0)
    dropped_at = time.perf_counter()
    syncs_before = {p.index: len(p.syncs) for p in phones}
    for phone in phones:
        phone.drop()

    failed: list[int] = []

    async def back(phone: Phone) -> int:
        await asyncio.sleep(random.random())
        status = await phone.connect()
        while status != 200 and time.perf_counter() - dropped_at < 30:
            failed.append(status)
            await asyncio.sleep(1.0 + random.random())  # what EventSource does after a 503
            status = await phone.connect()
        return status

    statuses = await asyncio.gather(*(back(p) for p in phones))
    back_at = max(p.connected_at for p in phones) - dropped_at
    sent = await arrivals
    await asyncio.sleep(3.0)
    stop.set()
    pages = await sampler
    touched = {e.phone for e in sent}
    await asyncio.gather(*(all_phones[i].fetch(timed=False) for i in touched))
    result = measure(sent, all_phones)
    resynced = [p.syncs[-1] - dropped_at for p in phones if len(p.syncs) > syncs_before[p.index]]
    result.update(
        phones=len(phones), back=sum(1 for s in statuses if s == 200), back_seconds=back_at,
        resyncs=len(resynced), resync_max=max(resynced, default=0.0), pages=pages,
        failed={str(s): failed.count(s) for s in set(failed)},
    )  # fmt: skip
    return result


@dataclass
class Flooded:
    """One request of a flood and its answer."""

    status: int = 0
    retry_after: bool = False
    server: float | None = None  # a 503's Server-Timing: the worker's own time to give it (s)
    started: float = 0.0  # the client began connecting
    sent: float = 0.0  # the request went out (every connection of the flood was open by then)
    answered: float = 0.0


async def flood(port: int, count: int, method: str, path: str, headers: dict, body) -> list:
    """COUNT requests at once. Every connection is opened first, then every request is sent:
    `answered - sent` is then the server's part (its accept, parse and answer) plus this
    client reading it, and `answered - started` also holds this one client opening COUNT
    connections at once on the server's cores."""
    floods = [Flooded() for _ in range(count)]

    async def connect(one: Flooded):
        one.started = time.perf_counter()
        try:
            return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), HTTP_TIMEOUT)
        except (OSError, TimeoutError):
            one.answered = time.perf_counter()
            return None

    async def ask(one: Flooded, connection) -> None:
        if connection is None:
            return
        reader, writer = connection
        try:
            writer.write(request_bytes(method, path, headers, body()))
            one.sent = time.perf_counter()
            status, answer, _ = await asyncio.wait_for(read_response(reader), HTTP_TIMEOUT)
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            status, answer = 0, {}
        finally:
            writer.close()
        one.answered = time.perf_counter()
        one.status, one.retry_after = status, "retry-after" in answer
        one.server = server_timing(answer)

    connections = await asyncio.gather(*(connect(one) for one in floods))
    await asyncio.gather(*(ask(one, c) for one, c in zip(floods, connections, strict=True)))
    return floods


async def overload(port, token, guests, guests_each, rate, seconds) -> dict:
    """Arrivals at RATE/s for SECONDS, beyond what the writer stores, as integrations send them
    (a connection each): what each is answered, and how fast from the start of its POST."""
    sent = await post_arrivals(port, token, guests, guests_each, rate, seconds)
    deadline = time.perf_counter() + HTTP_TIMEOUT + 1
    while any(not s.answered for s in sent) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    stored = [s for s in sent if s.status in (200, 202)]
    refused = [s for s in sent if s.status == 503]
    return {
        "sent": len(sent),
        "stored": [s.answered - s.posted for s in stored],
        "refused": [s.answered - s.posted for s in refused],
        "retry_after": sum(1 for s in refused if s.retry_after),
        "server": [s.server for s in refused if s.server is not None],
        "other": len(sent) - len(stored) - len(refused),
    }


async def beyond_capacity(port: int, token: str, guests: list[str], cookie: dict) -> dict:
    """Far more than the box takes, at once: every answer fast, 503 with Retry-After."""

    def an_arrival() -> bytes:
        return json.dumps(arrival_body(random.choice(guests))).encode()

    api = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    posts = await flood(port, 1500, "POST", "/api/v1/events", api, an_arrival)
    pages = await flood(port, 1000, "GET", "/host/", cookie, lambda: b"")
    return {"posts": summary(posts, ok=(200, 202)), "pages": summary(pages, ok=(200,))}


def summary(floods: list[Flooded], ok: tuple[int, ...]) -> dict:
    refused = [one for one in floods if one.status == 503]
    return {
        "count": len(floods),
        "ok": sum(1 for one in floods if one.status in ok),
        "refused": len(refused),
        "retry_after": sum(1 for one in refused if one.retry_after),
        "other": sum(1 for one in floods if one.status not in (*ok, 503)),
        "answer": [one.answered - one.sent for one in refused],
        "whole": [one.answered - one.started for one in refused],
        "server": [one.server for one in refused if one.server is not None],
        "slowest": max(one.answered - one.started for one in floods),
    }


# -- the server and its processes ----------------------------------------------------------


def process_stats(server: GunicornServer) -> tuple[float, int]:
    """Memory (MB, proportional set size: shared pages counted once) and threads of gunicorn's
    master and every process under it (workers, their event writers), together."""
    pss, threads = 0.0, 0
    for pid in descendants(server.process.pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue  # a process that ended meanwhile
        pss += int(re.search(r"Pss:\s+(\d+)", rollup).group(1)) / 1024
        threads += int(re.search(r"Threads:\s+(\d+)", status).group(1))
    return pss, threads


def descendants(root: int) -> list[int]:
    """ROOT and the processes under it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def quantile(values: list[float], q: float) -> float:
    return float(np.quantile(values, q)) if values else float("nan")


def ms(values: list[float]) -> str:
    if not values:
        return "     -/-     "
    return f"{quantile(values, 0.5) * 1000:5.0f}/{quantile(values, 0.99) * 1000:<5.0f}"


def fine(values: list[float]) -> str:
    """p50/p99/max in ms to 0.01 ms (a refusal takes microseconds)."""
    if not values:
        return "-/-/-"
    p50, p99, top = (quantile(values, q) * 1000 for q in (0.5, 0.99, 1.0))
    return f"{p50:.2f}/{p99:.2f}/{top:.2f}"


def misses(row: dict) -> list[str]:
    """Which targets a step missed."""
    missed = []
    if quantile(row["signal"], 0.99) > TARGETS["signal_p99"] or not row["signal"]:
        missed.append("signal p99")
    if row["rate"] <= 50 and (quantile(row["inbox"], 0.99) > TARGETS["inbox_p99"]):
        missed.append("inbox p99")
    if row["lost"] or row["duplicated"]:
        missed.append("lost/duplicated")
    if row["refused_streams"] or row["refused_posts"] or row["failed_posts"]:
        missed.append("refused")
    if row["rss"] > 1024:
        missed.append("memory")
    return missed


HEADER = (
    f"{'phones':>7} {'rate/s':>6} | {'signal p50/p99':>14} {'card p50/p99':>13} "
    f"{'fetch p50/p99':>13} | {'lost':>4} {'dup':>4} {'refused':>7} | {'mem MB':>7} {'thr':>4}"
)


def print_row(row: dict) -> None:
    refused = row["refused_streams"] + row["refused_posts"] + row["failed_posts"]
    missed = misses(row)
    print(
        f"{row['phones']:>7} {row['rate']:>6g} | {ms(row['signal']):>14} {ms(row['inbox']):>13} "
        f"{ms(row['fetch']):>13} | {row['lost']:>4} {row['duplicated']:>4} {refused:>7} | "
        f"{row['rss']:>7.0f} {row['threads']:>4}  {'MISSED ' + ', '.join(missed) if missed else 'ok'}",  # noqa: E501
        flush=True,
    )


# -- the run -------------------------------------------------------------------------------


async def run_all(port: int, server, cookies, guests, token, args) -> None:
    pool = Pool(port, args.fetchers)
    phones = [Phone(i, c, port, pool) for i, c in enumerate(cookies)]
    connected, refused, saturation, restarts0 = 0, 0, None, booted(server)
    for count in args.steps:
        ramp = await connect_phones(phones[connected:count], args.connect_rate)
        refused, connected = ramp["refused"], count
        print(f"  ({count:,} phones on their streams: {ramp['seconds']:.0f} s to connect, "
              f"{ramp['retried']} tries answered busy and retried, {refused} never connected; "
              f"the server quiet again {ramp['settled']:.0f} s later)", flush=True)  # fmt: skip
        reachable = guests[: count * args.guests_each]
        if count == args.steps[0]:  # the first requests load templates, rules, query plans
            await latency_step(port, token, phones, reachable, args.guests_each, 20, 5)
            print(HEADER)
        for rate in args.rates:
            row = await latency_step(port, token, phones, reachable, args.guests_each, rate,
                                     args.seconds)  # fmt: skip
            rss, threads = process_stats(server)
            row.update(phones=count, rate=rate, refused_streams=refused, rss=rss, threads=threads)
            print_row(row)
            refused = 0
            if saturation is None and misses(row):
                saturation = f"{count:,} phones at {rate:g} arrivals/s"
    print(f"\nsaturation: {saturation or 'not reached within these steps'}")
    storm_phones = phones[: min(args.storm, connected)]
    reachable = guests[: connected * args.guests_each]
    storm = await storm_step(port, token, storm_phones, phones, reachable, args.guests_each, 50)
    rss, threads = process_stats(server)
    print(
        f"\nreconnect storm: {storm['phones']:,} phones dropped, back within 1 s (50 arrivals/s)\n"
        f"  back on their streams {storm['back']:,}/{storm['phones']:,} "
        f"(last after {storm['back_seconds']:.1f} s; attempts refused or failed, by status: "
        f"{storm['failed'] or 'none'}); "
        f"resynced (inbox changed) {storm['resyncs']:,}, "
        f"last done {storm['resync_max']:.1f} s after the drop\n"
        f"  cards: lost {storm['lost']}, duplicated {storm['duplicated']}; "
        f"signal p50/p99 {ms(storm['signal'])} ms\n"
        f"  an ordinary page during the storm: p50/p99 {ms(storm['pages'])} ms "
        f"(n={len(storm['pages'])}); memory {rss:.0f} MB, {threads} threads"
    )  # fmt: skip
    rate = 4 * max(args.rates)
    sustained = await overload(port, token, reachable, args.guests_each, rate, 4.0)
    print(
        f"\nsustained overload: {sustained['sent']:,} POSTs at {rate:g}/s for 4 s: "
        f"{len(sustained['stored']):,} stored (p50/p99/max ms {fine(sustained['stored'])}), "
        f"{len(sustained['refused']):,} answered 503 ({sustained['retry_after']:,} with "
        f"Retry-After; p50/p99/max ms {fine(sustained['refused'])}, the worker's own time "
        f"{fine(sustained['server'])}), {sustained['other']} other (from the start of each "
        f"POST, its connect included)"
    )  # fmt: skip
    over = await beyond_capacity(port, token, guests[:connected], phones[0].cookie)
    print("\nbeyond capacity (every connection opened first, then every request sent at once):")
    for name, what in (("posts", "POSTs"), ("pages", "pages")):
        part = over[name]
        print(
            f"  {part['count']:,} {what}: {part['ok']:,} served, {part['refused']:,} answered 503 "
            f"({part['retry_after']:,} with Retry-After), {part['other']} other; each 503 "
            f"p50/p99/max ms: from its request sent {fine(part['answer'])}, from its connect "
            f"{fine(part['whole'])}, the worker's own time {fine(part['server'])}; slowest "
            f"answer {part['slowest']:.2f} s"
        )
    print(
        f"  worker restarts: {booted(server) - restarts0}\n"
        f"  ('from its request sent': the server's accept, parse and answer, and this client "
        f"reading it; 'from its connect' adds this one client opening them all on the same "
        f"cores; 'the worker's own time' is Server-Timing, from the request reaching the app)"
    )  # fmt: skip


def booted(server: GunicornServer) -> int:
    return server.output().count("Booting worker")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--rates", type=float, nargs="+", default=[50, 100, 150])
    parser.add_argument("--seconds", type=float, default=10.0, help="arrivals per step")
    parser.add_argument("--storm", type=int, default=5000, help="phones in the reconnect storm")
    parser.add_argument("--guests-each", type=int, default=3)
    parser.add_argument("--connect-rate", type=float, default=200, help="phones joining per s")
    parser.add_argument("--fetchers", type=int, default=64, help="keep-alive fetch connections")
    parser.add_argument("--redis", action="store_true", help="PostgreSQL + Redis, 2 workers")
    args = parser.parse_args()
    raise_open_files()
    with tempfile.TemporaryDirectory() as scratch, deployment(args.redis, scratch) as setup:
        url, server_kwargs, shape = setup
        phones = max(args.steps)
        print(f"Setting up {phones:,} hosts ({shape})...", flush=True)
        cookies, guests, token = build_world(url, phones, args.guests_each)
        with GunicornServer(url, start_timeout=120, **server_kwargs) as server:
            port = int(server.url.rsplit(":", 1)[1])
            uvloop.run(run_all(port, server, cookies, guests, token, args))


def raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class deployment:
    """(database URL, GunicornServer arguments, description); drops the --redis schema after."""

    def __init__(self, redis: bool, scratch: str) -> None:
        self.redis, self.scratch, self.schema = redis, scratch, None

    def __enter__(self):
        env = {k: v for k, v in os.environ.items() if k.startswith("FRONTLINE_")}
        env.pop("FRONTLINE_DATABASE_URL", None)
        if not self.redis:
            env.pop("FRONTLINE_REDIS_URL", None)
            url = f"sqlite:///{self.scratch}/bench.sqlite3"
            return url, {"env": env}, "embedded: SQLite, 1 worker"
        import sqlalchemy as sa

        self.base = env.get(
            "FRONTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
        self.schema = f"bench_{uuid.uuid4().hex[:8]}"
        with sa.create_engine(self.base).begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self.schema}"'))
        redis_url = env.get("FRONTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
        env.setdefault("FRONTLINE_PUSH_REDIS_PREFIX", f"bench:{self.schema}:")
        workers = int(env.get("FRONTLINE_WORKERS", "2"))
        url = f"{self.base}?options=-csearch_path%3D{self.schema}"
        kwargs = {"env": env, "redis_url": redis_url, "workers": workers}
        return url, kwargs, f"PostgreSQL + Redis, {workers} workers"

    def __exit__(self, *exc) -> None:
        if self.schema is None:
            return
        import sqlalchemy as sa

        engine = sa.create_engine(self.base)
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{self.schema}" CASCADE'))
        engine.dispose()


if __name__ == "__main__":
    main()
