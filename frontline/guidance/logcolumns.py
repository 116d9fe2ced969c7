"""The evaluation log in columns, for backtests that read arrays rather than JSON.

Each day of each audience's log is turned once into typed columns (one numpy array per fact,
prepared as the batch evaluator wants them, plus ids, subjects and times) and kept in the
`evaluation_columns` table. A day's columns stay valid while the day has the same rows (count,
first and last id) under the same vocabulary; otherwise (today, as evaluations arrive, or a day
written to late) they are made again from the JSON. A window then reads a month of columns in
well under a second, and only the facts the packs need are unpacked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

import guidance_rules
from guidance_rules.batch import Column, columns_from_rows, prepare

from ..extensions import db
from ..tables import Evaluation, EvaluationColumns
from .values import facts_from_json, to_json

FORMAT = 1  # bump when the stored layout changes: every day is made again


class Facts(Mapping):
    """Fact name -> `Column` over the rows of a window, joined from its days on first use."""

    def __init__(self, days: list[Day], keep: np.ndarray | None, vocabulary: Any):
        self.days, self.keep, self.vocabulary = days, keep, vocabulary
        self.kinds: dict[str, str] = {}
        for day in days:
            self.kinds.update(day.kinds)
        self.joined: dict[str, Column] = {}

    def __getitem__(self, name: str) -> Column:
        if name not in self.kinds:
            raise KeyError(name)
        if name not in self.joined:
            parts = [(len(day.ids), day.column(name)) for day in self.days]
            column = _join(parts, self.vocabulary[name])
            if self.keep is not None:
                column = _take(column, self.keep)
            self.joined[name] = column
        return self.joined[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.kinds)

    def __len__(self) -> int:
        return len(self.kinds)


@dataclass
class LogColumns:
    """A window of the log, oldest first: ids, subjects, times (naive UTC) and facts."""

    ids: np.ndarray
    subject_types: np.ndarray  # codes into `types`
    types: tuple[str, ...]
    subject_ids: np.ndarray
    at: np.ndarray  # datetime64[us], UTC
    facts: Mapping[str, Column]

    def __len__(self) -> int:
        return len(self.ids)

    def subjects(self) -> np.ndarray:
        """One integer per (subject type, subject id): whose cooldown history a row uses."""
        if not len(self):
            return np.zeros(0, np.int64)
        whose = self.subject_types.astype(np.int64) << 40 | self.subject_ids  # ids < 2**40
        return np.unique(whose, return_inverse=True)[1].reshape(-1)

    def when(self, i: int) -> datetime:
        return self.at[i].item().replace(tzinfo=UTC)

    def subject_type(self, i: int) -> str:
        return self.types[self.subject_types[i]]


def window(audience: str, start: datetime, end: datetime) -> LogColumns:
    """The logged evaluations of AUDIENCE in [START, END), oldest first, as columns."""
    vocabulary = guidance_rules.load_vocabulary()
    stamp = _stamp(vocabulary)
    days = []
    day = start.astimezone(UTC).date()
    while day <= end.astimezone(UTC).date():
        found = _day(audience, day, vocabulary, stamp)
        if found is not None:
            days.append(found)
        day += timedelta(days=1)
    db.session.commit()  # the days made now are kept for the next backtest
    at = np.concatenate([d.at for d in days]) if days else np.zeros(0, "M8[us]")
    low, high = (np.datetime64(t.astimezone(UTC).replace(tzinfo=None), "us") for t in (start, end))
    keep = (at >= low) & (at < high)
    keep_or_all = None if keep.all() else keep
    types = tuple(sorted({t for d in days for t in d.types}))
    codes = [np.array([types.index(t) for t in d.types], np.int8)[d.subject_types] for d in days]

    def joined(name: str, dtype: Any) -> np.ndarray:
        values = np.concatenate([getattr(d, name) for d in days]) if days else np.zeros(0, dtype)
        return values if keep_or_all is None else values[keep]

    return LogColumns(
        ids=joined("ids", np.int64),
        subject_types=np.concatenate(codes)[keep] if days else np.zeros(0, np.int8),
        types=types,
        subject_ids=joined("subject_ids", np.int64),
        at=at[keep],
        facts=Facts(days, keep_or_all, vocabulary),
    )


class Day:
    """One day of the log: ids, subjects, times (naive UTC) and a column per fact it has."""

    def __init__(
        self,
        ids: np.ndarray,
        types: tuple[str, ...],
        subject_types: np.ndarray,
        subject_ids: np.ndarray,
        at: np.ndarray,
        kinds: dict[str, str],
        column: Callable[[str], Column | None],
    ):
        self.ids, self.types, self.subject_types = ids, types, subject_types
        self.subject_ids, self.at, self.kinds, self.column = subject_ids, at, kinds, column

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def of(cls, ids, types, subject_types, subject_ids, at, columns: dict[str, Column]) -> Day:
        kinds = {name: column.kind for name, column in columns.items()}
        return cls(ids, types, subject_types, subject_ids, at, kinds, columns.get)

    @classmethod
    def load(cls, data: bytes) -> Day:
        """A stored day; each fact's arrays are unpacked when that fact is first read."""
        arrays, header = _unpack(data)
        meta = {fact["name"]: (i, fact) for i, fact in enumerate(header["facts"])}

        def column(name: str) -> Column | None:
            if name not in meta:
                return None
            i, fact = meta[name]
            present = arrays[f"{i}.present"] if fact["present"] else None
            if "values" in fact:  # money no int64 holds: Decimals
                data = np.empty(len(ids), dtype=object)
                data[:] = [None if v is None else Decimal(v) for v in fact["values"]]
            else:
                data = arrays[str(i)]
            categories = fact["categories"]
            if fact["kind"] == "list":  # each category a list, as tuples again
                categories = map(tuple, categories)
            return Column(fact["kind"], data, present, fact["scale"], tuple(categories))

        ids = arrays["ids"]
        kinds = {name: fact["kind"] for name, (_i, fact) in meta.items()}
        return cls(
            ids,
            tuple(header["types"]),
            arrays["subject_types"],
            arrays["subject_ids"],
            arrays["at"],
            kinds,
            column,
        )

    def dump(self) -> bytes:
        """The day as stored: numpy arrays (no pickles) and a JSON header."""
        arrays: dict[str, np.ndarray] = {
            "ids": self.ids,
            "subject_types": self.subject_types,
            "subject_ids": self.subject_ids,
            "at": self.at,
        }
        header: dict[str, Any] = {"types": list(self.types), "facts": []}
        for i, name in enumerate(sorted(self.kinds)):
            column = self.column(name)
            meta = {
                "name": name,
                "kind": column.kind,
                "scale": column.scale,
                "categories": list(column.categories),
                "present": column.present is not None,
            }
            if column.data.dtype == object:  # money no int64 holds: exact text
                meta["values"] = [to_json(v) for v in column.data.tolist()]
            else:
                arrays[str(i)] = column.data
            if column.present is not None:
                arrays[f"{i}.present"] = column.present
            header["facts"].append(meta)
        return _pack(arrays, header)

    def then(self, later: Day, vocabulary: Any) -> Day:
        """This day's rows followed by LATER's."""
        types = tuple(sorted({*self.types, *later.types}))
        codes = [
            np.array([types.index(t) for t in day.types], np.int8)[day.subject_types]
            for day in (self, later)
        ]
        columns = {
            name: _join([(len(self), self.column(name)), (len(later), later.column(name))],
                        vocabulary[name])
            for name in {*self.kinds, *later.kinds}
        }  # fmt: skip
        return Day.of(
            np.concatenate([self.ids, later.ids]),
            types,
            np.concatenate(codes),
            np.concatenate([self.subject_ids, later.subject_ids]),
            np.concatenate([self.at, later.at]),
            columns,
        )


