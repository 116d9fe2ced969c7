"""Customer context: the rep's accounts and one shipper's history with us."""

from flask import abort
from flask_login import current_user

from ..auth import role_required
from ..cargo.accounts import account, my_customers, quote_total
from ..extensions import db
from ..rendering import render
from ..tables import Customer, Role, utcnow
from . import bp


@bp.get("/customers")
@role_required(Role.REP)
def customers():
    return render("rep/customers.html", rows=my_customers(current_user.id, utcnow()))


@bp.get("/customers/<int:customer_id>")
@role_required(Role.REP)
def customer(customer_id: int):
    found = db.session.get(Customer, customer_id) or abort(404)
    return render("rep/customer.html", acct=account(found, utcnow()), total=quote_total)
