"""The phone app around every screen: manifest, service worker, offline page, lock-screen push."""

from flask import Blueprint

bp = Blueprint("phone", __name__)

from . import views  # noqa: E402,F401
