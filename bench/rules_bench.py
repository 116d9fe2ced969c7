"""The rule engine on the app's path, against hand-written Python: `python bench/rules_bench.py`.

Facts are plain dicts shaped exactly as the app builds them for the rep pack
(`frontline.cargo.facts.customer_facts`, `flight_facts`, `competitor_facts` and
`frontline.cargo.quoting.situation`): the same names, the same Python types (floats rounded as
the app rounds them, ints where the app has ints, `None` or an absent key where the app has no
value), built here without importing frontline (its fact builders need a database). Money
arrives as an integration sends it: as floats (the targets' case), and in the mixed workload
also as text and as the `Decimal`s the database gives; values sit exactly on the rules'
thresholds on purpose (2M, 0.25 differences) so that float arithmetic would get them wrong.

The baseline is the same 40 rules written by hand as Python `if`s, exact as the engine is: each
money fact it reads is turned into a Decimal once (floats by their shortest decimal, as the
engine reads them). A second, inexact baseline compares floats directly, as a float-based peer
does; the bench shows how many rows it gets wrong. Every path must agree with the exact
baseline on every row before any figure is printed.

Each figure is the median of several interleaved runs, and each ratio is against the exact
baseline measured in the same run on the same facts:
  1. `evaluate()` under both hit policies (cards are made for what is shown; card text is
     rendered when read, and the "+ text" row reads every shown card's headline and details,
     against the baseline formatting the same text by hand);
  2. `pack.match()` alone;
  3. the batch evaluator from the same Python dicts (columns built inside the timing), and from
     typed columns already in memory;
  4. loading a 40-rule pack (YAML text and data, cold and after a one-rule edit), its first
     `match()` (which compiles it), a pack ready to use (cold, then the first match), and
     `import guidance_rules` without numpy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from guidance_rules import evaluate, load_pack, pack_from_data

CONDITIONS = [
    "quote.total > $2M",
    "quote.rate < price.floor",
    'customer.tier == "key" and (customer.sow_trend <= -5% or customer.share_of_wallet < 30%)',
    "flight.days_to_departure <= 2 and flight.load_factor < 75% and flight.remaining_kg >= 2000",
    "flight.days_to_departure between 3 and 7 and flight.load_factor < 60%",
    'customer.tier >= "large" and customer.days_since_last_booking > customer.usual_booking_interval_days * 1.5',  # noqa: E501
    "competitor.undercut_pct >= 5% and competitor.best_rate >= price.floor",
    "competitor.best_rate < price.floor",
    "flight.load_factor >= 85% and price.win_prob_stretch >= 50%",
    "quote.rate * 1.3 >= price.stretch",
    'quote.total >= $500k and customer.tier in ["small", "standard"]',
    "flight.volume_load_factor > 90% and flight.load_factor < 70%",
    'lane.code in ["HKG-FRA", "PVG-AMS", "SIN-LHR"] and competitor.undercut_pct > 10%',
    'quote.commodity == "pharma" and flight.days_to_departure < 1',
    "competitor.transit_diff_hours >= 12 and competitor.undercut_pct between 2% and 8%",
    "price.win_prob < 20% and quote.rate > price.recommended",
    "customer.annual_revenue >= $10M and customer.sow_trend < 0",
    "lane.soft_departures_7d >= 3",
    "quote.chargeable_kg > quote.weight_kg * 1.5",
    "quote.rate - flight.displacement_cost < $0.25",
    'not (customer.tier == "key") and quote.total > $1M',
    "price.recommended - price.floor < $0.10 and flight.load_factor > 80%",
    "customer.days_since_last_booking > 90",
    "quote.volume_m3 > 100 or quote.weight_kg > 20000",
    'competitor.carrier == "RivalAir" and competitor.best_rate < price.recommended',
    "flight.load_factor >= 98%",
    'customer.share_of_wallet >= 80% and customer.tier == "key"',
    "price.win_prob_floor - price.win_prob > 30%",
    "quote.total between $100k and $250k and price.win_prob >= 60%",
    "flight.remaining_kg < 500 and quote.chargeable_kg > flight.remaining_kg",
    "customer.usual_booking_interval_days < 7 and customer.days_since_last_booking >= 14",
    "competitor.undercut_pct is missing and flight.load_factor < 50%",
    "quote.rate >= price.stretch",
    "abs(customer.sow_trend) >= 10%",
    "max(flight.load_factor, flight.volume_load_factor) >= 95%",
    'quote.commodity in ["perishables", "pharma", "live animals"] and flight.days_to_departure > 5',
    'customer.tier == "standard" and quote.total >= $250k',
    "price.stretch * 0.95 > competitor.best_rate and competitor.undercut_pct < 3%",
    'lane.code == "HKG-FRA" and flight.days_to_departure <= 1',
    "quote.weight_kg >= 50000 and flight.remaining_kg < quote.weight_kg",
]
MONEY = (
    "quote.total",
    "quote.rate",
    "price.floor",
    "price.recommended",
    "price.stretch",
    "competitor.best_rate",
    "flight.displacement_cost",
    "customer.annual_revenue",
)
HEADLINE = "{customer.name}: rule {i} on {lane.code}"
DETAIL = "Rate {quote.rate}, floor {price.floor}"


# -- the hand-written baselines ----------
TWO_M, ONE_M, HALF_M = Decimal(2_000_000), Decimal(1_000_000), Decimal(500_000)
TEN_M, K100, K250 = Decimal(10_000_000), Decimal(100_000), Decimal(250_000)
D13, D095, D025, D010 = Decimal("1.3"), Decimal("0.95"), Decimal("0.25"), Decimal("0.10")
SMALL_STD, LARGE_KEY = frozenset({"small", "standard"}), frozenset({"large", "key"})
LANES = frozenset({"HKG-FRA", "PVG-AMS", "SIN-LHR"})
SENSITIVE = frozenset({"perishables", "pharma", "live animals"})


def dec(value):
    """Money as the engine reads it: a float by its shortest decimal, text as written."""
    if value is None or value.__class__ is Decimal:
        return value
    if value.__class__ is float:
        return Decimal(repr(value))
    if value.__class__ is str:
        return Decimal(value.replace(",", "").lstrip("$"))
    return Decimal(value)


def rules_by_hand(f, first, money=dec):
    """The 40 rules as hand-written Python: missing facts (None) never fire; money exact."""
    g = f.get
    total, rate, floor, rec, stretch = (
        money(g("quote.total")), money(g("quote.rate")), money(g("price.floor")),
        money(g("price.recommended")), money(g("price.stretch")),
    )  # fmt: skip
    best, disp, revenue = (
        money(g("competitor.best_rate")), money(g("flight.displacement_cost")),
        money(g("customer.annual_revenue")),
    )  # fmt: skip
    tier, sow, sowt = g("customer.tier"), g("customer.share_of_wallet"), g("customer.sow_trend")
    dtd, lf, vlf, rem = (
        g("flight.days_to_departure"), g("flight.load_factor"), g("flight.volume_load_factor"),
        g("flight.remaining_kg"),
    )  # fmt: skip
    dslb, ubi = g("customer.days_since_last_booking"), g("customer.usual_booking_interval_days")
    under, transit = g("competitor.undercut_pct"), g("competitor.transit_diff_hours")
    wp, wpf, wps = g("price.win_prob"), g("price.win_prob_floor"), g("price.win_prob_stretch")
    lane, commodity, carrier = g("lane.code"), g("quote.commodity"), g("competitor.carrier")
    soft = g("lane.soft_departures_7d")
    wkg, vol, ckg = g("quote.weight_kg"), g("quote.volume_m3"), g("quote.chargeable_kg")
    fired = []
    add = fired.append
    if total is not None and total > TWO_M:
        if first:
            return [0]
        add(0)
    if rate is not None and floor is not None and rate < floor:
        if first:
            return [1]
        add(1)
    if tier == "key" and ((sowt is not None and sowt <= -0.05) or (sow is not None and sow < 0.3)):
        if first:
            return [2]
        add(2)
    if (
        dtd is not None
        and dtd <= 2
        and lf is not None
        and lf < 0.75
        and rem is not None
        and rem >= 2000
    ):
        if first:
            return [3]
        add(3)
    if dtd is not None and 3 <= dtd <= 7 and lf is not None and lf < 0.6:
        if first:
            return [4]
        add(4)
    if tier in LARGE_KEY and dslb is not None and ubi is not None and dslb > ubi * 1.5:
        if first:
            return [5]
        add(5)
    if (
        under is not None
        and under >= 0.05
        and best is not None
        and floor is not None
        and best >= floor
    ):
        if first:
            return [6]
        add(6)
    if best is not None and floor is not None and best < floor:
        if first:
            return [7]
        add(7)
    if lf is not None and lf >= 0.85 and wps is not None and wps >= 0.5:
        if first:
            return [8]
        add(8)
    if rate is not None and stretch is not None and rate * D13 >= stretch:
        if first:
            return [9]
        add(9)
    if total is not None and total >= HALF_M and tier in SMALL_STD:
        if first:
            return [10]
        add(10)
    if vlf is not None and vlf > 0.9 and lf is not None and lf < 0.7:
        if first:
            return [11]
        add(11)
    if lane in LANES and under is not None and under > 0.1:
        if first:
            return [12]
        add(12)
    if commodity == "pharma" and dtd is not None and dtd < 1:
        if first:
            return [13]
        add(13)
    if transit is not None and transit >= 12 and under is not None and 0.02 <= under <= 0.08:
        if first:
            return [14]
        add(14)
    if wp is not None and wp < 0.2 and rate is not None and rec is not None and rate > rec:
        if first:
            return [15]
        add(15)
    if revenue is not None and revenue >= TEN_M and sowt is not None and sowt < 0:
        if first:
            return [16]
        add(16)
    if soft is not None and soft >= 3:
        if first:
            return [17]
        add(17)
    if ckg is not None and wkg is not None and ckg > wkg * 1.5:
        if first:
            return [18]
        add(18)
    if rate is not None and disp is not None and rate - disp < D025:
        if first:
            return [19]
        add(19)
    if tier is not None and tier != "key" and total is not None and total > ONE_M:
        if first:
            return [20]
        add(20)
    if rec is not None and floor is not None and rec - floor < D010 and lf is not None and lf > 0.8:
        if first:
            return [21]
        add(21)
    if dslb is not None and dslb > 90:
        if first:
            return [22]
        add(22)
    if (vol is not None and vol > 100) or (wkg is not None and wkg > 20000):
        if first:
            return [23]
        add(23)
    if carrier == "RivalAir" and best is not None and rec is not None and best < rec:
        if first:
            return [24]
        add(24)
    if lf is not None and lf >= 0.98:
        if first:
            return [25]
        add(25)
    if sow is not None and sow >= 0.8 and tier == "key":
        if first:
            return [26]
        add(26)
    if wpf is not None and wp is not None and wpf - wp > 0.3:
        if first:
            return [27]
        add(27)
    if total is not None and K100 <= total <= K250 and wp is not None and wp >= 0.6:
        if first:
            return [28]
        add(28)
    if rem is not None and rem < 500 and ckg is not None and ckg > rem:
        if first:
            return [29]
        add(29)
    if ubi is not None and ubi < 7 and dslb is not None and dslb >= 14:
        if first:
            return [30]
        add(30)
    if under is None and lf is not None and lf < 0.5:
        if first:
            return [31]
        add(31)
    if rate is not None and stretch is not None and rate >= stretch:
        if first:
            return [32]
        add(32)
    if sowt is not None and abs(sowt) >= 0.1:
        if first:
            return [33]
        add(33)
    if lf is not None and vlf is not None and max(lf, vlf) >= 0.95:
        if first:
            return [34]
        add(34)
    if commodity in SENSITIVE and dtd is not None and dtd > 5:
        if first:
            return [35]
        add(35)
    if tier == "standard" and total is not None and total >= K250:
        if first:
            return [36]
        add(36)
    if (
        stretch is not None
        and best is not None
        and stretch * D095 > best
        and under is not None
        and under < 0.03
    ):
        if first:
            return [37]
        add(37)
    if lane == "HKG-FRA" and dtd is not None and dtd <= 1:
        if first:
            return [38]
        add(38)
    if wkg is not None and wkg >= 50000 and rem is not None and rem < wkg:
        if first:
            return [39]
        add(39)
    return fired


class Float(float):
    """Money as a float-based peer holds it: every operation and comparison in binary floats."""

    def __mul__(self, other):
        return Float(float(self) * float(other))

    def __sub__(self, other):
        return Float(float(self) - float(other))

    def __lt__(self, other):
        return float(self) < float(other)

    def __le__(self, other):
        return float(self) <= float(other)

    def __gt__(self, other):
        return float(self) > float(other)

    def __ge__(self, other):
        return float(self) >= float(other)

    __rmul__ = __mul__


def as_float(value):
    """What a float-based peer does with money: compare binary floats."""
    return (
        None
        if value is None
        else Float(value.replace(",", "").lstrip("$") if isinstance(value, str) else value)
    )


def baseline(facts, first, top):
    """Which rules show (ids of the top N that fire), by hand."""
    return [f"r{i}" for i in rules_by_hand(facts, first)[:top]]


def baseline_text(facts, first, top):
    """The same, with each shown card's text formatted by hand (as the engine formats it)."""
    shown = rules_by_hand(facts, first)[:top]
    if not shown:
        return []
    name, lane = facts.get("customer.name"), facts.get("lane.code")
    rate, floor = dec(facts.get("quote.rate")), dec(facts.get("price.floor"))
    detail = (
        [f"Rate {per_kg(rate)}, floor {per_kg(floor)}"]
        if rate is not None and floor is not None
        else []
    )
    return [(f"{name}: rule {i} on {lane}", detail) for i in shown]