def _pack(arrays: dict[str, np.ndarray], header: dict[str, Any]) -> bytes:
    """Arrays as one buffer: a JSON header (with each array's type, length and place) and the
    arrays' bytes, each at a multiple of 8, so reading them back copies nothing."""
    places, offset = {}, 0
    for name, array in arrays.items():
        places[name] = (array.dtype.str, len(array), offset)
        offset += -(-array.nbytes // 8) * 8
    head = json.dumps({**header, "arrays": places}).encode()
    head += b" " * (-len(head) % 8)
    out = bytearray(8 + len(head) + offset)
    out[:8] = len(head).to_bytes(8, "little")
    out[8 : 8 + len(head)] = head
    for name, array in arrays.items():
        start = 8 + len(head) + places[name][2]
        out[start : start + array.nbytes] = np.ascontiguousarray(array).tobytes()
    return bytes(out)


def _unpack(data: bytes) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    size = int.from_bytes(data[:8], "little")
    header = json.loads(bytes(data[8 : 8 + size]))  # a driver may hand back a memoryview
    arrays = {
        name: np.frombuffer(data, np.dtype(kind), count, 8 + size + offset)
        for name, (kind, count, offset) in header.pop("arrays").items()
    }
    return arrays, header


def _day(audience: str, day: date, vocabulary: Any, stamp: str) -> Day | None:
    """The day's columns: as kept if the day has not changed; the kept ones and the new rows if
    only rows were added after them (today, as evaluations arrive); else made from the JSON."""
    start = datetime.combine(day, time(), UTC)
    rows, first, last = db.session.execute(
        select(func.count(Evaluation.id), func.min(Evaluation.id), func.max(Evaluation.id)).where(
            Evaluation.audience == audience,
            Evaluation.at >= start,
            Evaluation.at < start + timedelta(days=1),
        )
    ).one()
    if not rows:
        return None
    kept = db.session.scalar(
        select(EvaluationColumns).where(
            EvaluationColumns.audience == audience, EvaluationColumns.day == day
        )
    )
    if kept is not None and (kept.first_id, kept.vocabulary) == (first, stamp):
        if (kept.rows, kept.last_id) == (rows, last):
            return Day.load(kept.data)
        earlier = Day.load(kept.data)
        later = _read(audience, start, vocabulary, after=kept.last_id)
        if 0 < len(later) == rows - kept.rows and later.at[0] >= earlier.at[-1]:
            return _keep(audience, day, earlier.then(later, vocabulary), stamp)
    return _keep(audience, day, _read(audience, start, vocabulary), stamp)


def _keep(audience: str, day: date, found: Day, stamp: str) -> Day:
    """Store the day's columns in place of any kept before (committed by the caller), with the
    rows they hold (count, first and last id) to tell later whether the day has changed."""
    try:
        with db.session.begin_nested():
            db.session.execute(
                delete(EvaluationColumns).where(
                    EvaluationColumns.audience == audience, EvaluationColumns.day == day
                )
            )
            db.session.add(
                EvaluationColumns(
                    audience=audience,
                    day=day,
                    rows=len(found),
                    first_id=int(found.ids.min()),
                    last_id=int(found.ids.max()),
                    vocabulary=stamp,
                    data=found.dump(),
                )
            )
    except IntegrityError:  # another worker kept the same day at the same moment
        pass
    return found


def _read(audience: str, start: datetime, vocabulary: Any, after: int = 0) -> Day:
    """The day from START (its rows with ids above AFTER), read from the JSON and typed."""
    query = (
        select(Evaluation.id, Evaluation.subject_type, Evaluation.subject_id, Evaluation.at)
        .add_columns(Evaluation.facts)
        .where(
            Evaluation.audience == audience,
            Evaluation.at >= start,
            Evaluation.at < start + timedelta(days=1),
            Evaluation.id > after,
        )
        .order_by(Evaluation.at, Evaluation.id)
    )
    rows = db.session.execute(query).all()
    facts = [facts_from_json(row.facts, vocabulary) for row in rows]
    names = sorted(set().union(*facts))
    raw = columns_from_rows(facts, names)
    columns = {}
    for name in names:
        fact, values = vocabulary[name], raw[name]
        if fact.type == "datetime":
            values = [_naive(v) if isinstance(v, datetime) else v for v in values]
        columns[name] = prepare(fact.type, values, len(rows), name, fact.values)
    types = tuple(sorted({row.subject_type for row in rows}))
    return Day.of(
        np.array([row.id for row in rows], np.int64),
        types,
        np.array([types.index(row.subject_type) for row in rows], np.int8),
        np.array([row.subject_id for row in rows], np.int64),
        np.array([_naive(row.at) for row in rows], "M8[us]"),
        columns,
    )


def _naive(moment: datetime) -> datetime:
    """UTC without its zone: the batch evaluator's datetimes."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _stamp(vocabulary: Any) -> str:
    """What the stored columns depend on besides the rows: the layout and each fact's type."""
    facts = sorted((name, f.type, list(f.values)) for name, f in vocabulary.facts.items())
    return hashlib.sha256(json.dumps([FORMAT, facts]).encode()).hexdigest()[:32]


def _join(parts: list[tuple[int, Column | None]], fact: Any) -> Column:
    """One fact's columns of consecutive days (rows, column or None if absent that day) as one
    column; on days without it the fact is missing."""
    known = [p for _n, p in parts if p is not None]
    kinds = {p.kind for p in known}
    if len(kinds) > 1 or any(p.data.dtype == object for p in known):
        return _join_as_python(parts, fact)
    like = known[0]
    categories: tuple = ()
    if like.kind in ("code", "list"):
        categories = tuple(dict.fromkeys(c for p in known for c in p.categories))
        position = {c: i for i, c in enumerate(categories)}
        parts = [(n, p if p is None else _recode(p, position)) for n, p in parts]
    scale = max(p.scale for p in known)
    datas, presents = [], []
    for n, part in parts:
        if part is None:
            empty = -1 if like.kind in ("code", "list") else 0
            datas.append(np.full(n, empty).astype(like.data.dtype))
            presents.append(np.zeros(n, bool))
            continue
        data = part.data if part.scale == scale else part.data * 10 ** (scale - part.scale)
        datas.append(data.astype(like.data.dtype, copy=False))
        presents.append(np.ones(n, bool) if part.present is None else part.present)
    present = np.concatenate(presents)
    data = np.concatenate(datas)
    return Column(like.kind, data, None if present.all() else present, scale, categories)


def _recode(part: Column, position: dict[Any, int]) -> Column:
    """A coded column's codes in the joined column's categories (missing stays -1)."""
    table = np.array([position[c] for c in part.categories] + [-1], np.int32)
    return Column(part.kind, table[part.data], part.present)


def _join_as_python(parts: list[tuple[int, Column | None]], fact: Any) -> Column:
    """The rare join of columns held in different forms: through Python values, prepared again."""
    values: list[Any] = []
    for n, part in parts:
        values += [None] * n if part is None else [part.python(i) for i in range(n)]
    return prepare(fact.type, values, len(values), fact.name, fact.values)


def _take(column: Column, keep: np.ndarray) -> Column:
    present = None if column.present is None else column.present[keep]
    return Column(column.kind, column.data[keep], present, column.scale, column.categories)
