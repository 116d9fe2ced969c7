"""Price guidance on 300 realistic quote requests, through the app's own quote path:
`python bench/pricing_report.py` (issue 16's table; docs/models.md quotes its figures).

The demo world (seed 42, the cargo side at its `make demo` size) goes into a temporary
SQLite file; the cargo model is trained and flights scored as `frontline models train` and
`score` do. Then 300 requests: real customers, all 10 lanes in turn, a departure 0.6-25 days
out, shipments of 100 kg-8 t, each priced by `quoting.guide` as the rep's screen does.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from frontline import create_app, demo
from frontline.cargo import outlook
from frontline.cargo.quoting import guide, parse_request
from frontline.extensions import db
from frontline.scoring import frames, jobs
from frontline.tables import Customer, Flight, Lane, utcnow

REQUESTS = 300
SIZES = demo.Sizes(guests=60)  # the casino side plays no part here
BANDS = [0.0, 0.4, 0.6, 0.8, 1.01]


def make_app(directory: Path):
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'report.sqlite3'}",
            "MODEL_DIR": str(directory / "models"),
            "SECRET_KEY": "report-secret-key-that-is-long-enough-for-this",
        }
    )


def requests_and_answers(rng: np.random.Generator) -> pd.DataFrame:
    now = utcnow()
    lanes = db.session.scalars(select(Lane).order_by(Lane.code)).all()
    customers = db.session.scalars(select(Customer).order_by(Customer.id)).all()
    wallets = outlook.wallets(customers, now)
    rows = []
    for i in range(REQUESTS):
        lane = lanes[i % len(lanes)]
        flights = db.session.scalars(
            select(Flight).where(
                Flight.lane_id == lane.id,
                Flight.departs_at > now + timedelta(days=0.6),
                Flight.departs_at <= now + timedelta(days=25),
            )
        ).all()
        flight = flights[int(rng.integers(len(flights)))]
        customer = customers[int(rng.integers(len(customers)))]
        kg = int(np.clip(rng.lognormal(7.3, 0.8), 100, 8000))
        form = {
            "customer": customer.code,
            "lane": lane.code,
            "ready_date": max(flight.departs_at.date() - timedelta(days=1), date.today()),
            "weight_kg": str(kg),
            "volume_m3": f"{kg / 170:.3f}",
            "flight_id": str(flight.id),
        }
        form["ready_date"] = form["ready_date"].isoformat()
        result = guide(parse_request(form, date.today()), now)
        rows.append(_row(result, now, wallets[customer.id].share))
    return pd.DataFrame(rows)


def _row(result, now, share_seen) -> dict:
    flight, prices = result.chosen.flight, result.prices
    cheapest = min((float(o.rate) for o in result.competitors), default=np.nan)
    return {
        "lane": result.request.lane.code,
        "load": flight.load_factor,
        "days": (flight.departs_at - now).total_seconds() / 86400,
        "recommended": float(prices["price.recommended"]),
        "floor": float(prices["price.floor"]),
        "stretch": float(prices["price.stretch"]),
        "win": prices["price.win_prob"],
        "win_stretch": prices["price.win_prob_stretch"],
        "cost": float(prices["price.cost_per_kg"]),
        "displacement": float(prices[outlook.DISPLACEMENT]),
        "cheapest": cheapest,
        "competitors": len(result.competitors),
        "share_seen": share_seen,
        "share_model": float(
            frames.share_of_wallet(
                pd.Series([result.request.customer.id]), pd.Series([frames.to_naive_utc(now)])
            )[0]
        ),
        "reason": result.reason,
    }


def _model_share(customer_id: int, now) -> float:
    at = pd.Series([frames.to_naive_utc(now)])
    return float(frames.share_of_wallet(pd.Series([customer_id]), at)[0])


def table(frame: pd.DataFrame) -> str:
    n, margin = len(frame), 0.05
    at_floor = frame["recommended"] <= frame["floor"]
    unit = np.ceil(np.round((frame["cost"] + frame["displacement"] + margin) * 100, 6)) / 100
    ratio = frame["recommended"] / frame["cheapest"]
    win, stretch_win = frame["win"], frame["win_stretch"]
    binds = frame["reason"][at_floor].str.startswith("at the floor").sum()
    corr = np.corrcoef(frame["displacement"], frame["load"])[0, 1]
    days = f"{frame['days'].min():.1f}-{frame['days'].max():.1f}"
    lines = [
        f"requests: {n} on {frame['lane'].nunique()} lanes; competitor seen on "
        f"{(frame['competitors'] > 0).sum()}; departures {days} days out",
        f"recommended = floor: {at_floor.sum()} ({at_floor.mean():.1%}); "
        f"of those the reason says the floor binds: {binds}",
        f"floor = cost + displacement + ${margin:.2f} margin: "
        f"{np.isclose(frame['floor'], unit).sum()} of {n}",
        f"recommended / cheapest competitor: median {ratio.median():.3f}; below it in "
        f"{(ratio < 1).mean():.0%}; stretch below it in "
        f"{(frame['stretch'] < frame['cheapest']).sum()}",
        f"win chance at recommended: median {win.median():.2f} (range {win.min():.2f}-"
        f"{win.max():.2f}); at stretch: median {stretch_win.median():.2f}",
        f"corr(displacement, load factor): {corr:+.2f}",
        "",
        "load band | n   | rec/cheapest | stretch/cheapest | displacement $/kg | at floor",
    ]
    band = pd.cut(frame["load"], BANDS, right=False, labels=["<40%", "40-60%", "60-80%", ">=80%"])
    for name, part in frame.groupby(band, observed=True):
        r = (part["recommended"] / part["cheapest"]).median()
        s = (part["stretch"] / part["cheapest"]).median()
        d = part["displacement"].median()
        at = (part["recommended"] <= part["floor"]).sum()
        lines.append(f"{name:>9} | {len(part):<3} | {r:>12.3f} | {s:>16.3f} | {d:>17.2f} | {at}")
    lines.append("(medians per band)")
    return "\n".join(lines + _shares(frame) + _reasons(frame))


def _shares(frame: pd.DataFrame) -> list[str]:
    q = [f"{v:.0%}" for v in frame["share_seen"].quantile([0.1, 0.25, 0.5, 0.75, 0.9])]
    same = (abs(frame["share_model"] - frame["share_seen"]) <= 0.01).mean()
    return [
        "",
        f"share of wallet reps see: p10 {q[0]}, p25 {q[1]}, median {q[2]}, p75 {q[3]}, "
        f"p90 {q[4]}; at 100%: {(frame['share_seen'] >= 1).mean():.0%}",
        f"share served to the model = share reps see (within 1 point): {same:.0%}",
    ]


def _reasons(frame: pd.DataFrame) -> list[str]:
    kinds = frame["reason"].str.split(" \\(").str[0].str.replace(r"\d+%", "N%", regex=True)
    lines = ["", "reasons (count, first of each kind):"]
    for kind, first in frame.groupby(kinds)["reason"].first().items():
        lines.append(f"  {(kinds == kind).sum():>3} x {first}")
    return lines


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))
        with app.app_context():
            db.create_all()
            demo.load(seed=42, today=date.today(), sizes=SIZES)
            jobs.train("cargo_pricing")
            jobs.score_flights()
            frame = requests_and_answers(np.random.default_rng(16))
    print(table(frame))


if __name__ == "__main__":
    main()