def per_kg(amount: Decimal) -> str:
    text = f"{abs(amount):,.2f}"
    if amount != round(amount, 2):
        text = f"{abs(amount):,.4f}"
        text = text[:-2] + text[-2:].rstrip("0")
    return ("-" if amount < 0 else "") + "$" + text + "/kg"


def engine_text(cards):
    return [(card.headline, card.details) for card in cards]


# -- facts shaped as the app builds them ----------
def app_facts(rng: random.Random, money_as: str) -> dict:
    """One rep-pack situation, as `situation()` builds it (customer, flight, prices, competitor,
    quote), with money sent as `money_as` ("float", "text", "decimal" or "mixed")."""
    now = dt.datetime(2026, 3, 1, 9, 30)
    tier = rng.choice(["small", "standard", "large", "key"])
    share = rng.choice([None, round(min(rng.random() * 1.2, 1.0), 4)])
    recent, prior = (
        rng.choice([None, round(rng.random(), 4)]),
        rng.choice([None, round(rng.random(), 4)]),
    )
    interval = rng.choice([None, float(rng.randint(2, 40))])
    facts = {
        "now": now,
        "customer.id": f"C{rng.randint(1, 500):04d}",
        "customer.name": rng.choice(["Acme Freight", "Globex", "Initech", "Umbrella"]),
        "customer.tier": tier,
        "customer.share_of_wallet": share,
        "customer.sow_trend": None if recent is None or prior is None else round(recent - prior, 4),
        "customer.annual_revenue": Decimal(rng.randint(10_000_00, 20_000_000_00)) / 100,
        "customer.usual_booking_interval_days": interval,
    }
    if rng.random() < 0.9:
        facts["customer.days_since_last_booking"] = rng.randint(0, 120)
    departs = now + dt.timedelta(hours=rng.randint(2, 14 * 24))
    capacity, booked = rng.choice([40_000, 60_000, 100_000]), rng.randint(10_000, 100_000)
    capacity_m3 = Decimal(rng.choice([250, 400, 600]))
    facts |= {
        "lane.code": rng.choice(["HKG-FRA", "PVG-AMS", "SIN-LHR", "ICN-ORD", "NRT-LAX"]),
        "flight.number": f"FL{rng.randint(100, 999)}",
        "flight.departure": departs,
        "flight.days_to_departure": round((departs - now).total_seconds() / 86400, 2),
        "flight.load_factor": min(booked, capacity) / capacity,
        "flight.volume_load_factor": float(Decimal(rng.randint(50, 600)) / capacity_m3),
        "flight.remaining_kg": max(capacity - booked, 0),
        "flight.displacement_cost": rng.choice([None, cents(rng, 100, 300)]),
    }
    recommended = cents(rng, 220, 360)
    floor = recommended - cents(rng, 5, 60) if rng.random() < 0.9 else recommended - Decimal("0.10")
    stretch = recommended + cents(rng, 10, 80)
    facts |= {
        "price.recommended": recommended,
        "price.floor": floor,
        "price.stretch": stretch,
        "price.win_prob": round(rng.random(), 4),
        "price.win_prob_floor": round(rng.random(), 4),
        "price.win_prob_stretch": round(rng.random(), 4),
    }
    if rng.random() < 0.8:  # competitor_facts: unseen is missing, never zero
        best = cents(rng, 160, 360)
        facts |= {
            "competitor.best_rate": best,
            "competitor.carrier": rng.choice(["RivalAir", "SkyCargo", "FastFreight"]),
            "competitor.transit_diff_hours": round(rng.uniform(-24, 24), 1),
            "competitor.undercut_pct": round(float(1 - best / recommended), 4),
        }
    weight = rng.randint(10, 80_000)
    volume = Decimal(rng.randint(1, 3000)) / 10
    chargeable = max(weight, int(volume * 167))
    rate = rng.choice([recommended, floor, stretch, cents(rng, 150, 450)])
    if facts["flight.displacement_cost"] is not None and rng.random() < 0.2:
        rate = facts["flight.displacement_cost"] + Decimal("0.25")  # exactly on the threshold
    total = (rate * chargeable).quantize(Decimal("0.01"))
    if rng.random() < 0.05:
        total = rng.choice([TWO_M, ONE_M, HALF_M, K250, K100])  # exactly on a threshold
    facts |= {
        "quote.weight_kg": weight,
        "quote.volume_m3": float(volume),
        "quote.chargeable_kg": chargeable,
        "quote.rate": rate,
        "quote.total": total,
        "quote.commodity": rng.choice(["general", "pharma", "perishables", "live animals"]),
        "quote.special_handling": rng.choice([[], ["PER"], ["DGR", "AVI"]]),
    }
    if rng.random() < 0.3:
        facts["lane.soft_departures_7d"] = rng.randint(0, 6)
    for name in MONEY:
        facts[name] = send(rng, facts.get(name), money_as)
    return facts


