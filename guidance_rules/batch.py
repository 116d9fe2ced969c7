"""Columnar evaluation for backtests: one pack over many fact rows at once, with numpy.

Results are identical to `evaluate` row by row. Money is held as exact scaled integers (never
floats); anything this vectoriser cannot do exactly (money division, rounding, lists, mixing
floats into money) falls back, for that rule only, to the compiled per-row function.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from .cards import Card
from .compiler import COMPARE, NEGATE, compile_matcher, literal_value, to_decimal
from .engine import make_card
from .errors import FactError
from .packs import Pack
from .syntax import Binary, Call, ListLit, Literal, Name, Node, Test, Unary
from .values import NOT_FINITE, NOT_LISTED, FactProblems, clean, cleaner

LIMIT = 2**62  # headroom for exact scaled-integer money


@dataclass(frozen=True)
class MoneyColumn:
    """Money as exact integers: value = units / 10**scale (scale 2 = cents). `missing` is a mask."""

    units: np.ndarray
    scale: int = 2
    missing: np.ndarray | None = None


class Fallback(Exception):
    """This node can't be vectorised exactly; evaluate the rule row by row."""


@dataclass
class Column:
    """A prepared column: `kind` num|dec|code|bool|date|datetime|duration|list."""

    kind: str
    data: Any
    present: np.ndarray | None = None  # None: all present
    scale: int = 0
    categories: tuple[str, ...] = ()

    def python(self, i: int) -> Any:
        """Row i as the per-fact evaluator receives it."""
        if self.present is not None and not self.present[i]:
            return None
        value = self.data[i]
        if self.kind == "num":
            return value.item()
        if self.kind == "dec":
            return Decimal(int(value)).scaleb(-self.scale)
        if self.kind == "code":
            return self.categories[value]
        if self.kind == "bool":
            return bool(value)
        if self.kind == "list":
            return value if self.data.dtype == object else list(self.categories[value])
        if self.kind == "decimal":
            return value
        return value.item()  # datetime64 -> date/datetime, timedelta64 -> timedelta


@dataclass
class V:
    """An intermediate vector value (or a scalar for constants)."""

    kind: str
    data: Any
    present: Any = None  # bool array, or None when always present
    scale: int = 0
    categories: tuple[str, ...] = ()


def _and(*masks: Any) -> Any:
    real = [m for m in masks if m is not None]
    if not real:
        return None
    out = real[0]
    for mask in real[1:]:
        out = out & mask
    return out


# -- preparing columns ----------
def prepare(
    kind: str,
    raw: Any,
    n: int,
    name: str,
    values: tuple[str, ...] = (),
    problems: FactProblems | None = None,
) -> Column:
    """A column in the evaluator's form. Python values are checked as `evaluate` checks them
    (`values.clean`): a value that does not fit its type is missing, and counted in `problems`."""
    if raw is None:
        return _absent(kind, n)
    if isinstance(raw, Column):  # prepared already (e.g. kept from an earlier run)
        if len(raw.data) != n:
            raise FactError(f"column `{name}` has {len(raw.data)} rows, not {n}")
        return raw
    if isinstance(raw, MoneyColumn):
        if kind != "money":
            raise FactError(f"column `{name}`: a MoneyColumn is only for money facts")
        units = np.asarray(raw.units, dtype=np.int64)
        return Column(
            "dec", units, None if raw.missing is None else ~np.asarray(raw.missing), raw.scale
        )
    mask = None
    if isinstance(raw, np.ma.MaskedArray):
        mask = ~np.ma.getmaskarray(raw)
        raw = raw.data
    if _length(raw) != n:
        raise FactError(f"column `{name}` has {len(raw)} rows, not {n}")
    if isinstance(raw, np.ndarray) and (
        raw.dtype.kind == "O" or (kind == "money" and raw.dtype.kind == "f")
    ):
        raw = [None if (v.__class__ is float and v != v) else v for v in raw.tolist()]
    if not isinstance(raw, np.ndarray) and not hasattr(raw, "codes"):
        fix = cleaner(kind, values, name, problems)
        fast = _FROM_PYTHON.get(kind)
        column = fast(raw, fix, values, name, problems) if fast else None
        if column is not None:
            return column
        raw = _clean_list(kind, values, raw, fix)
    elif isinstance(raw, np.ndarray) and raw.dtype.kind == "f" and kind != "money":
        infinite = int(np.isinf(raw).sum())  # NaN is a float array's own mark for missing
        if infinite:
            if problems is not None:
                problems.add(name, NOT_FINITE, infinite)
            raw = np.where(np.isinf(raw), np.nan, raw)
    column = _PREPARE[kind](raw, n)
    if kind == "enum" and column.categories:
        _drop_unlisted(column, values, name, problems)
    if mask is not None:
        column.present = mask if column.present is None else column.present & mask
    return column


