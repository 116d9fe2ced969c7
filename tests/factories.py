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