def cents(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low, high)) / 100


def send(rng: random.Random, value, money_as: str):
    """Money as an integration sends it."""
    if value is None:
        return None
    form = rng.choice(["float", "text", "decimal"]) if money_as == "mixed" else money_as
    if form == "float":
        return float(value)
    if form == "text":
        return str(value)
    return value


def pack_data(policy: str, copies: int = 1) -> dict:
    rules = []
    for copy in range(copies):
        for i, condition in enumerate(CONDITIONS):
            rid = f"r{i}" if copies == 1 else f"r{copy}-{i}"
            headline = HEADLINE.replace("{i}", str(i))
            card = {"headline": headline, "details": [DETAIL], "actions": ["call_logged"]}
            rules.append({"id": rid, "title": f"Rule {i}", "when": condition, "card": card})
    return {"id": "bench", "version": "1", "audience": "rep", "hit_policy": policy, "top": 3,
            "rules": rules}  # fmt: skip


# -- timing ----------
def paired(repeats: int, chunks: list, base, *tasks):
    """Time `base` and each task on the same chunk of rows, `repeats` times each, interleaved
    (the order rotating), keeping each one's best time on that chunk; then give the median over
    chunks of the base's seconds per row and, per task, (median seconds per row, median of the
    per-chunk ratios base/task). On a shared, busy machine the best of a few interleaved repeats
    is the figure least disturbed by other work, and pairing keeps drifting load out of ratios."""
    order = [base, *tasks]
    best: dict[int, list[float]] = {id(task): [] for task in order}
    for chunk in chunks:
        fastest = {id(task): float("inf") for task in order}
        for repeat in range(repeats):
            turn = repeat % len(order)
            for task in order[turn:] + order[:turn]:
                start = time.perf_counter()
                task(chunk)
                seconds = (time.perf_counter() - start) / len(chunk)
                fastest[id(task)] = min(fastest[id(task)], seconds)
        for task in order:
            best[id(task)].append(fastest[id(task)])
    base_times = best[id(base)]
    out = []
    for task in tasks:
        ratios = [b / t for b, t in zip(base_times, best[id(task)], strict=True)]
        out.append((statistics.median(best[id(task)]), statistics.median(ratios)))
    return statistics.median(base_times), out


