"""Error pages for people and one clear answer when the database is away."""

from __future__ import annotations

from flask import Flask, jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .rendering import render


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(OperationalError, database_unavailable)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def http_error(error: HTTPException):
    if _wants_json():
        return jsonify(code=error.code, status=error.name, message=error.description), error.code
    return render("errors/error.html", error=error, status=error.code or 500)


def database_unavailable(error: OperationalError):
    db.session.rollback()
    message = "The database cannot be reached right now. Please try again in a moment."
    if _wants_json():
        return jsonify(code=503, status="Service Unavailable", message=message), 503
    return render("errors/unavailable.html", message=message, status=503)
