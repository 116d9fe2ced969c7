"""Demo life: realistic floor events posted through the public API, as a loyalty system would."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

SOURCES = (("card_in", 0.55), ("beacon", 0.25), ("hotel_checkin", 0.15), ("manual", 0.05))


@dataclass(frozen=True)
class Visitor:
    external_id: str
    interests: tuple[str, ...]
    high_roller: bool


def zone_for(visitor: Visitor, rng: random.Random) -> str:
    if "poker" in visitor.interests and rng.random() < 0.5:
        return "poker_room"
    if "spa" in visitor.interests and rng.random() < 0.3:
        return "spa"
    if visitor.high_roller and rng.random() < 0.6:
        return "high_limit"
    return rng.choice(("main_floor", "main_floor", "hotel_lobby", "sportsbook"))


def events(visitors: list[Visitor], rng: random.Random) -> Iterator[dict]:
    """An endless stream of arrivals, with some moves of guests already here."""
    here: list[tuple[Visitor, str]] = []
    while True:
        if here and rng.random() < 0.25:
            visitor, _ = here.pop(rng.randrange(len(here)))
            kind, zone = "guest.moved", zone_for(visitor, rng)
        else:
            visitor = rng.choice(visitors)
            kind, zone = "guest.arrived", zone_for(visitor, rng)
        here.append((visitor, zone))
        sources, weights = zip(*SOURCES, strict=True)
        yield {
            "id": f"demo-{uuid.UUID(int=rng.getrandbits(128))}",
            "type": kind,
            "occurred_at": datetime.now(UTC).isoformat(),
            "guest_id": visitor.external_id,
            "location": {"zone": zone},
            "source": "beacon" if kind == "guest.moved" else rng.choices(sources, weights)[0],
        }


def post(url: str, token: str, event: dict, timeout: float = 10) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(event).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except urllib.error.URLError as error:
        raise ConnectionError(f"cannot reach {url}: {error.reason}") from None


def run(url: str, token: str, visitors: list[Visitor], rate: float, duration: float,
        report: Callable[[dict, int], None], seed: int | None = None) -> int:  # fmt: skip
    """Post events at `rate` per second for `duration` seconds; returns how many were sent."""
    rng = random.Random(seed)
    stream = events(visitors, rng)
    start, sent = time.monotonic(), 0
    while time.monotonic() - start < duration:
        event = next(stream)
        report(event, post(url, token, event))
        sent += 1
        time.sleep(max(0.0, start + sent / rate - time.monotonic()))
    return sent
