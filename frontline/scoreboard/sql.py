"""The two date expressions the scoreboard needs that SQLite and PostgreSQL spell differently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement):
    """Seconds from the first instant to the second."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgres(element: Any, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


class week_of(FunctionElement):
    """The Monday (as YYYY-MM-DD text) of the week an instant falls in."""

    inherit_cache = True


@compiles(week_of)
def _week_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    (at,) = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"date({at}, 'weekday 0', '-6 days')"


@compiles(week_of, "postgresql")
def _week_postgres(element: Any, compiler: Any, **kw: Any) -> str:
    (at,) = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"to_char(date_trunc('week', {at}), 'YYYY-MM-DD')"


def within_days(later: ColumnElement, start: ColumnElement, days: int) -> ColumnElement:
    """LATER falls in [START, START + DAYS days)."""
    return (later >= start) & (seconds_between(start, later) < days * 86400)