def median_of(runs: int, *tasks):
    """Each task's median time over `runs` rounds."""
    times = [[] for _ in tasks]
    for _ in range(runs):
        for slot, task in zip(times, tasks, strict=True):
            start = time.perf_counter()
            task()
            slot.append(time.perf_counter() - start)
    return [statistics.median(slot) for slot in times]


def check(packs, rows) -> int:
    """Every path agrees with the exact baseline; gives how many rows the float peer gets wrong."""
    from guidance_rules import columns_from_rows, evaluate_batch

    wrong = 0
    for policy, pack in packs.items():
        first, top = policy == "first", pack.top
        names = sorted({name for row in rows for name in row})
        batch = evaluate_batch(pack, rows)
        by_columns = evaluate_batch(pack, columns_from_rows(rows, names))
        assert all(batch.card_ids(i) == by_columns.card_ids(i) for i in range(len(rows)))
        for i, row in enumerate(rows):
            expected = baseline(row, first, top)
            assert [c.rule_id for c in evaluate(pack, row)] == expected, (policy, i, row)
            assert batch.card_ids(i) == expected, (policy, i)
            assert pack.match_ids(row)[:top] == expected, (policy, i)
            if i < 3000:
                assert engine_text(evaluate(pack, row)) == baseline_text(row, first, top), i
            if not first and rules_by_hand(row, False, as_float) != rules_by_hand(row, False):
                wrong += 1
    assert pack.fact_problems.total() == 0
    return wrong


