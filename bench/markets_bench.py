"""Time the local plan, server side: `python bench/markets_bench.py [--runs 20]`.

- the plan page (GET /leads/plan: every lane, zone and tier with targets and history) and the
  rep's "My market" (GET /rep/market), through Flask's test client;
- the two grouped computations alone: `lane_markets` and `zone_tier_markets`;
- baselines from the same run: a bare `sum` over bookings and one over visits (one scan of
  each, the floor for anything that reads them), and the same figures computed row by row in Python
  (what the grouped queries replace).

On the full demo world (default sizes) in a temporary SQLite file, with every guest given an
expected value so the casino's potential is computed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from frontline import create_app, demo
from frontline.cargo.markets import lane_markets
from frontline.casino.markets import zone_tier_markets
from frontline.extensions import db
from frontline.tables import Booking, FactValue, Guest, Visit, utcnow
from frontline.tables.cargo import chargeable_kg


def timed(fn, runs: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def floor() -> None:
    db.session.scalar(select(func.sum(Booking.weight_kg)))
    db.session.scalar(select(func.sum(Visit.theo_win)))


def row_by_row() -> None:
    """Lane revenue and zone/tier play over 90 days, reading every row into Python."""
    now = utcnow()
    lanes, play = defaultdict(Decimal), defaultdict(Decimal)
    for b in db.session.scalars(select(Booking).where(Booking.booked_at > now - timedelta(90))):
        lanes[b.flight.lane_id] += chargeable_kg(b.weight_kg, b.volume_m3) * b.rate_per_kg
    for v in db.session.scalars(select(Visit).where(Visit.visit_date > now.date() - timedelta(90))):
        play[(v.zone, v.guest.tier)] += v.theo_win
    db.session.expunge_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "TESTING": True, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "b" * 40,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
            }
        )  # fmt: skip
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            demo.load(seed=42, today=date.today())
            _score_guests()
            counts = {
                t.__tablename__: db.session.scalar(select(func.count()).select_from(t))
                for t in (Booking, Visit, Guest)
            }
            print(f"demo world in {time.perf_counter() - started:.1f} s: {counts}")
        client = app.test_client()
        figures = {}
        with app.app_context():
            figures["floor: one sum over bookings + visits"] = timed(floor, args.runs)
            figures["row by row in Python (baseline)"] = timed(row_by_row, max(3, args.runs // 4))
            figures["lane_markets"] = timed(lambda: lane_markets(utcnow()), args.runs)
            figures["zone_tier_markets"] = timed(lambda: zone_tier_markets(utcnow()), args.runs)
        client.post("/login", data={"email": "analyst@demo.test", "password": "demo"})
        figures["GET /leads/plan (analyst)"] = timed(lambda: _ok(client, "/leads/plan"), args.runs)
        client.post("/logout")
        client.post("/login", data={"email": "rep@demo.test", "password": "demo"})
        figures["GET /rep/market (rep)"] = timed(lambda: _ok(client, "/rep/market"), args.runs)
    base = figures["floor: one sum over bookings + visits"][0]
    naive = figures["row by row in Python (baseline)"][0]
    print(f"{'':38} {'p50 ms':>8} {'p95 ms':>8} {'x floor':>8} {'x row-by-row':>13}")
    for name, (p50, p95) in figures.items():
        print(f"{name:38} {p50:8.1f} {p95:8.1f} {p50 / base:8.1f} {p50 / naive:13.2f}")


def _ok(client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)


def _score_guests() -> None:
    """Every guest gets an expected 90-day value, as the guest value model would store."""
    rng = np.random.default_rng(1)
    ids = db.session.scalars(select(Guest.id)).all()
    rows = [
        {"subject_type": "guest", "subject_id": g, "name": "guest.value_90d",
         "value": f"{rng.gamma(1.5, 800):.2f}", "model_version": "bench", "computed_at": utcnow()}
        for g in ids
    ]  # fmt: skip
    db.session.execute(insert(FactValue), rows)
    db.session.commit()


if __name__ == "__main__":
    main()
