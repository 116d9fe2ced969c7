"""Price guidance on 300 quote requests, through the app's own quote path:
`python bench/pricing_report.py` (issue 16's table; docs/models.md quotes its figures).

The demo world (seed 42, the cargo side at its `make demo` size) goes into a temporary
SQLite file; the cargo model is trained and flights scored as `frontline models train` and
`score` do. Then 300 requests on real departures 0.6-25 days out, each priced by
`quoting.advise` as the rep's screen does.

The requests cover the grid of days to departure x load factor. In the demo world, as at
an airline, how full a flight is depends on how far away it is (every flight 14+ days out
is under 40% full), so a table by load alone mixes near flights with far ones, whose
displacement is high because much demand is still to come. Each populated cell (at least
three departures) gets an equal share of the requests, and request i of every cell has the
same shipper and shipment size, so cells differ by the flight only.

The script prints the tables and checks issue 16's done-when conditions; it exits 1 and
names the condition when one fails.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from frontline import create_app, demo
from frontline.cargo.facts import DISPLACEMENT
from frontline.cargo.quoting import advise, parse_request
from frontline.cargo.wallets import wallets
from frontline.extensions import db
from frontline.scoring import frames, jobs
from frontline.tables import Customer, Flight, utcnow

REQUESTS = 300
SIZES = demo.Sizes(guests=60)  # the casino side plays no part here
MARGIN = 0.05  # PricingPolicy.min_margin_per_kg
LOAD_BANDS, LOAD_NAMES = [0.0, 0.4, 0.6, 0.8, 1.01], ["<40%", "40-60%", "60-80%", ">=80%"]
DAY_BANDS, DAY_NAMES = [0.6, 3, 7, 14, 25], ["0.6-3 d", "3-7 d", "7-14 d", "14-25 d"]
MIN_FLIGHTS = 3  # a cell with fewer departures is shown as absent, not priced
TIE = 0.005  # medians this close count as equal (cells whose displacement is the same)


def make_app(directory: Path):
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'report.sqlite3'}",
            "MODEL_DIR": str(directory / "models"),
            "SECRET_KEY": "report-secret-key-that-is-long-enough-for-this",
        }
    )


def cells(now) -> dict[tuple[str, str], list[Flight]]:
    """Departures 0.6-25 days out with room for 100 kg, by (days band, load band)."""
    flights = db.session.scalars(
        select(Flight).where(
            Flight.departs_at > now + timedelta(days=DAY_BANDS[0]),
            Flight.departs_at <= now + timedelta(days=DAY_BANDS[-1]),
            Flight.capacity_kg - Flight.booked_kg >= 100,
        )
    ).all()
    grid: dict[tuple[str, str], list[Flight]] = {}
    for f in flights:
        key = cell_of(f.load_factor, (f.departs_at - now) / timedelta(days=1))
        grid.setdefault(key, []).append(f)
    return {k: v for k, v in grid.items() if len(v) >= MIN_FLIGHTS}


def cell_of(load: float, days: float) -> tuple[str, str]:
    day = DAY_NAMES[int(np.clip(np.searchsorted(DAY_BANDS, days, side="right") - 1, 0, 3))]
    return day, LOAD_NAMES[int(np.searchsorted(LOAD_BANDS, load, side="right") - 1)]


def requests_and_answers(rng: np.random.Generator) -> tuple[pd.DataFrame, int]:
    now = utcnow()
    customers = db.session.scalars(select(Customer).order_by(Customer.id)).all()
    shares = wallets(customers, now)
    grid = cells(now)
    per_cell = REQUESTS // len(grid)
    shippers = [customers[int(i)] for i in rng.integers(len(customers), size=per_cell)]
    sizes = np.clip(rng.lognormal(7.3, 0.8, per_cell), 100, 8000).astype(int)
    rows = []
    for key in sorted(grid, key=lambda k: (DAY_NAMES.index(k[0]), LOAD_NAMES.index(k[1]))):
        flights = [grid[key][int(i)] for i in rng.permutation(len(grid[key]))]
        for i in range(per_cell):
            flight = flights[i % len(flights)]
            kg = int(min(sizes[i], 0.8 * (flight.capacity_kg - flight.booked_kg)))
            form = {
                "customer": shippers[i].code,
                "lane": flight.lane.code,
                "ready_date": flight.departs_at.date().isoformat(),
                "weight_kg": str(kg),
                "volume_m3": f"{kg / 170:.3f}",
                "flight_id": str(flight.id),
            }
            result = advise(parse_request(form, now.date()), now)
            rows.append(_row(result, now, key, shares[shippers[i].id].share))
    frame = pd.DataFrame(rows)
    frame.attrs["all_shares"] = pd.Series([w.share for w in shares.values()], dtype=float)
    return frame, len(grid)


def _row(result, now, cell, share_seen) -> dict:
    flight, pricing = result.chosen.flight, result.pricing
    prices = pricing.facts()
    days = (flight.departs_at - now) / timedelta(days=1)
    return {
        "lane": result.request.lane.code,
        "flight": flight.id,
        "load": flight.load_factor,
        "days": days,
        "planned": cell,
        "day_band": cell_of(flight.load_factor, days)[0],
        "load_band": cell_of(flight.load_factor, days)[1],
        "recommended": float(prices["price.recommended"]),
        "floor": float(prices["price.floor"]),
        "stretch": float(prices["price.stretch"]),
        "win": prices["price.win_prob"],
        "win_stretch": prices["price.win_prob_stretch"],
        "cost": float(pricing.rates.cost_per_kg),
        "displacement": float(prices[DISPLACEMENT]),
        "cheapest": min((float(o.rate) for o in result.competitors), default=np.nan),
        "competitors": len(result.competitors),
        "share_seen": share_seen,
        "share_model": float(
            frames.share_of_wallet(
                pd.Series([result.request.customer.id]), pd.Series([frames.to_naive_utc(now)])
            )[0]
        ),
        "reason": pricing.reason,
    }


def summary(frame: pd.DataFrame, populated: int) -> list[str]:
    n = len(frame)
    at_floor = frame["recommended"] <= frame["floor"]
    ratio = frame["recommended"] / frame["cheapest"]
    win, stretch_win = frame["win"], frame["win_stretch"]
    binds = frame["reason"][at_floor].str.startswith("at the floor").sum()
    priced = frame["day_band"] + " " + frame["load_band"]
    moved = (frame["planned"].str.join(" ") != priced).sum()
    return [
        f"requests: {n} on {frame['lane'].nunique()} lanes, {frame['flight'].nunique()} "
        f"departures {frame['days'].min():.1f}-{frame['days'].max():.1f} days out, "
        f"{populated} populated cells of days x load; competitor seen on "
        f"{(frame['competitors'] > 0).sum()}; priced on another cell's flight: {moved}",
        f"recommended = floor: {at_floor.sum()} ({at_floor.mean():.1%}); of those the reason "
        f"says the floor binds: {binds}",
        f"floor = cost + displacement + ${MARGIN:.2f} margin: {floor_ok(frame).sum()} of {n}",
        f"recommended / cheapest competitor: median {ratio.median():.3f}; below it in "
        f"{(ratio < 1).mean():.0%}; stretch below it in "
        f"{(frame['stretch'] < frame['cheapest']).sum()}",
        f"win chance at recommended: median {win.median():.2f} (range {win.min():.2f}-"
        f"{win.max():.2f}); at stretch: median {stretch_win.median():.2f}",
        f"corr(displacement, load factor): {corr(frame):+.2f}",
    ]


def floor_ok(frame: pd.DataFrame) -> pd.Series:
    unit = np.ceil(np.round((frame["cost"] + frame["displacement"] + MARGIN) * 100, 6)) / 100
    return pd.Series(np.isclose(frame["floor"], unit), index=frame.index)


def corr(frame: pd.DataFrame) -> float:
    return float(np.corrcoef(frame["displacement"], frame["load"])[0, 1])


def by_cell(frame: pd.DataFrame) -> pd.DataFrame:
    """Medians per (days band, load band), in grid order."""
    day = pd.Categorical(frame["day_band"], DAY_NAMES, ordered=True)
    load = pd.Categorical(frame["load_band"], LOAD_NAMES, ordered=True)
    frame = frame.assign(
        ratio=frame["recommended"] / frame["cheapest"],
        stretch_ratio=frame["stretch"] / frame["cheapest"],
        at_floor=frame["recommended"] <= frame["floor"],
    )
    return frame.groupby([day, load], observed=True).agg(
        n=("ratio", "size"),
        flights=("flight", "nunique"),
        ratio=("ratio", "median"),
        stretch=("stretch_ratio", "median"),
        displacement=("displacement", "median"),
        win=("win", "median"),
        at_floor=("at_floor", "sum"),
    )


def tables(frame: pd.DataFrame) -> list[str]:
    head = (
        "days out | load band | n   | flights | rec/cheapest | stretch/cheapest | "
        "displacement $/kg | win at rec | at floor"
    )
    lines = ["", "By days to departure and load factor (medians):", head]
    for (day, load), r in by_cell(frame).iterrows():
        lines.append(
            f"{day:>8} | {load:>9} | {int(r.n):<3} | {int(r.flights):>7} | {r.ratio:>12.3f} | "
            f"{r.stretch:>16.3f} | {r.displacement:>17.2f} | {r.win:>10.2f} | {int(r.at_floor)}"
        )
    lines += ["", "All days together, by load factor (medians):", head.replace("days out | ", "")]
    band = pd.Categorical(frame["load_band"], LOAD_NAMES, ordered=True)
    for load, part in frame.groupby(band, observed=True):
        r = by_cell(part.assign(day_band=DAY_NAMES[0])).iloc[0]
        lines.append(
            f"{load:>9} | {int(r.n):<3} | {int(r.flights):>7} | {r.ratio:>12.3f} | "
            f"{r.stretch:>16.3f} | {r.displacement:>17.2f} | {r.win:>10.2f} | {int(r.at_floor)}"
        )
    return lines


def _shares(frame: pd.DataFrame) -> list[str]:
    everyone = frame.attrs["all_shares"]
    same = (abs(frame["share_model"] - frame["share_seen"]) <= 0.01).mean()
    return [
        "",
        f"share of wallet reps see, all {len(everyone)} shippers: {_spread(everyone)}",
        f"share of wallet reps see, the {frame['share_seen'].count()} requests: "
        f"{_spread(frame['share_seen'])}",
        f"share served to the model = share reps see (within 1 point): {same:.0%}",
    ]


def _spread(share: pd.Series) -> str:
    q = [f"{v:.0%}" for v in share.quantile([0.1, 0.25, 0.5, 0.75, 0.9])]
    return (
        f"p10 {q[0]}, p25 {q[1]}, median {q[2]}, p75 {q[3]}, p90 {q[4]}; "
        f"at 100%: {(share >= 1).mean():.0%}"
    )


def _reasons(frame: pd.DataFrame) -> list[str]:
    kinds = frame["reason"].str.split(" \\(").str[0].str.replace(r"\d+%", "N%", regex=True)
    lines = ["", "reasons (count, first of each kind):"]
    for kind, first in frame.groupby(kinds)["reason"].first().items():
        lines.append(f"  {(kinds == kind).sum():>3} x {first}")
    return lines


def failures(frame: pd.DataFrame) -> list[str]:
    """Issue 16's done-when conditions that do not hold, each in one line."""
    out = []
    at_floor = frame["recommended"] <= frame["floor"]
    said = frame["reason"].str.startswith("at the floor")
    if (at_floor & ~said).any():
        out.append(f"{(at_floor & ~said).sum()} at the floor without the reason saying so")
    unforced = at_floor & (frame["displacement"] < 0.005)
    if unforced.mean() > 0.10:
        out.append(f"recommended = floor with no displacement in {unforced.mean():.0%} (> 10%)")
    if not floor_ok(frame).all():
        out.append(f"floor != cost + displacement + margin in {(~floor_ok(frame)).sum()}")
    if not corr(frame) > 0:
        out.append(f"corr(displacement, load factor) = {corr(frame):+.2f}, not positive")
    for day, part in by_cell(frame).groupby(level=0, observed=True):
        ratios = part["ratio"].to_numpy()
        if len(ratios) < 2:
            continue
        if (np.diff(ratios) < -TIE).any() or not ratios[-1] > ratios[0]:
            out.append(f"{day}: rec/cheapest does not rise with load: {np.round(ratios, 3)}")
    share = frame.attrs["all_shares"].dropna()  # every shipper: 30 in the requests are few
    if share.quantile(0.9) - share.quantile(0.1) < 0.25 or (share >= 1).mean() > 0.05:
        out.append(f"share of wallet is not spread across its range: {_spread(share)}")
    return out


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))
        with app.app_context():
            db.create_all()
            demo.load(seed=42, sizes=SIZES)
            jobs.train("cargo_pricing")
            jobs.score_flights()
            frame, populated = requests_and_answers(np.random.default_rng(16))
    print("\n".join(summary(frame, populated) + tables(frame) + _shares(frame) + _reasons(frame)))
    problems = failures(frame)
    print("")
    print("\n".join(f"FAILED: {p}" for p in problems) or "done-when conditions: all hold")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
