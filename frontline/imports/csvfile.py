"""Read a CSV file against declared columns, collecting every error before anything is stored."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .. import limits

MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class Column:
    """A column a file may have: its parser raises ValueError with a reason people can act on."""

    name: str
    parse: Callable[[str], Any]
    required: bool = True
    default: Any = None


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


class ImportFailed(Exception):
    """The file was refused; `errors` lists every problem found."""

    def __init__(self, source: str, errors: list[RowError]) -> None:
        self.source, self.errors = source, errors
        super().__init__(f"{source}: {len(errors)} error(s); nothing was imported")

    def report(self, limit: int = 200) -> str:
        lines = [str(self)] + [f"  {error}" for error in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"  ... and {len(self.errors) - limit} more")
        return "\n".join(lines)


def read_rows(path: str | Path, columns: Iterable[Column]) -> list[tuple[int, dict[str, Any]]]:
    """Parsed rows with their line numbers; raises ImportFailed listing every bad cell."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return parse(handle, list(columns), str(path))


def parse(handle: TextIO, columns: list[Column], source: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(handle)
    header = [h.strip() for h in reader.fieldnames or []]
    errors = _header_errors(header, columns)
    if errors:
        raise ImportFailed(source, errors)
    rows = []
    for row in reader:
        line = reader.line_num
        if len(rows) >= MAX_ROWS:
            raise ImportFailed(source, [RowError(line, "-", f"more than {MAX_ROWS:,} rows")])
        if None in row:
            errors.append(RowError(line, "-", "more cells than the header has columns"))
            continue
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        parsed = _parse_row(line, values, columns, errors)
        rows.append((line, parsed))
    if errors:
        raise ImportFailed(source, errors)
    return rows


def _header_errors(header: list[str], columns: list[Column]) -> list[RowError]:
    if not header:
        return [RowError(1, "-", "the file is empty; the first line must name the columns")]
    known = {c.name for c in columns}
    errors = [RowError(1, h, "unknown column") for h in header if h not in known]
    missing = [c.name for c in columns if c.required and c.name not in header]
    errors += [RowError(1, name, "required column is missing") for name in missing]
    return errors


def _parse_row(line: int, values: dict[str, str], columns: list[Column], errors: list) -> dict:
    parsed = {}
    for column in columns:
        text = values.get(column.name, "")
        if text == "":
            if column.required:
                errors.append(RowError(line, column.name, "a value is required"))
            parsed[column.name] = column.default
            continue
        try:
            parsed[column.name] = column.parse(limits.text(text))
        except (ValueError, ArithmeticError) as error:
            errors.append(RowError(line, column.name, str(error) or f"bad value {text!r}"))
    return parsed