def _clean_list(kind: str, values: tuple[str, ...], raw: Any, fix: Any) -> list[Any]:
    """Python values checked as the compiled matcher checks them: the same fast tests, then
    `values.clean` for anything they do not let through."""
    if kind in ("number", "percent"):
        return [
            v if (v.__class__ is float and not v - v) or v.__class__ is int else fix(v) for v in raw
        ]
    if kind == "integer":
        return [v if v.__class__ is int else fix(v) for v in raw]
    if kind == "money":
        return [
            v
            if (v.__class__ is float and not v - v)
            or v.__class__ is int
            or (v.__class__ is Decimal and v.is_finite())
            else fix(v)
            for v in raw
        ]
    if kind == "enum":
        members = frozenset(values)
        return [v if v.__class__ is str and v in members else fix(v) for v in raw]
    if kind == "string":
        return [v if v.__class__ is str else fix(v) for v in raw]
    if kind == "boolean":
        return [v if v is True or v is False else fix(v) for v in raw]
    return [fix(v) for v in raw]


# -- Python values to columns in one pass (the common case: lists built from fact dicts) -------
# Each converter lets through, in a list comprehension, exactly the values the compiled matcher's
# fast tests let through, and sends the rest, position by position, to `values.clean` (`fix`).
_NONE = type(None)


def _numbers_from_python(raw: list, fix: Any, values: Any, name: str, problems: Any) -> Column:
    plain = set(map(type, raw)) <= {float, int, _NONE}
    if plain:
        data = np.array(raw, np.float64)  # None becomes NaN
    else:
        data = np.array(
            [v if v.__class__ is float or v.__class__ is int else math.nan for v in raw], np.float64
        )
    odd = ~np.isfinite(data)
    if not (plain and _all_finite(raw)):  # NaN, infinities or other values among them
        for i in np.flatnonzero(odd).tolist():
            value = raw[i]
            if value is not None:
                cleaned = fix(value)
                data[i] = math.nan if cleaned is None else cleaned
    present = ~np.isnan(data)
    return Column("num", data, None if present.all() else present)


def _integers_from_python(raw: list, fix: Any, values: Any, name: str, problems: Any) -> Column:
    if set(map(type, raw)) <= {int, _NONE}:
        if None not in raw:
            return Column("num", np.array(raw, dtype=np.int64))
        floats = np.array(raw, np.float64)
        present = ~np.isnan(floats)
        if np.abs(floats[present]).max(initial=0) < 2.0**53:  # every int exact as a float
            return Column("num", np.where(present, floats, 0).astype(np.int64), present)
    ints = [v if v.__class__ is int else None for v in raw]
    if None not in ints:
        return Column("num", np.array(ints, dtype=np.int64))
    for i, value in enumerate(raw):
        if ints[i] is None and value is not None:
            ints[i] = fix(value)
    present = np.array([v is not None for v in ints], dtype=bool)
    data = np.array([0 if v is None else v for v in ints], dtype=np.int64)
    return Column("num", data, None if present.all() else present)


def _money_from_python(raw: list, fix: Any, values: Any, name: str, problems: Any) -> Column:
    plain = set(map(type, raw)) <= {float, _NONE}
    if plain:
        floats = np.array(raw, np.float64)  # None becomes NaN
    else:
        floats = np.array([v if v.__class__ is float else math.nan for v in raw], np.float64)
    unfit = ~np.isfinite(floats)
    if plain and _all_finite(raw):  # every float fits; the rest are missing
        return _money(raw, len(raw), floats)
    odd = np.flatnonzero(unfit).tolist()
    raw = list(raw)
    for i in odd:
        value = raw[i]
        if value is None:
            continue
        fine = value.__class__ is int or (value.__class__ is Decimal and value.is_finite())
        raw[i] = value if fine else fix(value)  # NaN, infinities, bad text: counted, missing
        floats[i] = math.nan
    return _money(raw, len(raw), floats)


def _codes_from_python(raw: list, fix: Any, values: Any, name: str, problems: Any) -> Column | None:
    if set(map(type, raw)) <= {str, _NONE}:
        index = {text: code for code, text in enumerate(set(raw) - {None})}
        codes = np.fromiter(map(index.get, raw, itertools.repeat(-1)), np.int32, len(raw))
    else:
        index = {}
        setdefault = index.setdefault
        try:
            codes = np.array(
                [-1 if v is None else setdefault(v, len(index)) for v in raw], np.int32
            )
        except TypeError:  # an unhashable value: the slow path checks it
            return None
    categories = list(index)
    kind = "enum" if values else "string"
    for code, category in enumerate(categories):
        if category.__class__ is str and (not values or category in values):
            continue
        text, why = clean(kind, values, category)
        if why:
            bad = codes == code
            if problems is not None:
                problems.add(name, why, int(bad.sum()))
            codes[bad] = -1
            categories[code] = ""  # no row has this code now; text keeps the lookups simple
        else:
            categories[code] = text
    present = codes >= 0
    return Column("code", codes, None if present.all() else present, categories=tuple(categories))


