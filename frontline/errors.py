"""Error pages for people, JSON for integrations, and one clear answer when the database is away."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import BadRequest, HTTPException

from .extensions import api, db
from .rendering import render
from .scoreboard.funnel import FilterError

#: Said instead of Flask-WTF's "The CSRF token is missing.": what the person should do.
CSRF_MESSAGE = "This form has expired or was sent from elsewhere. Reload the page and try again."


def init_app(app: Flask) -> None:
    """Register after `api.init_app`: flask-smorest's own handler would answer JSON everywhere."""
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(FilterError, bad_scoreboard_filter)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _with_error_headers(response: Response, error: HTTPException) -> Response:
    """Keep what the exception adds (Allow on a 405, Retry-After, WWW-Authenticate)."""
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers.setdefault(name, value)
    return response


def http_error(error: HTTPException):
    if _wants_json():
        body, status, headers = _smorest_answer(error)
        response = jsonify(body)
        response.status_code = status
        response.headers.extend(headers)
        return _with_error_headers(response, error)
    description = CSRF_MESSAGE if isinstance(error, CSRFError) else error.description
    response = render(
        "errors/error.html", error=error, description=description, status=error.code or 500
    )
    return _with_error_headers(response, error)


def _smorest_answer(error: HTTPException) -> tuple[dict, int, dict]:
    """flask-smorest's JSON error (with webargs' field errors), plus the description."""
    body, status, headers = api.handle_http_exception(error)
    body.setdefault("message", error.description)
    return body, status or 500, headers


def bad_scoreboard_filter(error: FilterError):
    """A scoreboard filter it cannot use (a period it does not offer, an unknown rule...): 400,
    naming the field, on whichever screen asked (the analyst's or the sales lead's)."""
    return http_error(BadRequest(f"Scoreboard filter {error}."))


def database_unavailable(error: OperationalError):
    db.session.rollback()
    message = "The database cannot be reached right now. Please try again in a moment."
    if _wants_json():
        return jsonify(code=503, status="Service Unavailable", message=message), 503
    return render("errors/unavailable.html", message=message, status=503)
