"""Time the analyst workbench, server side: `python bench/backtest_bench.py [--arrivals N]`, or
`python bench/backtest_bench.py --evaluations 1000000` for the large log.

Default mode, on a demo world:
- backtest, from click to diff: GET /analyst/packs/host/backtest?days=30 over 30 days of
  logged arrivals (facts built by the app's own `guest_facts` for demo guests, logged by the
  app's own `evaluations.record`). Measured cold (the first backtest ever, which turns each
  day's JSON into stored columns once) and warm (each click after one new arrival was logged,
  so today's columns are made again, as on a live floor). Baseline: the row-by-row replay
  (every row's JSON read and typed, both packs evaluated per row: the previous backtest);
- live validation while typing: POST /analyst/packs/host/check with the whole host pack,
  against `guidance_rules.load_pack` of the same text;
- bytes per logged evaluation (the JSON of its facts and cards, as stored).

--evaluations N: N evaluations of demo guests' real facts over 30 days, inserted in bulk in
exactly the shape `evaluations.record` writes, and a 40-rule host pack (the shipped 9 and 31
more, with cooldowns and offers) published, its draft changed (thresholds, a headline, a rule
removed, one added). Measured: the backtest view, cold and warm as above. Baseline: the
row-by-row replay of one whole day of that log, scaled to the window's rows.

Everything runs in this process through Flask's test client, on a temporary SQLite file.
Baseline and measured runs are interleaved so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import guidance_rules
from frontline import create_app, demo
from frontline.casino.guest_facts import guest_facts
from frontline.extensions import db
from frontline.guidance import evaluations, rulebook
from frontline.guidance.packs import DEFAULT_PACKS, published_pack
from frontline.guidance.values import facts_to_json
from frontline.tables import Evaluation, Event, Guest, User, utcnow
from frontline.tables.people import Role

TARGETS = {"backtest 30 days (s)": 2.0, "check p95 (ms)": 50.0, "backtest 1M x 40 rules (s)": 5.0}
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


def arrival(guest: Guest, at: datetime) -> tuple[dict, list]:
    """One arrival of GUEST at AT as the app evaluates it: its facts and the cards shown."""
    event = Event(type="guest.arrived", source="card_in", zone="main_floor", occurred_at=at)
    facts, _versions = guest_facts(guest, event, at)
    return facts, guidance_rules.evaluate(published_pack("host"), facts)


def log_arrivals(count: int) -> None:
    """COUNT arrivals of demo guests spread over the last 30 days, logged as the app logs them."""
    rng = random.Random(7)
    guests = list(db.session.scalars(select(Guest)))
    pack, end = published_pack("host"), utcnow()
    for n in range(count):
        guest = rng.choice(guests)
        at = end - timedelta(seconds=rng.uniform(0, 30 * 86400))
        facts, cards = arrival(guest, at)
        evaluations.record(pack, "guest", guest.id, facts, cards, at)
        if n % 1000 == 999:
            db.session.commit()
    db.session.commit()


def log_in_bulk(count: int) -> None:
    """COUNT evaluations of demo guests over the last 30 days, in the very shape `record` writes:
    each guest's real facts (from `guest_facts`) with the time, visit (a visit is a six-hour
    block of the day) and hour of its arrival."""
    rng = random.Random(11)
    pack, end = published_pack("host"), utcnow()
    guests = list(db.session.scalars(select(Guest)))
    shapes = []
    for guest in guests:
        facts, cards = arrival(guest, end)
        shapes.append((guest.id, facts_to_json(facts), [card.rule_id for card in cards]))
    rows = []
    for n in range(count):
        subject, facts, cards = rng.choice(shapes)
        at = end - timedelta(seconds=rng.uniform(0, 30 * 86400))
        started = at.replace(hour=at.hour // 6 * 6, minute=0, second=0, microsecond=0)
        facts = facts | {
            "now": at.isoformat(),
            "visit.started": started.isoformat(),
            "event.hour": at.hour,
        }
        rows.append(
            {
                "audience": "host",
                "subject_type": "guest",
                "subject_id": subject,
                "at": at,
                "pack_version": pack.version,
                "facts": facts,
                "cards": cards,
            }
        )
        if len(rows) == 20_000 or n == count - 1:
            db.session.execute(insert(Evaluation), rows)
            db.session.commit()
            rows = []


def forty_rules(text: str) -> str:
    """The shipped host pack and 31 rules more (cooldowns, offers, every kind of condition); each
    new rule reads guest.visits_12m, which the pack's own examples leave missing."""
    conditions = [
        "guest.visits_12m >= {a} and guest.propensity.show >= {p}%",
        'guest.visits_12m >= {a} and guest.tier >= "gold" and guest.adt >= ${m}',
        "guest.visits_12m >= {a} and days_since(guest.last_visit) <= {d}"
        " and event.hour between 10 and 22",
        "guest.visits_12m >= {a} and guest.return_prob_90d < {p}% and guest.theo_12m >= ${m}",
        'guest.visits_12m >= {a} and guest.interests contains "{i}"',
        "guest.visits_12m >= {a} and guest.propensity.spa >= {p}% and not guest.do_not_market",
    ]
    cooldowns = ["visit", "1d", "7d", None]
    interests = ["shows", "golf", "spa", "poker", "slots"]
    rules = []
    for n in range(31):
        when = conditions[n % len(conditions)].format(
            a=1 + n % 4, p=20 + (n * 7) % 60, m=50 + n * 40, d=10 + n * 3, i=interests[n % 5]
        )
        lines = [
            f"  - id: extra-{n}",
            f"    title: Extra rule {n}",
            f"    priority: {10 + (n * 13) % 80}",
            f"    when: {when}",
            "    card:",
            f'      headline: "{{guest.name}}: extra {n}"',
            "      actions: [acknowledge, done, not_relevant]",
        ]
        if n % 3 == 0:
            lines.append('      offer: {type: show, description: "Two seats", max_value: 80}')
        if cooldowns[n % 4]:
            lines.insert(3, f"    cooldown: {cooldowns[n % 4]}")
        rules.append("\n".join(lines) + "\n\n")
    head, tail = text.split("\nexamples:\n")
    return head.rstrip("\n") + "\n\n" + "".join(rules) + "examples:\n" + tail


