"""The displacement model's P(sell out) against the demo world's truth:
`python bench/displacement_truth.py [SEEDS...]`.

Fresh demo worlds (`frontline.demo.frames`, the demo's own size) are trained as the app
trains; every future flight is scored as of the world's `now`. The generator knows the load
each flight will really leave with (`true_final_kg`), so a flight "sells out" when that is
at least 97% of capacity, the model's own definition. Printed by days to departure and load
band: flights, the model's mean P(sell out), the share that really sold out, and the
displacement (median $/kg).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from frontline.demo import frames as world
from models import cargo_pricing, displacement

LOAD_BANDS = [0.0, 0.4, 0.6, 0.8, 1.01]
LOAD_NAMES = ["<40%", "40-60%", "60-80%", ">=80%"]
DAY_BANDS = [0.0, 3.0, 7.0, 14.0, 31.0]
DAY_NAMES = ["0-3 d", "3-7 d", "7-14 d", "14-30 d"]


def scored_flights(seed: int) -> pd.DataFrame:
    """Every future flight of a fresh world: model's P(sell out) and the truth."""
    w = world.cargo_world(seed)
    model = cargo_pricing.train(w.quotes, w.flights, w.bookings)
    future = w.flights[w.flights["departure"] > w.now].reset_index(drop=True)
    scored = displacement.score(model, future, as_of=w.now)
    return pd.DataFrame(
        {
            "seed": seed,
            "lane": future["lane"],
            "days": (future["departure"] - w.now).dt.total_seconds() / 86400,
            "load": future["booked_kg"] / future["capacity_kg"],
            "p_model": scored["p_demand_exceeds"].to_numpy(),
            "p_truth": world.sell_out_truth(
                future["lane"],
                ((future["departure"] - w.now).dt.total_seconds() / 86400).to_numpy(),
                (future["booked_kg"] / future["capacity_kg"]).to_numpy(),
            ),
            "sold_out": (future["true_final_kg"] >= 0.97 * future["capacity_kg"]).to_numpy(),
            "displacement": scored[displacement.FACT].astype(float).to_numpy(),
        }
    )


def table(frame: pd.DataFrame) -> str:
    frame = frame.assign(
        load_band=pd.cut(frame["load"], LOAD_BANDS, right=False, labels=LOAD_NAMES),
        day_band=pd.cut(frame["days"], DAY_BANDS, labels=DAY_NAMES),
    )
    lines = ["days out | load band | flights | P(sell out): model | truth | sold out | disp $/kg"]
    cells = frame.groupby(["day_band", "load_band"], observed=True)
    for (days, load), part in cells:
        lines.append(
            f"{days:>8} | {load:>9} | {len(part):>7} | {part['p_model'].mean():>18.2f} | "
            f"{part['p_truth'].mean():>5.2f} | {part['sold_out'].mean():>8.2f} | "
            f"{part['displacement'].median():>9.2f}"
        )
    brier = ((frame["p_model"] - frame["sold_out"]) ** 2).mean()
    brier_truth = ((frame["p_truth"] - frame["sold_out"]) ** 2).mean()
    base = ((frame["sold_out"].mean() - frame["sold_out"]) ** 2).mean()
    lines.append(
        f"all: {len(frame)} flights, model mean P {frame['p_model'].mean():.2f}, sold out "
        f"{frame['sold_out'].mean():.2f}; Brier {brier:.3f} (truth's P {brier_truth:.3f}, "
        f"base rate alone {base:.3f}); mean |model - truth| "
        f"{(frame['p_model'] - frame['p_truth']).abs().mean():.3f}; "
        f"corr(displacement, load) {np.corrcoef(frame['displacement'], frame['load'])[0, 1]:+.2f}"
    )
    return "\n".join(lines)


def main(seeds: list[int]) -> None:
    print(table(pd.concat([scored_flights(s) for s in seeds], ignore_index=True)))


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]] or [1, 2, 3, 4, 5])
