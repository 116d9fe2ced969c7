"""The demo world: a casino resort and a cargo airline, generated from one seed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import func, insert, select
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..tables import (
    Booking,
    CompetitorOffer,
    Customer,
    Flight,
    Guest,
    GuestOffer,
    Lane,
    Quote,
    Shift,
    User,
    Visit,
    Zone,
)
from . import cargo, casino, names, people, plans


class DemoRefused(Exception):
    """The demo world cannot be loaded here; the message says why."""


@dataclass(frozen=True)
class Sizes:
    guests: int = 2000
    history_days: int = 730
    shippers: int = 300
    past_flight_days: int = 90
    future_flight_days: int = 30
    quotes: int = 6000


@dataclass(frozen=True)
class Summary:
    counts: dict[str, int]
    logins: tuple[str, ...]


def is_loaded() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(User).where(User.is_demo)))


def refusal() -> str | None:
    """Why loading would be wrong now, or None: the demo only goes into an empty database."""
    if is_loaded():
        return "the demo world is already loaded; nothing was changed"
    if db.session.scalar(select(func.count()).select_from(User)):
        return "the database already has users; load the demo only into an empty database"
    return None


def load(seed: int = 42, today: date | None = None, sizes: Sizes = Sizes()) -> Summary:
    """Generate and insert the whole world in one transaction (all or nothing)."""
    reason = refusal()
    if reason:
        raise DemoRefused(reason)
    today = today or date.today()
    rng = np.random.default_rng(seed)
    try:
        users = _load_people(today)
        _load_casino(rng, users, today, sizes)
        _load_cargo(rng, users, today, sizes)
        plans.seed(datetime.combine(today, datetime.now(UTC).time(), tzinfo=UTC))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return Summary(counts=_counts(), logins=tuple(login[0] for login in people.LOGINS))


def _insert(table, rows: list[dict], *key: str) -> list[int]:
    """Bulk insert; with `key` (unique columns) return the new ids in the order of `rows`.

    Fields named `_x` are the generator's notes, not columns. Ids are looked up by
    natural key because RETURNING with executemany is quadratic on SQLite.
    """
    clean = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]
    db.session.execute(insert(table.__table__), clean)  # Core: one executemany per table
    if not key:
        return []
    found = db.session.execute(select(table.id, *(getattr(table, k) for k in key)))
    ids = {tuple(natural): id_ for id_, *natural in found}
    return [ids[tuple(row[k] for k in key)] for row in clean]


def _counts() -> dict[str, int]:
    tables = (
        User,
        Guest,
        Visit,
        GuestOffer,
        Customer,
        Lane,
        Flight,
        Quote,
        Booking,
        CompetitorOffer,
    )
    return {t.__tablename__: db.session.scalar(select(func.count()).select_from(t)) for t in tables}


def _load_people(today: date) -> dict[str, list[int]]:
    password = generate_password_hash(people.DEMO_PASSWORD)
    rows = [{**u, "password_hash": password, "is_demo": True} for u in people.staff()]
    ids = dict(zip([r["email"] for r in rows], _insert(User, rows, "email"), strict=True))
    manager_id = ids[people.MANAGER[0]]
    hosts = [ids["host@demo.test"]] + [ids[people.email_for(n)] for n in people.OTHER_HOSTS]
    db.session.execute(db.update(User).where(User.id.in_(hosts)).values(manager_id=manager_id))
    reps = [ids["rep@demo.test"]] + [ids[people.email_for(n)] for n in people.OTHER_REPS]
    shifts = list(people.shifts(hosts, manager_id, hosts[0], today, 14))
    _insert(Shift, shifts)
    return {"hosts": hosts, "reps": reps}


def _load_casino(rng, users, today: date, sizes: Sizes) -> None:
    _insert(Zone, [{"code": c, "name": n, "kind": k} for c, n, k in names.ZONES])
    guest_rows = casino.guests(rng, sizes.guests, users["hosts"])
    guest_ids = _insert(Guest, guest_rows, "external_id")
    start = today - timedelta(days=sizes.history_days)
    visit_rows, dates_by_guest = [], defaultdict(list)
    for v in casino.visits(rng, guest_rows, start, sizes.history_days):
        gi = v.pop("guest_index")
        visit_rows.append({**v, "guest_id": guest_ids[gi]})
        dates_by_guest[gi].append(v["visit_date"])
    _insert(Visit, visit_rows)
    offer_rows = [
        {**offer, "guest_id": guest_ids[gi]}
        for gi, days in dates_by_guest.items()
        for offer in casino.offers(rng, guest_rows[gi], days)
    ]
    _insert(GuestOffer, offer_rows)


def _load_cargo(rng, users, today: date, sizes: Sizes) -> None:
    lane_rows = [
        {"code": code, "origin": code[:3], "destination": code[4:], "rep_id": users["reps"][i % 4]}
        for i, (code, *_rest) in enumerate(cargo.LANES)
    ]
    lane_ids = _insert(Lane, lane_rows, "code")
    customer_rows = cargo.customers(rng, sizes.shippers, users["reps"])
    days = (sizes.past_flight_days, sizes.future_flight_days)
    flight_rows = list(cargo.flights(rng, lane_ids, today, *days))
    comp_rows = list(cargo.competitor_rates(rng, lane_ids, today, sizes.past_flight_days + 14))
    _insert(CompetitorOffer, comp_rows)
    comp_index = _best_competitor_by_day(comp_rows, lane_ids)
    quote_rows = list(
        cargo.quotes(rng, customer_rows, flight_rows, today, comp_index, sizes.quotes)
    )
    now = datetime.combine(today, datetime.now(UTC).time(), tzinfo=UTC)
    bookings = cargo.bookings(rng, flight_rows, quote_rows, customer_rows, now)
    customer_ids = _insert(Customer, customer_rows, "code")  # after bookings set their spend
    flight_ids = _insert(Flight, flight_rows, "number", "departs_at")
    for q in quote_rows:
        q.update(
            customer_id=customer_ids[q["_customer_index"]],
            lane_id=lane_ids[q["_lane_index"]],
            flight_id=flight_ids[q["_flight_index"]],
            rep_id=customer_rows[q["_customer_index"]]["rep_id"],
        )
    quote_ids = _insert(Quote, quote_rows, "external_id")
    for b in bookings:
        b.update(
            customer_id=customer_ids[b["_customer_index"]],
            flight_id=flight_ids[b["_flight_index"]],
            quote_id=quote_ids[b["_quote_index"]] if b["_quote_index"] is not None else None,
        )
    _insert(Booking, bookings)


def _best_competitor_by_day(comp_rows: list[dict], lane_ids: list[int]) -> dict:
    """Lowest competitor rate seen on a lane in the 7 days up to each date."""
    lane_index = {lane_id: i for i, lane_id in enumerate(lane_ids)}
    best: dict = {}
    for row in comp_rows:
        for lag in range(7):
            key = (lane_index[row["lane_id"]], row["observed_on"] + timedelta(days=lag))
            rate = float(row["rate_per_kg"])
            best[key] = min(rate, best.get(key, rate))
    return best
