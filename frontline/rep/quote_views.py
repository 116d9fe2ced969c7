"""Quote guidance in place, the quote given, its approval and its outcome."""

import uuid

from flask import abort, flash, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..cargo import approvals
from ..cargo.accounts import may_quote, quotable_customers
from ..cargo.capacity import rep_lanes
from ..cargo.deals import (
    LOST_REASONS,
    QUOTE_STATES,
    DealRefused,
    give_quote,
    quotes_by_state,
    record_outcome,
    undo_outcome,
    undo_until,
)
from ..cargo.quoting import (
    SPECIAL_HANDLING,
    QuoteRequest,
    RequestInvalid,
    advise,
    parse_request,
)
from ..extensions import db
from ..rendering import render, see_other
from ..tables import Quote, Role, utcnow
from . import bp

#: Fields a rep must fill in (and their names): left empty, they are not an error until the rep
#: asks for guidance.
REQUIRED = {"customer": "customer", "lane": "lane", "weight_kg": "weight"}
#: How many customers the type-ahead offers at once.
PICKS = 8


@bp.get("/quote")
@role_required(Role.REP)
def quote():
    now, result, errors, form = utcnow(), None, {}, request.args
    if any(form.get(name) for name in REQUIRED):
        try:
            result = advise(_mine(parse_request(form, now.date())), now)
        except RequestInvalid as invalid:
            asked = "go" in form  # the rep pressed "Get guidance": say what is missing too
            errors = {f: e for f, e in invalid.errors.items() if asked or form.get(f)}
    missing = [REQUIRED[f] for f in REQUIRED if not form.get(f)] if result is None else []
    return _quote_screen("guidance", result=result, errors=errors, missing=missing)


@bp.get("/quote/customers")
@role_required(Role.REP)
def pick_customer():
    """Type-ahead: the customer picker alone (the whole form without htmx)."""
    return _quote_screen("customer_picks", result=None, errors={}, missing=[])


def _quote_screen(block: str, **shown):
    """The quote screen with the customers matching what was typed in the picker."""
    form, now = request.args, utcnow()
    customers = quotable_customers(current_user.id)
    typed = form.get("customer_q", "").strip().lower()
    picks = [c for c in customers if typed and (typed in c.name.lower() or typed in c.code.lower())]
    return render(
        "rep/quote.html", block=block, form=form, key=uuid.uuid4().hex, today=now.date(),
        handling=SPECIAL_HANDLING, lanes=rep_lanes(current_user.id), typed=typed,
        chosen=_chosen(customers, form.get("customer", "")), picks=picks[:PICKS],
        more=max(0, len(picks) - PICKS), **shown,
    )  # fmt: skip


def _chosen(customers: list, code: str):
    return next((c for c in customers if code and c.code == code.strip().upper()), None)


def _mine(req: QuoteRequest) -> QuoteRequest:
    """Only the shipper's rep, or the lane's, may see its pricing (it shows the share of wallet)."""
    if not may_quote(current_user.id, req.customer, req.lane):
        raise RequestInvalid(
            {"customer": f"{req.customer.code} is not your account and {req.lane.code} is not "
             "your lane; ask the account's rep to quote it"}
        )  # fmt: skip
    return req


@bp.post("/quotes")
@role_required(Role.REP)
def give():
    now = utcnow()
    try:
        result = advise(_mine(parse_request(request.form, now.date())), now)
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


@bp.get("/quotes")
@role_required(Role.REP)
def my_quotes():
    return render("rep/quotes.html", groups=quotes_by_state(current_user.id), states=QUOTE_STATES)


@bp.get("/quotes/<int:quote_id>")
@role_required(Role.REP)
def deal(quote_id: int):
    found = _my_quote(quote_id)
    until = undo_until(found)
    return render(
        "rep/deal.html", block="deal", quote=found, approval=approvals.latest_for(found),
        lost_reasons=LOST_REASONS, undo_until=until if until and until > utcnow() else None,
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


@bp.post("/quotes/<int:quote_id>/undo")
@role_required(Role.REP)
def undo(quote_id: int):
    try:
        undo_outcome(_my_quote(quote_id), current_user, utcnow())
        flash("Undone: the quote is open again.")
    except DealRefused as refusal:
        db.session.rollback()
        flash(f"Not undone: {refusal}.")
    return see_other(url_for("rep.deal", quote_id=quote_id))


def _my_quote(quote_id: int) -> Quote:
    found = db.session.get(Quote, quote_id)
    if found is None or found.rep_id != current_user.id:
        abort(404)
    return found
