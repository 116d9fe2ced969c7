"""Small factories for test data; each commits and returns the row."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from werkzeug.security import generate_password_hash

_seq = itertools.count(1)


def make_user(role: str = "host", email: str | None = None, password: str = "pw-for-tests", **kw):
    from frontline.extensions import db
    from frontline.tables import Role, User

    n = next(_seq)
    user = User(
        email=email or f"user{n}@example.test",
        display_name=kw.pop("display_name", f"User {n}"),
        role=Role(role),
        **kw,
    )
    # A cheap hash keeps the suite fast; production uses Werkzeug's default (scrypt).
    user.password_hash = generate_password_hash(password, method="pbkdf2:sha256:1000")
    db.session.add(user)
    db.session.commit()
    return user


def make_guest(host=None, **kw):
    from frontline.extensions import db
    from frontline.tables import Guest, GuestTier

    n = next(_seq)
    guest = Guest(
        external_id=kw.pop("external_id", f"T{n:05d}"),
        name=kw.pop("name", f"Guest {n}"),
        tier=GuestTier(kw.pop("tier", "gold")),
        host_id=host.id if host else None,
        **kw,
    )
    db.session.add(guest)
    db.session.commit()
    return guest


def make_visit(guest, days_ago: int = 10, theo: str = "250.00", **kw):
    from frontline.extensions import db
    from frontline.tables import Visit

    visit = Visit(
        guest_id=guest.id,
        visit_date=date.today() - timedelta(days=days_ago),
        zone=kw.pop("zone", "main_floor"),
        theo_win=Decimal(theo),
        spend=Decimal(kw.pop("spend", "80.00")),
        **kw,
    )
    db.session.add(visit)
    db.session.commit()
    return visit


def make_zone(code: str = "main_floor", name: str = "Main casino floor", kind: str = "gaming"):
    from frontline.extensions import db
    from frontline.tables import Zone

    zone = Zone(code=code, name=name, kind=kind)
    db.session.add(zone)
    db.session.commit()
    return zone


def make_shift(user, zones=("main_floor",), hours: int = 8, manager: bool = False):
    """A shift that started an hour ago."""
    from datetime import UTC, datetime

    from frontline.extensions import db
    from frontline.tables import Shift

    start = datetime.now(UTC) - timedelta(hours=1)
    shift = Shift(
        user_id=user.id, starts_at=start, ends_at=start + timedelta(hours=hours),
        zones=list(zones), is_manager=manager,
    )  # fmt: skip
    db.session.add(shift)
    db.session.commit()
    return shift


def make_floor(guest_ids=("G1",), complaint: str = "Cold food.", **guest_kw):
    """A zone, a host on shift there, and her guests, each of whom complained last time."""
    make_zone()
    host = make_user(role="host", email="maya@example.test")
    make_shift(host)
    guests = []
    for external_id in guest_ids:
        guest = make_guest(host=host, external_id=external_id, **guest_kw)
        make_visit(guest, days_ago=20, rating=1, complaint=complaint)
        guests.append(guest)
    return host, guests


def make_token(scopes=("events:write", "guests:write", "guests:read"), name: str | None = None):
    from frontline.extensions import db
    from frontline.tables import ApiToken

    _, secret = ApiToken.issue(name or f"token-{next(_seq)}", list(scopes))
    db.session.commit()
    return secret


def arrival(guest_id: str, event_id: str | None = None, zone: str = "main_floor", **kw) -> dict:
    """The JSON body of a guest.arrived event."""
    from datetime import UTC, datetime

    return {
        "id": event_id or f"evt-{next(_seq)}",
        "type": kw.pop("type", "guest.arrived"),
        "occurred_at": kw.pop("occurred_at", datetime.now(UTC).isoformat()),
        "guest_id": guest_id,
        "location": {"zone": zone},
        "source": kw.pop("source", "card_in"),
        **kw,
    }


# -- cargo (issue 6) ------------------------------------------------------------------------

#: A demo world the cargo model trains on in about a second (seed 2: see test_scoring.py).
CARGO_SIZES = dict(guests=60, shippers=120, quotes=1500, past_flight_days=90, future_flight_days=14)
CARGO_SEED = 2


def train_cargo_model(directory, world_dir, today=None):
    """Train cargo_pricing on a demo world in its own SQLite file; returns DIRECTORY."""
    from frontline import create_app, demo
    from frontline.extensions import db
    from frontline.scoring import jobs

    url = f"sqlite:///{world_dir / 'world.sqlite3'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "MODEL_DIR": directory})
    with app.app_context():
        db.create_all()
        demo.load(seed=CARGO_SEED, today=today or date.today(), sizes=demo.Sizes(**CARGO_SIZES))
        jobs.train("cargo_pricing")
        db.session.remove()
        db.engine.dispose()
    return directory


def load_cargo_world(today=None):
    """The same demo world in the current app's database."""
    from frontline import demo

    return demo.load(seed=CARGO_SEED, today=today or date.today(), sizes=demo.Sizes(**CARGO_SIZES))


def make_competitor_rate(lane, rate: str, carrier: str = "Skyline", days_ago: int = 1, **kw):
    from frontline.extensions import db
    from frontline.tables import CompetitorOffer

    row = CompetitorOffer(
        carrier=carrier,
        lane_id=lane.id,
        observed_on=date.today() - timedelta(days=days_ago),
        rate_per_kg=Decimal(rate),
        transit_hours=kw.pop("transit_hours", 12),
        **kw,
    )
    db.session.add(row)
    db.session.commit()
    return row
