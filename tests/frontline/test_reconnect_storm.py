"""A reconnect storm over real HTTP, embedded and scaled out: every phone of the floor loses its
stream at once (the Wi-Fi blinked), cards arrive while they are away, and all come back within
a second. Every phone ends with every one of its cards exactly once, within 10 s; only the
phones whose inbox changed re-read it (once), the others resume where they were."""

from __future__ import annotations

import asyncio
import html
import random
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from frontline import create_app
from frontline.extensions import db
from frontline.tables import Guest, IssuedCard, Role, Shift, User, UserSession, Visit, Zone
from tests.factories import arrival, make_token
from tests.servers import TEST_SECRET, run_loop

PHONES = 300  # scaled to a test machine; bench/alert_latency.py runs 5,000
CARD_ID = re.compile(rb'data-card-id="(\d+)"')
STREAM_URL = re.compile(rb'sse-connect="([^"]+)"')

pytestmark = pytest.mark.slow


@pytest.fixture
def floor(deployment):
    """PHONES hosts on shift, each with one guest who complained last time."""
    url, _ = deployment
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": TEST_SECRET})
    with app.app_context():
        db.create_all()
        db.session.add(Zone(code="main_floor", name="Main casino floor", kind="gaming"))
        start = datetime.now(UTC) - timedelta(hours=1)
        hosts = [
            User(
                email=f"h{n}@storm.test",
                display_name=f"Host {n}",
                role=Role.HOST,
                password_hash="unused: the phones hold session cookies",
            )
            for n in range(PHONES)
        ]
        db.session.add_all(hosts)
        db.session.flush()
        guests = [Guest(external_id=f"S{n}", name=f"Guest {n}", tier="gold", host_id=h.id)
                  for n, h in enumerate(hosts)]  # fmt: skip
        db.session.add_all(guests)
        db.session.flush()
        shift = {"starts_at": start, "ends_at": start + timedelta(hours=8), "zones": ["main_floor"]}
        visit = {"visit_date": start.date() - timedelta(days=3), "zone": "main_floor", "rating": 1}
        for host, guest in zip(hosts, guests, strict=True):
            db.session.add(Shift(user_id=host.id, **shift))
            db.session.add(Visit(guest_id=guest.id, complaint="Cold dinner.", **visit))
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = [serializer.dumps({"_user_id": UserSession.start(h)}) for h in hosts]
        ids = [h.id for h in hosts]
        token = make_token()
        db.session.commit()
    yield {"app": app, "cookies": cookies, "user_ids": ids, "token": token}
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


async def get(port: int, path: str, cookie: str, fragment: bool = False) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = "HX-Request: true\r\n" if fragment else ""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 f"Cookie: session={cookie}\r\n{extra}\r\n".encode())  # fmt: skip
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    return answer