def _booleans_from_python(raw: list, fix: Any, values: Any, name: str, problems: Any) -> Column:
    if set(map(type, raw)) <= {bool, _NONE}:
        array = np.fromiter(map(_BOOL_CODES.__getitem__, raw), np.int8, len(raw))
        present = array >= 0
        return Column("bool", array, None if present.all() else present)
    data = [1 if v is True else 0 if v is False else -1 for v in raw]
    if -1 in data:
        for i, value in enumerate(raw):
            if data[i] == -1 and value is not None:
                fix(value)  # counted; only True and False fit
    array = np.array(data, np.int8)
    present = array >= 0
    return Column("bool", array, None if present.all() else present)


def _all_finite(raw: list) -> bool:
    """Whether the numbers among None are all finite: their sum (in C) is finite unless one is
    NaN or infinite, or the sum overflows (then the caller checks value by value)."""
    try:
        return math.isfinite(sum(filter(None, raw)))  # zeros and None left out
    except OverflowError:
        return False


_BOOL_CODES = {True: 1, False: 0, None: -1}
_FROM_PYTHON = {
    "number": _numbers_from_python,
    "percent": _numbers_from_python,
    "integer": _integers_from_python,
    "money": _money_from_python,
    "string": _codes_from_python,
    "enum": _codes_from_python,
    "boolean": _booleans_from_python,
}


def _drop_unlisted(
    column: Column, values: tuple[str, ...], name: str, problems: FactProblems | None
) -> None:
    """Enum codes whose category is not one of the enum's values become missing (and counted)."""
    unlisted = [i for i, c in enumerate(column.categories) if c not in values]
    if not unlisted:
        return
    bad = np.isin(column.data, unlisted)
    count = int(bad.sum())
    if count and problems is not None:
        problems.add(name, NOT_LISTED, count)
    column.data = np.where(bad, -1, column.data).astype(np.int32)
    present = column.data >= 0
    column.present = None if present.all() else present


def _absent(kind: str, n: int) -> Column:
    """A column nobody supplied: every row missing, in the shape its type expects."""
    nobody = np.zeros(n, dtype=bool)
    shapes = {
        "money": lambda: Column("dec", np.zeros(n, np.int64), nobody),
        "string": lambda: Column("code", np.full(n, -1, np.int32), nobody),
        "boolean": lambda: Column("bool", np.full(n, -1, np.int8), nobody),
        "date": lambda: Column("date", np.full(n, "NaT", "M8[D]"), nobody),
        "datetime": lambda: Column("datetime", np.full(n, "NaT", "M8[us]"), nobody),
        "duration": lambda: Column("duration", np.full(n, "NaT", "m8[us]"), nobody),
        "list": lambda: Column("list", np.full(n, None, object), nobody),
    }
    shapes["enum"] = shapes["string"]
    return shapes.get(kind, lambda: Column("num", np.zeros(n), nobody))()


def _floats(raw: Any, n: int) -> Column:
    if isinstance(raw, np.ndarray) and raw.dtype.kind in "fiu":
        data = raw.astype(np.float64, copy=False)
    else:
        data = np.array([math.nan if v is None else float(v) for v in raw], dtype=np.float64)
    present = ~np.isnan(data)
    return Column("num", data, None if present.all() else present)


def _integers(raw: Any, n: int) -> Column:
    if isinstance(raw, np.ndarray) and raw.dtype.kind in "iu":
        return Column("num", raw.astype(np.int64, copy=False))
    if isinstance(raw, np.ndarray) and raw.dtype.kind == "f":
        present = ~np.isnan(raw)
        return Column("num", np.where(present, raw, 0).astype(np.int64), present)
    present = np.array([v is not None for v in raw], dtype=bool)
    data = np.array([0 if v is None else int(v) for v in raw], dtype=np.int64)
    return Column("num", data, None if present.all() else present)


def _money(raw: Any, n: int, floats: np.ndarray | None = None) -> Column:
    """Money as exact int64 units at one scale; floats (given as `floats`, NaN elsewhere) are
    scaled in bulk, everything else (ints, Decimals, floats no scale holds) one by one."""
    if isinstance(raw, np.ndarray) and raw.dtype.kind in "iu":
        return Column("dec", raw.astype(np.int64, copy=False))
    if isinstance(raw, np.ndarray):
        raw = list(raw)
    if floats is None:
        floats = np.array([v if v.__class__ is float else math.nan for v in raw], np.float64)
    is_float = ~np.isnan(floats)
    float_scale, float_units, exact = _float_units(floats, is_float)
    others: dict[int, Decimal] = {}
    for i in np.flatnonzero(~exact).tolist():
        value = raw[i]
        if value is None or (value.__class__ is float and not is_float[i]):
            continue
        others[i] = Decimal(repr(value)) if value.__class__ is float else Decimal(value)
    scale = max((max(0, -v.as_tuple().exponent) for v in others.values()), default=0)
    scale = max(scale, float_scale)
    present = is_float.copy()
    present[list(others)] = True
    present_or_all = None if present.all() else present
    too_big = is_float.any() and _max(float_units) * 10 ** (scale - float_scale) >= LIMIT
    if scale > 12 or too_big:
        return _decimals(raw, present)
    units = np.zeros(n, dtype=np.int64)
    if is_float.any():
        units = np.where(exact, float_units * 10 ** (scale - float_scale), 0)
    for i, value in others.items():
        unit = int(value.scaleb(scale))
        if abs(unit) >= LIMIT:
            return _decimals(raw, present)
        units[i] = unit
    return Column("dec", units, present_or_all, scale)


