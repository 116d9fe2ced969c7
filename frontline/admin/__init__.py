"""People and access: users, roles, sign-in rights; shifts and zones."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import directory, shifts, views  # noqa: E402,F401
