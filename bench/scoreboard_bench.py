"""Time the shared scoreboard, server side: `python bench/scoreboard_bench.py [--cards N]`.

- the page over 90 days of demo history (a demo world, 300 cards a day with their taps,
  drawn by `frontline.demo.scoreboard.fill`): GET /analyst/scoreboard?days=90, p50 and p95;
- the same page over N cards (default 1,000,000, bulk-inserted over 90 days);
- baseline, in the same run and process: GET /analyst/ (the analyst's overview: sign-in,
  session, five COUNT(*) queries, a page render), interleaved with the measured runs.

Everything runs in this process through Flask's test client on a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from frontline import create_app, demo
from frontline.demo import scoreboard
from frontline.extensions import db
from frontline.guidance import rulebook
from frontline.guidance.packs import DEFAULT_PACKS
from frontline.tables import CardAction, IssuedCard, User
from frontline.tables.people import Role

TARGET_MS = 300.0  # the page over 90 days of demo data
SIZES = demo.Sizes(guests=2000, shippers=300, quotes=1000, past_flight_days=7, future_flight_days=7)
DEMO_PER_DAY = 300


def make_app(directory: Path):
    return create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'bench.sqlite3'}",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-this",
        }
    )


def timed(call, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def measure(client, runs: int) -> tuple[list[float], list[float]]:
    """The scoreboard and the baseline page, interleaved."""

    def page():
        answer = client.get("/analyst/scoreboard?days=90")
        assert answer.status_code == 200 and b'table class="funnel"' in answer.data

    def baseline():
        assert client.get("/analyst/").status_code == 200

    board, base = [], []
    for _ in range(runs):
        base += timed(baseline, 1)
        board += timed(page, 1)
    return board, base


def counts() -> str:
    cards = db.session.scalar(select(func.count()).select_from(IssuedCard))
    taps = db.session.scalar(select(func.count()).select_from(CardAction))
    return f"{cards:,} cards, {taps:,} taps"


def report(label: str, board: list[float], base: list[float], target: float | None) -> None:
    p50, p95_ms = statistics.median(board) * 1000, p95(board) * 1000
    b50 = statistics.median(base) * 1000
    aim = f"{target:>8.0f}" if target else f"{'-':>8}"
    print(f"{label:34} {p50:>9.1f} {p95_ms:>9.1f} {b50:>10.1f} {p50 / b50:>7.1f} {aim}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1_000_000, help="Cards for the large run.")
    parser.add_argument("--runs", type=int, default=20, help="Page loads per measurement.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        with app.app_context():
            db.create_all()
            demo.load(seed=3, today=date.today(), sizes=SIZES)
            for path in sorted(DEFAULT_PACKS.glob("*.yaml")):
                rulebook.import_pack(path.read_text(), None, "bench", publish_it=True)
            scoreboard.fill(days=90, per_day=DEMO_PER_DAY, seed=7)
            demo_size = counts()
            email = db.session.scalar(select(User.email).where(User.role == Role.ANALYST))
        client = app.test_client()
        client.post("/login", data={"email": email, "password": "demo"})
        small = measure(client, args.runs)

        with app.app_context():
            started = time.perf_counter()
            more = max(0, args.cards - DEMO_PER_DAY * 90)
            scoreboard.fill(days=90, per_day=-(-more // 90), seed=8)
            filling = time.perf_counter() - started
            large_size = counts()
        large = measure(client, max(5, args.runs // 4))

    print(f"90 days of demo history: {demo_size}")
    print(f"large: {large_size} ({filling:.0f} s to insert in bulk)")
    print(f"{'':34} {'p50 ms':>9} {'p95 ms':>9} {'base p50':>10} {'ratio':>7} {'target':>8}")
    report("scoreboard, 90 days demo", *small, TARGET_MS)
    report("scoreboard, large", *large, None)
    print("baseline: GET /analyst/ (overview) in the same process, interleaved")


if __name__ == "__main__":
    main()
