"""People and access: users, roles, sign-in rights."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import directory, views  # noqa: E402,F401
