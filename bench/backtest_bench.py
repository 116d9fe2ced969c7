"""Time the analyst workbench, server side: `python bench/backtest_bench.py [--arrivals N]`.

- backtest, from click to diff: GET /analyst/packs/host/backtest?days=30 over 30 days of
  logged arrivals (facts built by the app's own `guest_facts` for demo guests, logged by the
  app's own `evaluations.record`), against the bare engine evaluating the same typed facts
  twice (the replay's floor: what is left is reading the log and typing its JSON);
- live validation while typing: POST /analyst/packs/host/check with the whole host pack,
  against `guidance_rules.load_pack` of the same text;
- bytes per logged evaluation (the JSON of its facts and cards, as stored).

Everything runs in this process through Flask's test client, on a demo world in a temporary
SQLite file. Baseline and measured runs are interleaved so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import guidance_rules
from frontline import create_app, demo
from frontline.casino.guest_facts import guest_facts
from frontline.extensions import db
from frontline.guidance import evaluations, rulebook
from frontline.guidance.packs import DEFAULT_PACKS, published_pack
from frontline.tables import Evaluation, Event, Guest, User, utcnow
from frontline.tables.people import Role

TARGETS = {"backtest 30 days (s)": 2.0, "check p95 (ms)": 50.0}
SIZES = demo.Sizes(guests=2000, shippers=20, quotes=100, past_flight_days=3, future_flight_days=3)


def make_app(directory: Path):
    return create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'bench.sqlite3'}",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-this",
        }
    )


def log_arrivals(count: int) -> None:
    """COUNT arrivals of demo guests spread over the last 30 days, logged as the app logs them."""
    rng = random.Random(7)
    guests = list(db.session.scalars(select(Guest)))
    pack, end = published_pack("host"), utcnow()
    for n in range(count):
        guest = rng.choice(guests)
        at = end - timedelta(seconds=rng.uniform(0, 30 * 86400))
        event = Event(type="guest.arrived", source="card_in", zone="main_floor", occurred_at=at)
        facts, _versions = guest_facts(guest, event, at)
        cards = guidance_rules.evaluate(pack, facts)
        evaluations.record(pack, "guest", guest.id, facts, cards, at)
        if n % 1000 == 999:
            db.session.commit()
    db.session.commit()


def timed(call, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrivals", type=int, default=9000, help="Logged arrivals (30 days).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        with app.app_context():
            db.create_all()
            demo.load(seed=3, today=date.today(), sizes=SIZES)
            for path in sorted(DEFAULT_PACKS.glob("*.yaml")):
                rulebook.import_pack(path.read_text(), None, "bench", publish_it=True)
            pack = rulebook.pack_for("host")
            draft = pack.draft.replace("recover first", "recover them first")  # new card text
            analyst = db.session.scalar(select(User).where(User.role == Role.ANALYST))
            rulebook.save_draft(pack, draft, analyst, 1)
            started = time.perf_counter()
            log_arrivals(args.arrivals)
            logging = time.perf_counter() - started
            rows = db.session.scalars(select(Evaluation.facts)).all()
            stored = db.session.scalars(select(Evaluation.cards)).all()
            size = statistics.mean(
                len(json.dumps(f)) + len(json.dumps(c)) for f, c in zip(rows, stored, strict=True)
            )
            count = db.session.scalar(select(func.count()).select_from(Evaluation))
            end = utcnow()
            logged = evaluations.window("host", end - timedelta(days=30), end)
            published, drafted = published_pack("host"), rulebook.check(draft, "host").pack
            facts = [row.facts for row in logged]
            email = analyst.email
        client = app.test_client()
        with client.session_transaction():
            pass
        client.post("/login", data={"email": email, "password": "demo"})

        def engine_only():
            for one in facts:
                guidance_rules.evaluate(published, one)
                guidance_rules.evaluate(drafted, one)

        def backtest():
            answer = client.get("/analyst/packs/host/backtest?days=30")
            assert answer.status_code == 200 and b"data-evaluations" in answer.data

        text = draft

        def check():
            answer = client.post("/analyst/packs/host/check", data={"text": text},
                                 headers={"HX-Request": "true"})  # fmt: skip
            assert answer.status_code == 200 and b'data-check="ok"' in answer.data

        def load_only():
            guidance_rules.load_pack(text)

        base_bt, bench_bt, base_ck, bench_ck = [], [], [], []
        for _ in range(3):
            base_bt += timed(engine_only, 1)
            bench_bt += timed(backtest, 1)
        for _ in range(10):
            base_ck += timed(load_only, 10)
            bench_ck += timed(check, 10)

    backtest_s, base_s = statistics.median(bench_bt), statistics.median(base_bt)
    check_ms, load_ms = p95(bench_ck) * 1000, p95(base_ck) * 1000
    print(f"logged evaluations: {count:,} ({logging:.1f} s to log; {size:,.0f} bytes of JSON each)")
    print(f"{'':28} {'measured':>10} {'baseline':>10} {'ratio':>7} {'target':>8}")
    print(f"{'backtest 30 days (s)':28} {backtest_s:>10.2f} {base_s:>10.2f} "
          f"{base_s / backtest_s:>7.2f} {TARGETS['backtest 30 days (s)']:>8}")  # fmt: skip
    print(f"{'check p95 (ms)':28} {check_ms:>10.1f} {load_ms:>10.1f} "
          f"{load_ms / check_ms:>7.2f} {TARGETS['check p95 (ms)']:>8}")  # fmt: skip
    print("baseline: the bare engine over the same facts (backtest); load_pack of the same text")


if __name__ == "__main__":
    main()
