"""Quote guidance in place, the quote given, its approval and its outcome."""

import uuid

from flask import abort, flash, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..cargo import approvals
from ..cargo.capacity import rep_lanes
from ..cargo.deals import LOST_REASONS, DealRefused, give_quote, record_outcome
from ..cargo.quoting import SPECIAL_HANDLING, RequestInvalid, guide, parse_request
from ..extensions import db
from ..rendering import render, see_other
from ..tables import Customer, Quote, Role, utcnow
from . import bp


@bp.get("/quote")
@role_required(Role.REP)
def quote():
    now, result, errors = utcnow(), None, {}
    if request.args.get("lane"):
        try:
            result = guide(parse_request(request.args, now.date()), now)
        except RequestInvalid as invalid:
            errors = invalid.errors
    return render(
        "rep/quote.html", block="guidance", result=result, errors=errors, form=request.args,
        key=uuid.uuid4().hex, today=now.date(), handling=SPECIAL_HANDLING,
        lanes=rep_lanes(current_user.id), customers=_customers(),
    )  # fmt: skip


def _customers() -> list[Customer]:
    rows = db.session.scalars(db.select(Customer).order_by(Customer.name))
    return sorted(rows, key=lambda c: (c.rep_id != current_user.id, c.name))


@bp.post("/quotes")
@role_required(Role.REP)
def give():
    now = utcnow()
    try:
        result = guide(parse_request(request.form, now.date()), now)
        given = give_quote(result, current_user, request.form.get("key", ""), _reason(), now)
    except RequestInvalid as invalid:
        flash("Not quoted: " + "; ".join(invalid.errors.values()) + ".")
        return see_other(url_for("rep.quote", **_back(request.form)))
    except DealRefused as refusal:
        flash(f"Not quoted: {refusal}.")
        return see_other(url_for("rep.quote", **_back(request.form)))
    return see_other(url_for("rep.deal", quote_id=given.id))


def _reason() -> str:
    return request.form.get("reason", "")[:500]


def _back(form) -> dict:
    return {k: v for k, v in form.to_dict().items() if k not in ("csrf_token", "key", "reason")}


@bp.get("/quotes/<int:quote_id>")
@role_required(Role.REP)
def deal(quote_id: int):
    found = _my_quote(quote_id)
    return render(
        "rep/deal.html", block="deal", quote=found, approval=approvals.latest_for(found),
        lost_reasons=LOST_REASONS,
    )  # fmt: skip


@bp.post("/quotes/<int:quote_id>/outcome")
@role_required(Role.REP)
def outcome(quote_id: int):
    found, form = _my_quote(quote_id), request.form
    try:
        record_outcome(
            found, current_user, form.get("outcome", ""), form.get("won_rate", ""),
            form.get("lost_reason", ""), utcnow(),
        )  # fmt: skip
    except DealRefused as refusal:
        db.session.rollback()
        flash(f"Not recorded: {refusal}.")
    return see_other(url_for("rep.deal", quote_id=quote_id))


def _my_quote(quote_id: int) -> Quote:
    found = db.session.get(Quote, quote_id)
    if found is None or found.rep_id != current_user.id:
        abort(404)
    return found