def changed_draft(text: str) -> str:
    """Thresholds moved, a headline rewritten, a rule removed, a rule added."""
    draft = text.replace("guest.visits_12m >= 2 and", "guest.visits_12m >= 3 and")
    draft = draft.replace('"{guest.name}: extra 4"', '"Say hello to {guest.name} (extra 4)"')
    draft = draft.replace("recover first", "recover them first")
    start = draft.index("  - id: extra-7\n")
    draft = draft[:start] + draft[draft.index("  - id: extra-8\n") :]
    added = (
        "  - id: extra-new\n    title: New rule\n    priority: 75\n    cooldown: 7d\n"
        "    when: guest.visits_12m >= 2 and guest.propensity.free_play >= 40%\n    card:\n"
        '      headline: "Free play for {guest.name}"\n      actions: [acknowledge, done]\n\n'
    )
    return draft.replace("\nexamples:\n", "\n" + added + "examples:\n", 1)


def timed(call, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def row(name: str, measured: float, baseline: float, fmt: str = ".2f") -> None:
    print(
        f"{name:30} {measured:>10{fmt}} {baseline:>10{fmt}} {baseline / measured:>8.1f}"
        f" {TARGETS.get(name, ''):>8}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrivals", type=int, default=9000, help="Logged arrivals (30 days).")
    parser.add_argument("--evaluations", type=int, default=0, help="Large mode: log N in bulk.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        with app.app_context():
            db.create_all()
            demo.load(seed=3, today=date.today(), sizes=SIZES)
            for path in sorted(DEFAULT_PACKS.glob("*.yaml")):
                text = path.read_text()
                if args.evaluations and path.stem == "host":
                    text = forty_rules(text)
                rulebook.import_pack(text, None, "bench", publish_it=True)
            pack = rulebook.pack_for("host")
            if args.evaluations:
                draft = changed_draft(pack.draft)
            else:
                draft = pack.draft.replace("recover first", "recover them first")
            analyst = db.session.scalar(select(User).where(User.role == Role.ANALYST))
            rulebook.save_draft(pack, draft, analyst, 1)
            db.session.commit()
            started = time.perf_counter()
            if args.evaluations:
                log_in_bulk(args.evaluations)
            else:
                log_arrivals(args.arrivals)
            logging = time.perf_counter() - started
            count = db.session.scalar(select(func.count()).select_from(Evaluation))
            size = db.session.scalar(
                select(func.avg(func.length(Evaluation.facts) + func.length(Evaluation.cards)))
            )
            published, drafted = published_pack("host"), rulebook.check(draft, "host").pack
            rules = len(published.rules)
            guest_id = db.session.scalar(select(Guest.id).limit(1))
            email = analyst.email
        client = app.test_client()
        client.post("/login", data={"email": email, "password": "demo"})

        def backtest():
            answer = client.get("/analyst/packs/host/backtest?days=30")
            assert answer.status_code == 200 and b"data-evaluations" in answer.data

        def one_more_arrival():  # a live floor: today's log has grown since the last click
            with app.app_context():
                guest, now = db.session.get(Guest, guest_id), utcnow()
                facts, cards = arrival(guest, now)
                evaluations.record(published_pack("host"), "guest", guest.id, facts, cards, now)
                db.session.commit()

        def warm_backtest():
            one_more_arrival()
            backtest()

        # Baseline: the row-by-row replay, over the whole window (default mode) or one whole day
        # of it scaled to the window (large mode: the full replay would take minutes).
        end = utcnow()
        if args.evaluations:
            day = datetime.combine(end.date() - timedelta(days=2), datetime.min.time(), UTC)
            span, scale = (day, day + timedelta(days=1)), None
        else:
            span, scale = (end - timedelta(days=30), end), 1.0

        def reference():
            nonlocal scale
            with app.app_context():
                logged = evaluations.window("host", *span)
                evaluations.replay(published, logged)
                evaluations.replay(drafted, logged)
            if scale is None:
                scale = count / len(logged)

        cold = timed(backtest, 1)[0]
        base_bt, bench_bt, bench_cpu = [], [], []
        for _ in range(3):
            base_bt += [t * (scale or 1.0) for t in timed(reference, 1)]
            cpu = time.process_time()
            bench_bt += timed(warm_backtest, 1)
            bench_cpu.append(time.process_time() - cpu)

        base_ck, bench_ck = [], []
        if not args.evaluations:
            text = draft

            def check():
                answer = client.post("/analyst/packs/host/check", data={"text": text},
                                     headers={"HX-Request": "true"})  # fmt: skip
                assert answer.status_code == 200 and b'data-check="ok"' in answer.data

            def load_only():
                guidance_rules.load_pack(text)

            for _ in range(10):
                base_ck += timed(load_only, 10)
                bench_ck += timed(check, 10)

    name = "backtest 1M x 40 rules (s)" if args.evaluations else "backtest 30 days (s)"
    print(
        f"logged evaluations: {count:,} ({logging:.1f} s to log; {size:,.0f} bytes of JSON each);"
        f" host pack: {rules} rules"
    )
    print(f"{'':30} {'measured':>10} {'baseline':>10} {'speed-up':>8} {'target':>8}")
    row(name, statistics.median(bench_bt), statistics.median(base_bt))
    print(f"{'  CPU time of this process (s)':30} {statistics.median(bench_cpu):>10.2f}"
          "   (what the machine's other work does not stretch)")  # fmt: skip
    print(f"{'  first backtest ever (s)':30} {cold:>10.2f}   (turns each day's JSON into columns)")
    if bench_ck:
        row("check p95 (ms)", p95(bench_ck) * 1000, p95(base_ck) * 1000, ".1f")
    print("measured: the backtest view, warm: one arrival logged before each click (today's")
    print("columns made again); baseline: row-by-row replay of both packs from the JSON rows")
    if args.evaluations:
        print("(baseline timed on one whole day of the log and scaled to the window's rows)")
    print("check baseline: load_pack of the same text")


if __name__ == "__main__":
    main()
