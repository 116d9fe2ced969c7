"""Sign-in, sign-out and who may see what."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import password, views  # noqa: E402,F401  (routes register on bp)
from .access import home_for, init_app, lead_required, role_required  # noqa: E402

__all__ = ["bp", "home_for", "init_app", "lead_required", "role_required"]
