"""The demo's staff: four advertised logins plus the rest of the host team and sales force."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

DEMO_PASSWORD = "demo"

#: (email, display name, role, comp authority)
LOGINS = (
    ("host@demo.test", "Maya Chen", "host", Decimal(500)),
    ("rep@demo.test", "Tom Becker", "rep", None),
    ("analyst@demo.test", "Ana Ruiz", "analyst", None),
    ("admin@demo.test", "Sam Okafor", "admin", None),
)
MANAGER = ("shift.manager@demo.test", "Rita Moreno", "host", Decimal(5000))
OTHER_HOSTS = (
    "Leo Park", "Nina Walsh", "Omar Haddad", "Priya Gupta", "Jon Eriksen",
    "Sara Vogel", "Ken Ito", "Lucia Silva", "Ben Novak", "Ivy Wong",
)  # fmt: skip
OTHER_REPS = ("Clara Jensen", "Felix Duarte", "Hana Kim")
#: The sales leads who sign off marketing's changes to their team's pack, when a pack asks.
SIGNS_OFF = {"shift.manager@demo.test": "host", "clara.jensen@demo.test": "rep"}

#: Hosts rotate over three 8-hour shifts; the demo host works a double so alerts reach her.
ROTATIONS = ((0, 8), (8, 16), (16, 24))
FLOOR_ZONES = (
    ("main_floor", "high_limit", "steakhouse", "hotel_lobby"),
    ("main_floor", "poker_room", "sportsbook", "noodle_bar"),
    ("high_limit", "spa", "pool", "showroom", "buffet"),
)


def email_for(name: str) -> str:
    return name.lower().replace(" ", ".") + "@demo.test"


def staff() -> list[dict]:
    rows = [_user(*login) for login in (*LOGINS, MANAGER)]
    rows += [
        _user(email_for(n), n, "host", Decimal(300 + 100 * (i % 4)))
        for i, n in enumerate(OTHER_HOSTS)
    ]
    rows += [_user(email_for(n), n, "rep", None) for n in OTHER_REPS]
    return rows


def _user(email: str, name: str, role: str, authority: Decimal | None) -> dict:
    return {
        "email": email,
        "display_name": name,
        "role": role,
        "comp_authority": authority,
        "signs_off": SIGNS_OFF.get(email),
    }


def shifts(host_ids: list[int], manager_id: int, demo_host_id: int, today: date, days: int):
    """Shifts from a week ago to two weeks ahead; the manager covers every zone."""
    for offset in range(-7, days):
        day = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=offset)
        for i, host_id in enumerate(host_ids):
            start, end = (0, 24) if host_id == demo_host_id else ROTATIONS[(i + offset) % 3]
            yield {
                "user_id": host_id,
                "starts_at": day + timedelta(hours=start),
                "ends_at": day + timedelta(hours=end),
                "zones": list(FLOOR_ZONES[i % 3]),
                "is_manager": False,
            }
        yield {
            "user_id": manager_id,
            "starts_at": day,
            "ends_at": day + timedelta(days=1),
            "zones": sorted({z for group in FLOOR_ZONES for z in group}),
            "is_manager": True,
        }
