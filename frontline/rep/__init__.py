"""The cargo sales rep's phone: pushed cards, capacity, quote guidance, customers."""

from flask import Blueprint

bp = Blueprint("rep", __name__, url_prefix="/rep")

from . import board_views, customer_views, market_views, numbers, quote_views, views  # noqa: E402,F401
