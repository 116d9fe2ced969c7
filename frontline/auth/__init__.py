"""Sign-in, sign-out and who may see what."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import password, views  # noqa: E402,F401  (routes register on bp)
from .access import (  # noqa: E402
    end_session,
    home_for,
    init_app,
    lead_required,
    role_required,
    stream_channels,
)

__all__ = [
    "bp",
    "end_session",
    "home_for",
    "init_app",
    "lead_required",
    "role_required",
    "stream_channels",
]
