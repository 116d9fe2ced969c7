"""The cargo sales rep's phone: capacity, price guidance, customers."""

from flask import Blueprint

bp = Blueprint("rep", __name__, url_prefix="/rep")

from . import views  # noqa: E402,F401