class Phone:
    """A host's page: its stream, and a fetch of its inbox at every `inbox` event."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port, self.cookie = port, cookie
        self.shown: set[int] = set()
        self.doubled = 0
        self.syncs = 0
        self.last_id: str | None = None
        self.writer = None
        self.fetching: set[asyncio.Task] = set()

    async def open_page(self) -> None:
        page = await get(self.port, "/host/", self.cookie)
        self.stream = html.unescape(STREAM_URL.search(page).group(1).decode())
        self.show(page)

    def show(self, page: bytes) -> None:
        ids = [int(i) for i in CARD_ID.findall(page)]
        self.doubled += len(ids) - len(set(ids))
        self.shown = set(ids)

    async def connect(self) -> None:
        reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        last = f"Last-Event-ID: {self.last_id}\r\n" if self.last_id else ""
        self.writer.write(f"GET {self.stream} HTTP/1.1\r\nHost: x\r\n{last}"
                          f"Cookie: session={self.cookie}\r\n\r\n".encode())  # fmt: skip
        assert b" 200 " in await reader.readline()
        while (await reader.readline()) != b"\r\n":
            pass
        self.reading = asyncio.get_running_loop().create_task(self.read(reader))

    async def read(self, reader) -> None:
        fields: dict[str, str] = {}
        try:
            while line := await reader.readline():
                text = line.decode().rstrip("\r\n")
                name, _, value = text.partition(": ")
                if name in ("event", "data", "id"):
                    fields[name] = value
                elif not text and fields:  # the end of an SSE block (chunk sizes are skipped)
                    self.last_id = fields.get("id", self.last_id)
                    if fields.get("event") == "inbox":
                        self.syncs += fields.get("data") == "sync"
                        task = asyncio.get_running_loop().create_task(self.fetch())
                        self.fetching.add(task)
                        task.add_done_callback(self.fetching.discard)
                    fields = {}
        except ConnectionError:
            pass

    async def fetch(self) -> None:
        self.show(await get(self.port, "/host/", self.cookie, fragment=True))

    def drop(self) -> None:
        self.writer.transport.abort()  # no goodbye, as when the Wi-Fi goes
        self.reading.cancel()


def post(base: str, token: str, guest: str) -> None:
    answer = requests.post(f"{base}/api/v1/events", json=arrival(guest),
                           headers={"Authorization": f"Bearer {token}"}, timeout=30)  # fmt: skip
    assert answer.status_code == 202, answer.text


def cards_of(app, user_ids: list[int]) -> list[set[int]]:
    with app.app_context():
        rows = db.session.execute(select(IssuedCard.assignee_id, IssuedCard.id)).all()
    mine: dict[int, set[int]] = {}
    for user_id, card_id in rows:
        mine.setdefault(user_id, set()).add(card_id)
    return [mine.get(user_id, set()) for user_id in user_ids]


async def storm(base: str, floor: dict) -> None:
    port = int(base.rsplit(":", 1)[1])
    phones = [Phone(port, cookie) for cookie in floor["cookies"]]
    for phone in phones:  # a shift comes on
        await phone.open_page()
        await phone.connect()
    loop = asyncio.get_running_loop()
    before = range(0, PHONES // 3)
    await asyncio.gather(*(loop.run_in_executor(None, post, base, floor["token"], f"S{n}")
                           for n in before))  # fmt: skip
    await settle(phones, floor, set(before))

    syncs = [phone.syncs for phone in phones]
    for phone in phones:
        phone.drop()
    away = range(PHONES // 3, 2 * PHONES // 3)  # their cards arrive while every phone is away
    await asyncio.gather(*(loop.run_in_executor(None, post, base, floor["token"], f"S{n}")
                           for n in away))  # fmt: skip
    dropped = time.monotonic()

    async def back(phone: Phone) -> None:
        await asyncio.sleep(random.random())  # all within a second
        await phone.connect()

    await asyncio.gather(*(back(phone) for phone in phones))
    await settle(phones, floor, set(away), since=dropped)
    resynced = [n for n, phone in enumerate(phones) if phone.syncs > syncs[n]]
    assert sorted(resynced) == list(away), "only the phones whose inbox changed re-read it"
    assert all(phones[n].syncs == syncs[n] + 1 for n in away), "each re-read it once"
    for phone in phones:
        phone.drop()


async def settle(phones, floor, changed: set[int], since: float | None = None) -> None:
    """Wait (10 s at most) until every phone shows exactly its cards, each once."""
    started = since or time.monotonic()
    truth = cards_of(floor["app"], floor["user_ids"])
    assert all(truth[n] for n in changed)
    while time.monotonic() - started < 10:
        if all(phone.shown == cards for phone, cards in zip(phones, truth, strict=True)):
            break
        await asyncio.sleep(0.1)
    behind = [n for n, phone in enumerate(phones) if phone.shown != truth[n]]
    assert not behind, f"{len(behind)} phones lack cards 10 s on, e.g. phone {behind[0]}"
    assert sum(phone.doubled for phone in phones) == 0, "a card was shown twice"


def test_every_phone_resyncs_once_with_every_card_after_a_storm(deployment, floor):
    _, server_for = deployment
    with server_for() as server:
        run_loop(storm(server.url, floor))
        # Scaled out, each worker stored the arrivals in its writer process (casino/writer.py).
        scaled_out = server.workers > 1
        assert server.output().count("events stored by process") == (2 if scaled_out else 0)