def import_cost() -> tuple[bool, float]:
    """Whether `import guidance_rules` loads numpy, and how much resident memory (MB) the import
    adds in a fresh process."""
    code = (
        "import sys\n"
        "def rss(): return int(open('/proc/self/statm').read().split()[1]) * 4096 / 2**20\n"
        "before = rss()\n"
        "import guidance_rules\n"
        "print('numpy' in sys.modules, rss() - before)"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    numpy, megabytes = out.stdout.split()
    return numpy == "True", float(megabytes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=6_000, help="fact rows per workload")
    parser.add_argument("--chunk", type=int, default=1_000, help="rows per timed chunk")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats per chunk")
    parser.add_argument("--typed-rows", type=int, default=1_000_000, help="rows of typed columns")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    from guidance_rules import evaluate_batch

    rng = random.Random(7)
    packs = {policy: pack_from_data(pack_data(policy)) for policy in ("collect", "first")}
    forms = ("float", "mixed")
    workloads = {form: [app_facts(rng, form) for _ in range(args.facts)] for form in forms}
    wrong = {form: check(packs, rows) for form, rows in workloads.items()}
    table = []

    def add(label, seconds, ratio, note=""):
        table.append((label, 1 / seconds, ratio, note))

    for form, rows in workloads.items():
        chunks = [rows[i : i + args.chunk] for i in range(0, len(rows), args.chunk)]
        for policy, pack in packs.items():
            first, top = policy == "first", pack.top
            tag = f"{form} money, {policy}"
            base, (full, match) = paired(
                args.repeats,
                chunks,
                lambda c: [baseline(r, first, top) for r in c],  # noqa: B023
                lambda c: [evaluate(pack, r) for r in c],  # noqa: B023
                lambda c: [pack.match(r) for r in c],  # noqa: B023
            )
            add(f"hand-written baseline ({tag})", base, 1.0)
            add(f"evaluate() ({tag})", *full)
            add(f"match() ({tag})", *match)
            if policy == "collect":
                _, (batch,) = paired(
                    args.repeats,
                    [rows[i : i + 3000] for i in range(0, len(rows), 3000)],
                    lambda c: [baseline(r, first, top) for r in c],  # noqa: B023
                    lambda c: evaluate_batch(pack, c),  # noqa: B023
                )
                add(f"batch from the dicts ({tag})", *batch, "columns built inside the timing")
            _, (text,) = paired(
                args.repeats,
                chunks[:2],
                lambda c: [baseline_text(r, first, top) for r in c],  # noqa: B023
                lambda c: [engine_text(evaluate(pack, r)) for r in c],  # noqa: B023
            )
            add(f"evaluate() + card text ({tag})", *text, "vs baseline + the same text by hand")

    typed = typed_columns(args.typed_rows)
    sample = workloads["float"][:2000]
    _, (typed_figures,) = paired(
        3,
        [sample],
        lambda c: [baseline(r, False, 3) for r in c],
        lambda c: evaluate_batch(packs["collect"], typed),
    )
    seconds = typed_figures[0] * len(sample) / args.typed_rows  # the task ran over typed rows
    ratio = typed_figures[1] * args.typed_rows / len(sample)
    add("batch from typed columns (float money, collect)", seconds, ratio,
        f"{args.typed_rows:,} rows already in memory")  # fmt: skip

    loads = load_times()
    numpy, megabytes = import_cost()
    width = max(len(label) for label, *_ in table)
    print(
        f"facts: {args.facts:,} app-shaped rows per workload, 40 rules; each figure: the median "
        f"over chunks of {args.chunk:,} rows of the best of {args.repeats} interleaved repeats"
    )
    print(f"{'path':<{width}}  {'facts/s':>12}  {'ratio':>6}")
    for label, rate, ratio, note in table:
        print(f"{label:<{width}}  {rate:12,.0f}  {ratio:5.2f}x  {note}")
    for form, count in wrong.items():
        print(f"float-based peer, {form} money: {count} of {args.facts:,} rows wrong (collect)")
    print(
        "load a 40-rule pack (median of 15): "
        + ", ".join(f"{label} {ms:.2f} ms" for label, ms in loads.items())
    )
    print(f"import guidance_rules: numpy loaded: {numpy}; +{megabytes:.1f} MB resident")
    if args.json:
        Path(args.json).write_text(json.dumps({"table": table, "wrong": wrong, "load": loads}))


def load_times() -> dict[str, float]:
    """A 40-rule pack loaded from YAML text and from data: cold (nothing remembered), warm (one
    rule edited since the last load, as the workbench reloads), the first match (compile), and
    a pack ready to use (cold from data, then its first match)."""
    from guidance_rules import load_vocabulary
    from guidance_rules.packs import forget_checked

    vocabulary = load_vocabulary()
    data = pack_data("collect")
    text = pack_from_data(data).to_yaml()
    edits = iter(range(10**6))

    def edited():
        changed = json.loads(json.dumps(data))
        changed["rules"][5]["when"] = f"quote.total > ${next(edits)}"
        return changed

    def cold(load, source):
        forget_checked(vocabulary)
        start = time.perf_counter()
        load(source)
        return time.perf_counter() - start

    def warm():
        source = edited()
        start = time.perf_counter()
        pack_from_data(source)
        return time.perf_counter() - start

    def compile_once():
        pack = pack_from_data(data)
        start = time.perf_counter()
        pack.match({})
        return time.perf_counter() - start

    def ready():
        forget_checked(vocabulary)
        start = time.perf_counter()
        pack_from_data(data).match({})
        return time.perf_counter() - start

    figures = {
        "YAML, cold": [cold(load_pack, text) for _ in range(15)],
        "data, cold": [cold(pack_from_data, data) for _ in range(15)],
        "data, one rule edited": [warm() for _ in range(15)],
        "then the first match() compiles": [compile_once() for _ in range(15)],
        "data, cold, then the first match()": [ready() for _ in range(15)],
    }
    return {label: statistics.median(times) * 1000 for label, times in figures.items()}


def typed_columns(n: int) -> dict:
    """The rep facts as typed columns (floats, MoneyColumns, categoricals) already in memory."""
    import numpy as np

    from guidance_rules import MoneyColumn

    rng = np.random.default_rng(7)

    class Categorical:
        def __init__(self, values):
            self.codes = rng.integers(-1, len(values), n).astype(np.int32)
            self.categories = tuple(values)

    def floats(low, high):
        data = rng.uniform(low, high, n).round(3)
        data[rng.random(n) < 0.05] = np.nan
        return data

    def money(low, high, scale=2):
        units = rng.integers(int(low * 10**scale), int(high * 10**scale), n, dtype=np.int64)
        return MoneyColumn(units, scale, rng.random(n) < 0.05)

    def ints(low, high):
        return np.ma.MaskedArray(rng.integers(low, high, n), mask=rng.random(n) < 0.05)

    return {
        "quote.total": money(1_000, 3_000_000), "quote.rate": money(1.5, 4.5),
        "price.floor": money(1.8, 3.0), "price.recommended": money(2.2, 3.6),
        "price.stretch": money(2.8, 4.4), "competitor.best_rate": money(1.6, 3.6),
        "flight.displacement_cost": money(1.0, 3.0),
        "customer.annual_revenue": money(10_000, 20_000_000, 0),
        "customer.tier": Categorical(["small", "standard", "large", "key"]),
        "customer.share_of_wallet": floats(0, 1), "customer.sow_trend": floats(-0.2, 0.2),
        "customer.days_since_last_booking": ints(0, 120),
        "customer.usual_booking_interval_days": floats(2, 40),
        "customer.name": Categorical(["Acme Freight", "Globex", "Initech", "Umbrella"]),
        "flight.days_to_departure": floats(0, 14), "flight.load_factor": floats(0.3, 1.0),
        "flight.volume_load_factor": floats(0.3, 1.0), "flight.remaining_kg": floats(0, 60_000),
        "price.win_prob": floats(0, 1), "price.win_prob_floor": floats(0, 1),
        "price.win_prob_stretch": floats(0, 1), "competitor.undercut_pct": floats(0, 0.2),
        "competitor.transit_diff_hours": floats(-24, 24),
        "competitor.carrier": Categorical(["RivalAir", "SkyCargo", "FastFreight"]),
        "lane.code": Categorical(["HKG-FRA", "PVG-AMS", "SIN-LHR", "ICN-ORD", "NRT-LAX"]),
        "lane.soft_departures_7d": ints(0, 6),
        "quote.commodity": Categorical(["general", "pharma", "perishables", "live animals"]),
        "quote.weight_kg": floats(10, 80_000), "quote.volume_m3": floats(0.1, 300),
        "quote.chargeable_kg": floats(10, 120_000),
    }  # fmt: skip


if __name__ == "__main__":
    main()