def _decimals(raw: list[Any], present: np.ndarray) -> Column:
    """Money that int64 units cannot hold exactly: Decimals, for the row-by-row path."""
    data = np.empty(len(raw), dtype=object)
    data[:] = [to_decimal(v) if ok else None for v, ok in zip(raw, present.tolist(), strict=True)]
    return Column("decimal", data, None if present.all() else present)


def _float_units(floats: np.ndarray, is_float: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """Float money as integer units at the smallest scale (up to 6) that holds each float's
    shortest decimal exactly: (scale, units, which floats that scale holds exactly).

    u = round(x * 10**s) holds x exactly when u / 10**s == x and |u| < 2**52: then the decimal
    u / 10**s rounds to x, and no other decimal with at most s places does (they are further
    apart than x's spacing), so it is the shortest decimal of x, Decimal(repr(x)).
    """
    exact = np.zeros(len(floats), dtype=bool)
    units = np.zeros(len(floats), dtype=np.int64)
    if not is_float.any():
        return 0, units, exact
    values = np.where(is_float, floats, 0.0)
    for scale in range(7):
        factor = 10.0**scale
        with np.errstate(all="ignore"):
            scaled = np.round(values * factor)
            fits = is_float & (np.abs(scaled) < 2.0**52) & (scaled / factor == values)
        if fits[is_float].all():
            return scale, scaled.astype(np.int64), fits
        if scale == 6:  # the rest go through Decimal(repr(x)), one by one
            return scale, np.where(fits, scaled, 0).astype(np.int64), fits
    return 0, units, exact  # not reached


def _codes(raw: Any, n: int) -> Column:
    if hasattr(raw, "codes") and hasattr(raw, "categories"):  # a pandas Categorical
        codes = np.asarray(raw.codes, dtype=np.int32)
        categories = tuple(str(c) for c in raw.categories)
    elif isinstance(raw, np.ndarray) and raw.dtype.kind == "U":
        uniques, codes = np.unique(raw, return_inverse=True)
        codes, categories = codes.astype(np.int32), tuple(str(u) for u in uniques)
    else:
        index: dict[Any, int] = {}
        codes = np.array(
            [-1 if v is None else index.setdefault(v, len(index)) for v in raw], np.int32
        )
        categories = tuple(index)
    present = codes >= 0
    return Column("code", codes, None if present.all() else present, categories=categories)


def _booleans(raw: Any, n: int) -> Column:
    if isinstance(raw, np.ndarray) and raw.dtype == bool:
        return Column("bool", raw.astype(np.int8))
    data = np.array(
        [-1 if v is None else (1 if v is True else 0 if v is False else -2) for v in raw], np.int8
    )
    present = data >= 0
    return Column("bool", data, None if present.all() else present)


def _times(unit: str, kind: str) -> Any:
    def convert(raw: Any, n: int) -> Column:
        if not isinstance(raw, np.ndarray) or raw.dtype.kind not in "mM":
            if any(getattr(v, "tzinfo", None) is not None for v in raw):
                raise FactError("batch evaluation takes local (naive) datetimes")
            raw = np.array(list(raw), dtype=f"{'m8' if kind == 'duration' else 'M8'}[{unit}]")
        data = raw.astype(f"{'m8' if kind == 'duration' else 'M8'}[{unit}]")
        present = ~np.isnat(data)
        return Column(kind, data, None if present.all() else present)

    return convert


def _lists(raw: Any, n: int) -> Column:
    """Lists (of text, as `values.clean` leaves them) as codes into the distinct lists, so that
    `in` and `contains` are decided once per distinct list."""
    index: dict[tuple, int] = {}
    codes = np.array([-1 if v is None else index.setdefault(tuple(v), len(index)) for v in raw])
    codes = codes.astype(np.int32)
    present = codes >= 0
    return Column("list", codes, None if present.all() else present, categories=tuple(index))


_PREPARE = {
    "number": _floats,
    "percent": _floats,
    "integer": _integers,
    "money": _money,
    "string": _codes,
    "enum": _codes,
    "boolean": _booleans,
    "date": _times("D", "date"),
    "datetime": _times("us", "datetime"),
    "duration": _times("us", "duration"),
    "list": _lists,
}


# -- evaluating trees on columns ----------
class Vectoriser:
    def __init__(self, columns: Mapping[str, Column], n: int):
        self.columns = columns
        self.n = n

    def full(self, value: Any) -> np.ndarray:
        if isinstance(value, np.ndarray):
            return value
        return np.full(self.n, bool(value))

    def truth(self, node: Node, want: bool = True) -> Any:
        if isinstance(node, Literal):
            return node.value == want
        if isinstance(node, Unary):
            return self.truth(node.operand, not want)
        if isinstance(node, Binary) and node.op in ("and", "or"):
            left, right = self.truth(node.left, want), self.truth(node.right, want)
            return left & right if (node.op == "and") == want else left | right
        if isinstance(node, Binary):
            return self.comparison(node, want)
        if isinstance(node, Test):
            return self.test(node, want != node.negated)
        if isinstance(node, Name):
            column = self.columns[node.name]
            if column.kind != "bool":
                raise Fallback
            return column.data == (1 if want else 0)
        raise Fallback  # overlaps()

    def comparison(self, node: Binary, want: bool) -> Any:
        op = node.op if want else NEGATE[node.op]
        a, b = self.value(node.left, node.exact), self.value(node.right, node.exact)
        present = _and(a.present, b.present)
        if a.kind == "code" or b.kind == "code":
            result = self.code_compare(node, a, b, op)
        else:
            x, y = _align(a, b)
            result = COMPARE[op](x, y)
        return result if present is None else result & present

    def code_compare(self, node: Binary, a: V, b: V, op: str) -> Any:
        if a.kind != "code":
            a, b = b, a
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        if b.kind != "str":
            raise Fallback
        ty = node.left.type if node.left.type.kind == "enum" else node.right.type
        if op in ("==", "!="):
            chosen = {b.data} if op == "==" else set(a.categories) - {b.data}
        else:
            rank = {v: i for i, v in enumerate(ty.values)}
            chosen = {v for v in ty.values if COMPARE[op](rank[v], rank[b.data])}
        return self.lookup(a, chosen)

    def lookup(self, a: V, chosen: set[Any]) -> np.ndarray:
        table = np.array([c in chosen for c in a.categories] + [False], dtype=bool)
        return table[a.data]  # code -1 (missing) reads the trailing False

    def test(self, node: Test, want: bool) -> Any:
        if node.op == "missing":
            present = self.value(node.subject, False).present
            if present is None:
                return self.full(not want)
            return ~present if want else present
        if node.op == "between":
            x = self.value(node.subject, node.exact)
            low, high = (self.value(arg, node.exact) for arg in node.args)
            present = _and(x.present, low.present, high.present)
            x1, lo = _align(x, low)
            x2, hi = _align(x, high)
            inside = (lo <= x1) & (x2 <= hi) if want else (x1 < lo) | (x2 > hi)
            return inside if present is None else inside & present
        if node.op == "in" and isinstance(node.args[0], ListLit):
            x = self.value(node.subject, node.exact)
            items = [literal_value(item, node.exact) for item in node.args[0].items]
            if x.kind == "code":
                chosen = set(items) if want else set(x.categories) - set(items)
                return self.lookup(x, chosen)
            if x.kind == "dec":
                values = [V("dec", *_scaled(Decimal(i))) for i in items]
                hits = [COMPARE["=="](*_align(x, v)) for v in values]
            elif x.kind == "num":
                hits = [x.data == item for item in items]
            else:
                raise Fallback
            hit = np.logical_or.reduce(hits) if hits else np.zeros(self.n, bool)
            result = hit if want else ~hit
            return result if x.present is None else result & x.present
        container, item = (
            (node.args[0], node.subject) if node.op == "in" else (node.subject, node.args[0])
        )
        if node.op in ("in", "contains") and isinstance(container, Name):
            lists = self.columns[container.name]
            if lists.kind == "list":
                return self.membership(lists, self.value(item, False), want)
        if node.op in ("contains", "startswith", "endswith"):
            x, arg = self.value(node.subject, False), self.value(node.args[0], False)
            if x.kind != "code" or not isinstance(arg.data, str):
                raise Fallback
            if node.op == "contains":
                chosen = {c for c in x.categories if (arg.data in c) == want}
            else:
                chosen = {c for c in x.categories if getattr(c, node.op)(arg.data) == want}
            return self.lookup(x, chosen)
        raise Fallback  # `in` a list fact

    def membership(self, lists: Column, item: V, want: bool) -> np.ndarray:
        """Whether ITEM is in the list of each row (coded lists: decided per distinct list)."""
        if lists.data.dtype == object:
            raise Fallback
        if item.kind == "code":
            table = np.zeros((len(lists.categories) + 1, len(item.categories) + 1), bool)
            for i, members in enumerate(lists.categories):
                table[i, :-1] = [c in members for c in item.categories]
            hit = table[lists.data, item.data]  # code -1 (missing) reads the trailing False
        elif isinstance(item.data, str):
            table = np.array([item.data in members for members in lists.categories] + [False])
            hit = table[lists.data]
        else:
            raise Fallback
        if want:
            return hit
        present = _and(lists.present, item.present)
        return ~hit if present is None else ~hit & present

    def value(self, node: Node, exact: bool) -> V:
        exact = exact or node.exact
        if isinstance(node, Literal):
            value = literal_value(node, exact)
            if isinstance(value, Decimal):
                return V("dec", *_scaled(value))
            return V(_literal_kind(node.kind), _numpy_scalar(value))
        if isinstance(node, Name):
            column = self.columns[node.name]
            if column.kind in ("list", "decimal") or (
                exact and node.type.kind in ("number", "percent")
            ):
                raise Fallback  # Decimal(repr(float)) has no exact vector form
            return V(column.kind, column.data, column.present, column.scale, column.categories)
        if isinstance(node, Unary):
            inner = self.value(node.operand, exact)
            return V(inner.kind, -inner.data, inner.present, inner.scale)
        if isinstance(node, Binary):
            return self.arithmetic(node, exact)
        if isinstance(node, Call):
            return self.call(node, exact)
        raise Fallback

    def arithmetic(self, node: Binary, exact: bool) -> V:
        a, b = self.value(node.left, exact), self.value(node.right, exact)
        present = _and(a.present, b.present)
        if "code" in (a.kind, b.kind):
            raise Fallback
        if a.kind == "dec" or b.kind == "dec":
            return self.money(node.op, a, b, present)
        if a.kind == "date" or b.kind == "date":
            return self.dates(node.op, a, b, present)
        if node.op == "/":
            nonzero = (_micros(b.data) if b.kind == "duration" else b.data) != 0
            present = _and(present, self.full(nonzero) if np.ndim(nonzero) == 0 else nonzero)
            with np.errstate(divide="ignore", invalid="ignore"):
                if a.kind == b.kind == "duration":
                    return V("num", _micros(a.data) / _micros(b.data), present)
                return V("num", np.true_divide(a.data, b.data), present)
        kind = (
            "num"
            if a.kind == b.kind == "num"
            else "datetime"
            if "datetime" in (a.kind, b.kind)
            else "duration"
        )
        if a.kind == b.kind == "datetime":
            kind = "duration"
        with np.errstate(over="ignore", invalid="ignore"):
            data = (
                a.data + b.data
                if node.op == "+"
                else a.data - b.data
                if node.op == "-"
                else a.data * b.data
            )
        return V(kind, data, present)

    def money(self, op: str, a: V, b: V, present: Any) -> V:
        if a.kind not in ("dec", "num") or b.kind not in ("dec", "num") or op == "/":
            raise Fallback
        a, b = _as_dec(a), _as_dec(b)
        if op == "*":
            _check(_max(a.data) * _max(b.data))
            return V("dec", a.data * b.data, present, a.scale + b.scale)
        x, y = _align(a, b)
        scale = max(a.scale, b.scale)
        return V("dec", x + y if op == "+" else x - y, present, scale)

    def dates(self, op: str, a: V, b: V, present: Any) -> V:
        if a.kind == b.kind == "date":
            return V("duration", (a.data - b.data).astype("m8[us]"), present)
        date, duration = (a, b) if a.kind == "date" else (b, a)
        days = duration.data // np.timedelta64(1, "D")  # Python's timedelta.days floors too
        data = date.data + days.astype("m8[D]") if op == "+" else date.data - days.astype("m8[D]")
        return V("date", data, present)

    def call(self, node: Call, exact: bool) -> V:
        func = node.func
        if func in ("round", "overlaps", "len", "lower", "upper", "coalesce"):
            raise Fallback  # rounding and strings stay exact row by row
        args = [self.value(arg, exact) for arg in node.args]
        present = _and(*(arg.present for arg in args))
        if func in ("days_since", "days_until", "hours_since", "hours_until", "today"):
            now = self.columns["now"]
            present = _and(present, now.present)
            return self.time(func, now.data, args, present)
        if func in ("min", "max"):
            pick = np.minimum if func == "min" else np.maximum
            if any(arg.kind == "dec" for arg in args):
                args = [_as_dec(arg) for arg in args]
                scale = max(arg.scale for arg in args)
                data = args[0].data * 10 ** (scale - args[0].scale)
                for arg in args[1:]:
                    data = pick(data, arg.data * 10 ** (scale - arg.scale))
                return V("dec", data, present, scale)
            data = args[0].data
            for arg in args[1:]:
                data = pick(data, arg.data)
            return V(
                args[0].kind if all(a.kind == args[0].kind for a in args) else "num", data, present
            )
        if func == "abs":
            return V(args[0].kind, np.abs(args[0].data), present, args[0].scale)
        if func in ("floor", "ceil"):
            return V("num", (np.floor if func == "floor" else np.ceil)(args[0].data), present)
        raise Fallback

    def time(self, func: str, now: np.ndarray, args: list[V], present: Any) -> V:
        today = now.astype("M8[D]")
        if func == "today":
            return V("date", today, present)
        when = args[0]
        day = when.data.astype("M8[D]")
        if func == "days_since":
            return V("num", (today - day).astype(np.int64), present)
        if func == "days_until":
            return V("num", (day - today).astype(np.int64), present)
        delta = now - when.data if func == "hours_since" else when.data - now
        return V("num", _micros(delta) / 1e6 / 3600, present)


def _micros(delta: Any) -> Any:
    return np.asarray(delta).astype("m8[us]").astype(np.int64)


def _literal_kind(kind: str) -> str:
    return {
        "number": "num",
        "percent": "num",
        "string": "str",
        "boolean": "bool",
        "date": "date",
        "datetime": "datetime",
        "duration": "duration",
    }[kind]


def _numpy_scalar(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return np.datetime64(value, "us")
    if isinstance(value, dt.date):
        return np.datetime64(value, "D")
    if isinstance(value, dt.timedelta):
        return np.timedelta64(value, "us")
    return value


def _scaled(value: Decimal) -> tuple[int, None, int]:
    scale = max(0, -value.as_tuple().exponent)
    units = int(value.scaleb(scale))
    if scale > 18 or abs(units) >= LIMIT:
        raise Fallback
    return units, None, scale


def _as_dec(v: V) -> V:
    if v.kind == "dec":
        return v
    data = v.data
    if (isinstance(data, np.ndarray) and data.dtype.kind not in "iu") or isinstance(data, float):
        raise Fallback  # integers join money exactly; floats would need Decimal(repr(x))
    return V("dec", data, v.present, 0)


def _max(data: Any) -> int:
    if isinstance(data, np.ndarray):
        return int(np.abs(data).max()) if data.size else 0
    return abs(int(data))


def _check(bound: int) -> None:
    if bound >= LIMIT:
        raise Fallback


def _align(a: V, b: V) -> tuple[Any, Any]:
    """Two values ready to compare: money brought to one scale, everything else as is."""
    if a.kind != "dec" and b.kind != "dec":
        return a.data, b.data
    a, b = _as_dec(a), _as_dec(b)
    return _rescale(a, max(a.scale, b.scale)), _rescale(b, max(a.scale, b.scale))


def _rescale(v: V, scale: int) -> Any:
    """Money units at a finer scale, refusing (to the row-by-row path) anything that overflows."""
    if scale == v.scale:
        return v.data
    factor = 10 ** (scale - v.scale)
    _check(_max(v.data) * factor)
    return v.data * factor


class Columns(dict):
    """Columns prepared on first use, so unused input columns cost nothing."""

    def __init__(
        self,
        raw: Mapping[str, Any],
        vocabulary: Any,
        n: int,
        names: set[str],
        read: set[str] = frozenset(),  # type: ignore[assignment]
        problems: FactProblems | None = None,
    ):
        super().__init__()
        self.raw, self.vocabulary, self.n, self.names = raw, vocabulary, n, names
        self.read, self.problems = read, problems

    def __missing__(self, name: str) -> Column:
        fact = self.vocabulary[name]
        problems = self.problems if name in self.read else None  # counted as `evaluate` counts
        column = prepare(fact.type, self.raw.get(name), self.n, name, fact.values, problems)
        self[name] = column
        return column

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def everything(self) -> dict[str, Column]:
        return {name: self[name] for name in sorted(self.names)}


# -- running a pack ----------
@dataclass
class BatchResult:
    """Which rules showed a card on each row; materialise cards for any row with `cards(i)`."""

    pack: Pack
    shown: np.ndarray  # (rules in priority order) x rows, bool
    columns: Columns
    history: Sequence[Mapping[str, Any] | None] | None = None
    fallbacks: tuple[str, ...] = ()  # rules evaluated row by row

    def __len__(self) -> int:
        return self.shown.shape[1]

    @property
    def rule_ids(self) -> list[str]:
        return [self.pack.rules[i].id for i in self.pack.order]

    def counts(self) -> dict[str, int]:
        return dict(zip(self.rule_ids, (int(c) for c in self.shown.sum(axis=1)), strict=True))

    def row(self, i: int) -> dict[str, Any]:
        """Row i's facts as the per-fact evaluator receives them."""
        return {name: column.python(i) for name, column in self.columns.everything().items()}

    def card_ids(self, i: int) -> list[str]:
        return [self.pack.rules[self.pack.order[k]].id for k in np.flatnonzero(self.shown[:, i])]

    def cards(self, i: int) -> list[Card]:
        facts = self.row(i)
        shown = [self.pack.order[k] for k in np.flatnonzero(self.shown[:, i])]
        return [make_card(self.pack, self.pack.rules[index], facts) for index in shown]


def columns_from_rows(
    rows: Sequence[Mapping[str, Any]], names: Sequence[str]
) -> dict[str, list[Any]]:
    """Per-fact rows -> plain columns (lists) for `evaluate_batch`."""
    names = list(names)
    if not rows:
        return {name: [] for name in names}
    table = zip(*[tuple(map(row.get, names)) for row in rows], strict=True)  # transposed in C
    return dict(zip(names, map(list, table), strict=True))


def evaluate_batch(
    pack: Pack,
    columns: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    history: Sequence[Mapping[str, Any] | None] | None = None,
) -> BatchResult:
    """Run `pack` over many rows given as columns (fact name -> numpy array, sequence or a
    prepared `Column`), or as the per-fact dicts themselves (a list of fact mappings: only the
    columns the conditions read are built up front, the rest when a card needs them)."""
    fired, prepared, fallbacks = fire(pack, columns)
    shown = _apply_policy(pack, fired, prepared, history, prepared.n)
    return BatchResult(pack, shown, prepared, history, fallbacks)


def fire(
    pack: Pack, columns: Mapping[str, Any] | Sequence[Mapping[str, Any]], n: int | None = None
) -> tuple[np.ndarray, Columns, tuple[str, ...]]:
    """Which rules' conditions hold (and validity windows include `now`) on each row, before
    hard stops, cooldowns and the hit policy: (rules in priority order x rows, the prepared
    columns, the rules evaluated row by row). Given N, the number of rows, columns nobody reads
    are never looked at (they may be made on demand)."""
    vocabulary = pack.vocabulary
    needed = {name for rule in pack.rules for name in rule.facts}
    needed |= {"now"} if any(r.valid_from or r.valid_until for r in pack.rules) else set()
    if not isinstance(columns, Mapping):
        columns = RowColumns(columns, sorted(needed))
    if n is None:
        n = _row_count(columns) if not isinstance(columns, RowColumns) else len(columns.rows)
    names = needed | {name for name in columns if name in vocabulary}
    prepared = Columns(columns, vocabulary, n, names, needed, pack.fact_problems)
    for name in sorted(needed):
        prepared[name]  # every fact the conditions read is checked, as `evaluate` checks it
    vectoriser = Vectoriser(prepared, n)
    fired = np.zeros((len(pack.order), n), dtype=bool)
    fallbacks = []
    for k, index in enumerate(pack.order):
        rule = pack.rules[index]
        try:
            with np.errstate(all="ignore"):
                fired[k] = vectoriser.full(vectoriser.truth(rule.tree)) & _window(rule, prepared, n)
        except Fallback:
            fallbacks.append(rule.id)
            fired[k] = _row_by_row(rule, prepared, n)
    return fired, prepared, tuple(fallbacks)


class RowColumns(dict):
    """Columns of a list of fact dicts: the named ones transposed at once, others on demand."""

    def __init__(self, rows: Sequence[Mapping[str, Any]], names: list[str]):
        super().__init__(columns_from_rows(rows, names))
        self.rows = rows
        self.present = set().union(*rows) if rows else set()

    def __iter__(self):  # every fact any row has
        return iter(self.present | set(self.keys()))

    def get(self, name: str, default: Any = None) -> Any:
        if name in self:
            return self[name]
        if name not in self.present:
            return default
        column = self[name] = [row.get(name) for row in self.rows]
        return column


def _length(column: Any) -> int:
    if isinstance(column, Column):
        return len(column.data)
    if isinstance(column, MoneyColumn):
        return len(column.units)
    return len(column.codes) if hasattr(column, "codes") else len(column)


def _row_count(columns: Mapping[str, Any]) -> int:
    lengths = {_length(c) for c in columns.values()}
    if len(lengths) > 1:
        raise FactError(f"columns have different lengths: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def _window(rule: Any, columns: Mapping[str, Column], n: int) -> Any:
    if rule.valid_from is None and rule.valid_until is None:
        return True
    now = columns["now"]
    day = now.data.astype("M8[D]")
    ok = np.ones(n, bool) if now.present is None else now.present.copy()
    if rule.valid_from is not None:
        ok &= day >= np.datetime64(rule.valid_from, "D")
    if rule.valid_until is not None:
        ok &= day <= np.datetime64(rule.valid_until, "D")
    return ok


def _row_by_row(rule: Any, columns: Mapping[str, Column], n: int) -> np.ndarray:
    window = (rule.valid_from, rule.valid_until) if rule.valid_from or rule.valid_until else None
    match = compile_matcher([(0, rule.tree, window)], first_only=False)
    names = [*rule.facts, *(["now"] if window else [])]
    used = [(name, columns[name]) for name in dict.fromkeys(names)]
    out = np.zeros(n, dtype=bool)
    for i in range(n):
        out[i] = bool(match({name: column.python(i) for name, column in used}))
    return out


def _apply_policy(
    pack: Pack,
    fired: np.ndarray,
    columns: Mapping[str, Column],
    history: Sequence[Any] | None,
    n: int,
) -> np.ndarray:
    rules = [pack.rules[i] for i in pack.order]
    stop_all = np.zeros(n, bool)
    stop_any = np.zeros(n, bool)
    for k, rule in enumerate(rules):
        if rule.suppress == "all":
            stop_all |= fired[k]
        if rule.suppress:
            stop_any |= fired[k]
    shown = fired  # rewritten row by row in place: fired[k] is read before shown[k] is written
    count = np.zeros(n, dtype=np.int16)
    for k, rule in enumerate(rules):
        eligible = fired[k].copy()
        if rule.suppress is None and stop_all.any():
            eligible &= ~stop_all
        if rule.has_offer and stop_any.any():
            eligible &= ~stop_any
        if history is not None and rule.cooldown is not None:
            _cool(rule, eligible, columns, history)
        eligible &= count < pack.top
        shown[k] = eligible
        count += eligible
    return shown


def _cool(
    rule: Any, eligible: np.ndarray, columns: Mapping[str, Column], history: Sequence[Any]
) -> None:
    wanted = [rule.cooldown.per, "now", "visit.started"]
    for i in np.flatnonzero(eligible):
        past = history[i]
        if not past:
            continue
        facts = {name: columns[name].python(i) for name in wanted if name in columns}
        if rule.cooldown.blocks(past.get(rule.cooldown.key(rule.id, facts)), facts):
            eligible[i] = False
