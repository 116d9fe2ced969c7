"""People and shifts at resort scale: bulk imports, and "who is on now" for a zone.

    .venv/bin/python bench/people_bench.py [--people 2000] [--shifts 10000] [--postgres]

Targets (issue 18): importing 2,000 people and 10,000 shifts <= 5 s together; "who is on
now" for a zone <= 5 ms. Baselines, same run, same database: reading both CSV files and
inserting their rows with no checks at all (the floor any import pays); a one-row indexed
lookup (the floor any query pays). Also times one `frontline users create` process, to show
where its seconds go (process start vs password hashing).

SQLite in a temporary directory by default; --postgres uses FRONTLINE_TEST_POSTGRES_URL in a
throwaway schema.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from frontline import create_app  # noqa: E402
from frontline.casino import shifts  # noqa: E402
from frontline.casino.shift_import import import_shifts  # noqa: E402
from frontline.extensions import db  # noqa: E402
from frontline.people.imports import import_users  # noqa: E402
from frontline.tables import Shift, User, Zone  # noqa: E402

ZONES = ("main_floor", "high_limit", "poker_room", "sportsbook", "spa", "pool", "steakhouse",
         "noodle_bar", "buffet", "hotel_lobby", "showroom", "nightclub")  # fmt: skip
LOOKUPS = 2000


def write_files(folder: Path, people: int, shift_count: int) -> tuple[Path, Path]:
    hosts = int(people * 0.8)
    users = folder / "users.csv"
    with users.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["email", "name", "role", "comp_authority", "lanes", "accounts"])
        for n in range(people):
            role = "host" if n < hosts else ("rep" if n % 2 else "analyst")
            out.writerow([f"p{n}@resort.test", f"Person {n}", role,
                          "500" if role == "host" else "", "", ""])  # fmt: skip
    roster = folder / "shifts.csv"
    first_day = date.today() - timedelta(days=shift_count // hosts // 2)
    with roster.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["shift_id", "email", "date", "start", "end", "zones", "manager"])
        for n in range(shift_count):
            host, day = n % hosts, n // hosts
            start = (host % 3) * 8  # three rotations: 00-08, 08-16, 16-24 (ends 00:00)
            out.writerow([f"wfm-{n}", f"p{host}@resort.test",
                          (first_day + timedelta(days=day)).isoformat(), f"{start:02d}:00",
                          f"{(start + 8) % 24:02d}:00",
                          "; ".join(ZONES[(host + k) % len(ZONES)] for k in range(3)),
                          "yes" if host < 3 else "no"])  # fmt: skip
    return users, roster


def baseline_import(users: Path, roster: Path) -> float:
    """Read both files and insert their rows with no checks (then remove them again)."""
    started = time.perf_counter()
    with users.open() as handle:
        rows = [
            {"email": r["email"], "display_name": r["name"], "role": r["role"].upper(),
             "password_hash": "", "enabled": True, "is_demo": False,
             "created_at": datetime.now(UTC)}
            for r in csv.DictReader(handle)
        ]  # fmt: skip
    db.session.execute(sa.insert(User), rows)
    ids = dict(db.session.execute(sa.select(User.email, User.id)).all())
    with roster.open() as handle:
        shift_rows = [
            {"user_id": ids[r["email"]],
             "starts_at": datetime.fromisoformat(r["date"] + "T00:00+00:00"),
             "ends_at": datetime.fromisoformat(r["date"] + "T08:00+00:00"),
             "zones": r["zones"].split("; "), "is_manager": False, "external_id": r["shift_id"]}
            for r in csv.DictReader(handle)
        ]  # fmt: skip
    db.session.execute(sa.insert(Shift), shift_rows)
    db.session.commit()
    elapsed = time.perf_counter() - started
    db.session.execute(sa.delete(Shift))
    db.session.execute(sa.delete(User))
    db.session.commit()
    return elapsed


def timed_lookups(action, count: int = LOOKUPS) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95)]
    return f"p50 {statistics.median(ordered):.3f} ms, p95 {p95:.3f} ms"


def users_create_seconds(database_url: str) -> tuple[float, float]:
    """One `frontline users create` process, and `frontline --help` (start-up alone)."""
    env = {**os.environ, "FRONTLINE_DATABASE_URL": database_url}
    frontline = str(Path(sys.executable).with_name("frontline"))
    started = time.perf_counter()
    subprocess.run([frontline, "users", "create", "--email", "one@resort.test", "--name", "One",
                    "--role", "host", "--password", "a-long-password"],
                   env=env, check=True, capture_output=True)  # fmt: skip
    create = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([frontline, "--help"], env=env, check=True, capture_output=True)
    return create, time.perf_counter() - started


def database(args, folder: Path) -> tuple[str, callable]:
    if not args.postgres:
        return f"sqlite:///{folder / 'bench.sqlite3'}", lambda: None
    url = os.environ.get("FRONTLINE_TEST_POSTGRES_URL",
                         "postgresql+psycopg://postgres@127.0.0.1:5432/test")  # fmt: skip
    schema = f"people_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))

    return f"{url}?options=-csearch_path%3D{schema}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--shifts", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url, drop = database(args, folder)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 40})
        try:
            run(app, folder, args, url)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            drop()


def run(app, folder: Path, args, url: str) -> None:
    users, roster = write_files(folder, args.people, args.shifts)
    with app.app_context():
        db.create_all()
        db.session.add_all(Zone(code=z, name=z.replace("_", " ").title(), kind="gaming")
                           for z in ZONES)  # fmt: skip
        db.session.commit()
        floor = baseline_import(users, roster)
        started = time.perf_counter()
        created, _updated, _links = import_users(users)
        people_s = time.perf_counter() - started
        started = time.perf_counter()
        made, _replaced = import_shifts(roster)
        shifts_s = time.perf_counter() - started
        total = people_s + shifts_s
        print(f"import {created:,} people: {people_s:.2f} s; {made:,} shifts: {shifts_s:.2f} s")
        print(f"  together {total:.2f} s (target <= 5 s) "
              f"{'OK' if total <= 5 else 'OVER'}; baseline (read + insert, no checks) "
              f"{floor:.2f} s; ratio {total / floor:.1f}x")  # fmt: skip

        now = datetime.now(UTC)
        working = sum(len(v) for v in shifts.on_now(now).values())
        on_now = timed_lookups(lambda: shifts.on_now_in("spa", now))
        lookup = sa.select(Zone.name).where(Zone.code == sa.bindparam("code"))
        floor_q = timed_lookups(lambda: db.session.execute(lookup, {"code": "spa"}).all())
        p50 = statistics.median(on_now)
        print(f"who is on now, spa ({len(shifts.on_now_in('spa', now))} people; {working} "
              f"zone places filled): {summary(on_now)} (target <= 5 ms) "
              f"{'OK' if p50 <= 5 else 'OVER'}")  # fmt: skip
        print(f"  baseline one-row indexed lookup: {summary(floor_q)}; "
              f"ratio {p50 / statistics.median(floor_q):.1f}x")  # fmt: skip
        hashing = timed_lookups(lambda: generate_password_hash("a-long-password"), 5)
    if not args.postgres:
        create, start = users_create_seconds(url)
        print(f"`frontline users create`: {create:.2f} s per person, of which process start "
              f"{start:.2f} s and scrypt hashing {statistics.median(hashing):.0f} ms; "
              f"the import: {people_s / max(created, 1) * 1000:.2f} ms per person")  # fmt: skip


if __name__ == "__main__":
    main()
