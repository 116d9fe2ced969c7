"""What the API accepts before any schema runs, and the fields that keep values in range.

Every JSON body is parsed once here: nested at most MAX_DEPTH deep, no list longer than
MAX_ITEMS, no string a database cannot store (NUL, lone surrogates). A 422 reports the first
MAX_REPORTED items with errors and how many more there are, so a bad bulk upload gets a
short answer, not megabytes.
"""

from __future__ import annotations

import typing
from decimal import Decimal

import flask_smorest
from flask import current_app
from marshmallow import ValidationError, fields
from webargs.flaskparser import FlaskParser, abort

from .. import limits
from ..tables import utcnow

MAX_DEPTH = 32
MAX_ITEMS = 1000
MAX_REPORTED = 20


class BodyParser(FlaskParser):
    def _raw_load_json(self, req) -> typing.Any:
        try:
            data = super()._raw_load_json(req)
        except RecursionError:
            data = None
            _refuse_depth()
        problem = _first_problem(data)
        if problem is not None:
            path, why = problem
            if why is None:
                _refuse_depth()
            abort(422, messages={"json": _nest(path, why)})
        return data

    def handle_error(self, error: ValidationError, req, schema, **kwargs) -> typing.NoReturn:
        error.messages = cap_report(error.messages)
        super().handle_error(error, req, schema, **kwargs)


def _refuse_depth() -> typing.NoReturn:
    abort(400, messages={"json": [f"Invalid JSON body: nested deeper than {MAX_DEPTH} levels."]})


def _first_problem(data: typing.Any) -> tuple[list, str | None] | None:
    """The path to the first value out of bounds and why (None: too deep); None if all is well."""
    stack = [(data, [], 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return path, None
        if isinstance(value, dict):
            for key, item in value.items():
                if (why := _bad_text(key)) is not None:
                    return path, f"A key {why}."
                stack.append((item, [*path, key], depth + 1))
        elif isinstance(value, list):
            if len(value) > MAX_ITEMS:
                return path, f"At most {MAX_ITEMS} items in one request; send the rest separately."
            stack.extend((item, [*path, i], depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str) and (why := _bad_text(value)) is not None:
            return path, why[0].upper() + why[1:] + "."
    return None


def _bad_text(value: str) -> str | None:
    try:
        limits.text(value)
    except ValueError as error:
        return str(error)
    return None


def _nest(path: list, why: str) -> typing.Any:
    report: typing.Any = [why]
    for key in reversed(path):
        report = {key: report}
    return report


def cap_report(messages: typing.Any) -> typing.Any:
    """Keep the first MAX_REPORTED items' errors of a list body, and say how many more."""
    body = messages.get("json") if isinstance(messages, dict) else None
    if not isinstance(body, dict) or len(body) <= MAX_REPORTED:
        return messages
    keys = list(body)
    kept = {str(k): body[k] for k in keys[:MAX_REPORTED]}
    kept["more"] = [f"{len(keys) - MAX_REPORTED} more items have errors (not listed)."]
    return {**messages, "json": kept}


def decimal_as_string(self, field: fields.Field, ret: dict, **kwargs: typing.Any) -> dict:
    """apispec calls every Decimal a number; ours travel as exact strings like "10.50"."""
    if not (isinstance(field, fields.Decimal) and field.as_string):
        return {}
    low, high = ret.pop("minimum", None), ret.pop("maximum", None)
    places = getattr(field, "exact_places", None)
    digits = r"\d+(\.\d+)?" if places is None else rf"\d+(\.\d{{1,{places}}})?"
    extra = {"type": "string", "format": "decimal", "pattern": rf"^-?{digits}$"}
    if low is not None or high is not None:
        extra["description"] = f"An exact decimal from {low} to {high}."
    return extra


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint reading bodies through BodyParser."""

    ARGUMENTS_PARSER = BodyParser()


class Day(fields.Date):
    """A date between 2000-01-01 and 2099-12-31."""

    def _deserialize(self, value, attr, data, **kwargs):
        return _checked(limits.day, super()._deserialize(value, attr, data, **kwargs))


class Instant(fields.AwareDateTime):
    """An aware date-time in 2000..2099, handed on in UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        return _checked(limits.instant, super()._deserialize(value, attr, data, **kwargs))


class Amount(fields.Decimal):
    """An exact decimal: extra decimals are refused, never rounded; sent back as a string."""

    def __init__(self, places: int, **kwargs: typing.Any) -> None:
        kwargs.setdefault("as_string", True)
        super().__init__(**kwargs)
        self.exact_places = places

    def _validated(self, value) -> Decimal:
        return _checked(lambda v: limits.amount(v, self.exact_places), super()._validated(value))


def _checked(check: typing.Callable, value: typing.Any) -> typing.Any:
    try:
        return check(value)
    except ValueError as error:
        why = str(error)
        raise ValidationError(why[0].upper() + why[1:] + ".") from None


def not_in_the_future(value) -> None:
    """An event may be ahead of our clock by EVENT_MAX_FUTURE_SECONDS (clock skew), no more."""
    skew = current_app.config["EVENT_MAX_FUTURE_SECONDS"]
    if (value - utcnow()).total_seconds() > skew:
        raise ValidationError(
            f"Is in the future by more than {skew:g} seconds; send events when they happen "
            "(check the sender's clock)."
        )
