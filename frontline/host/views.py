"""The host's phone: a live inbox of guest alerts, one screen per card, one-tap actions."""

from flask import abort, current_app, flash, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from .. import push
from ..auth import role_required, stream_channels
from ..casino import escalation, expiry
from ..casino.guest_panel import guest_panel
from ..casino.shifts import manager_on_duty
from ..casino.zones import zone_names
from ..extensions import db
from ..guidance import actions
from ..guidance.inbox import now_and_earlier, open_count, open_guest_cards, shown_limit
from ..rendering import render, see_other
from ..tables import CardStatus, Guest, IssuedCard, Role, Visit, utcnow
from . import bp


@bp.context_processor
def roster_link() -> dict:
    """The shift manager on duty keeps the roster: every host screen links to it for them."""
    return {"keeps_roster": lambda: manager_on_duty(current_user.id, utcnow())}


@bp.get("/")
@role_required(Role.HOST)
def inbox():
    """The newest open alerts (`?limit=` pages of 200 more), and how many are open in all."""
    limit = shown_limit(request.args.get("limit", type=int))
    version = push.version(push.user_channel(current_user.id))  # before the inbox is read
    cards, guests = open_guest_cards(current_user.id, limit)
    current, earlier = now_and_earlier(cards, utcnow())
    return render(
        "host/inbox.html", block="inbox", cards=current, earlier=earlier, guests=guests,
        zones=zone_names(), guest_book=lambda: guest_book(current_user.id),
        version=version, limit=limit,
        open_total=open_count(current_user.id, "host") if len(cards) >= limit else len(cards),
    )  # fmt: skip


@bp.get("/stream")
@role_required(Role.HOST)
def stream():
    """`v`: the inbox version the page shows; the stream syncs the phone only if it is not
    current. Under gunicorn the page's ticket lets frontline/asgi.py serve this without Flask."""
    return push.stream(stream_channels(current_user), request.args.get("v"))


#: What a host may still say about a card that moved on from them: how it ended.
LATE_ACTIONS = ("done", "not_relevant")


@bp.get("/cards/<int:card_id>")
@role_required(Role.HOST)
def card(card_id: int):
    found = _my_card(card_id)
    actions.seen(found, current_user)
    guest = db.session.get(Guest, found.subject_id)
    mine = found.assignee_id == current_user.id
    moves_at = escalation.moves_at(found, current_app.config["ESCALATE_AFTER_MINUTES"])
    return render(
        "host/card.html", block="card", card=found, guest=guest, panel=guest_panel(guest),
        outcomes=actions.OUTCOMES, reasons=actions.REASONS,
        buttons=[a for a in actions.next_actions(found) if mine or a in LATE_ACTIONS],
        moved=None if mine else escalation.moved_from(found, current_user.id),
        expired=expiry.expiry_line(found),
        moves_at=moves_at, heir=escalation.next_owner(found, guest, utcnow()) if moves_at else None,
    )  # fmt: skip


@bp.post("/cards/<int:card_id>/seen")
@role_required(Role.HOST)
def seen(card_id: int):
    """The inbox showed this card on screen (htmx `revealed`): counted once, answered empty."""
    actions.seen(_my_card(card_id), current_user)
    return "", 204


@bp.post("/cards/<int:card_id>/actions")
@role_required(Role.HOST)
def act(card_id: int):
    found = _my_card(card_id)
    form = request.form
    what = form.get("action", ""), form.get("outcome", ""), form.get("reason", "")
    tap_id = form.get("tap_id", "")
    try:
        if found.status == CardStatus.EXPIRED:  # it expired while the host was looking at it
            flash(expiry.late_tap(found, current_user, *what, tap_id=tap_id))
        elif found.assignee_id == current_user.id:
            actions.tap(found, current_user, *what, tap_id=tap_id)
        else:  # it moved on while the host was looking at it
            flash(escalation.late_tap(found, current_user, *what))
    except actions.ActionRefused as refusal:
        db.session.rollback()
        flash(f"Not recorded: {refusal}.", "error")
    return see_other(url_for("host.card", card_id=card_id))


def _my_card(card_id: int) -> IssuedCard:
    """A host sees the cards routed to them, and the ones that moved on from them."""
    found = db.session.get(IssuedCard, card_id)
    if found is None or found.subject_type != "guest":
        abort(404)
    if found.assignee_id != current_user.id and not escalation.moved_from(found, current_user.id):
        abort(404)
    return found


@bp.get("/guests")
@role_required(Role.HOST)
def guests():
    query = request.args.get("q", "").strip()[:80]
    rows = guest_book(current_user.id, query)
    return render("host/guests.html", block="rows", rows=rows, query=query)


@bp.get("/guests/<int:guest_id>")
@role_required(Role.HOST)
def guest(guest_id: int):
    found = db.session.get(Guest, guest_id)
    if found is None or found.host_id != current_user.id:
        abort(404)
    cards = db.session.scalars(
        select(IssuedCard)
        .where(IssuedCard.subject_type == "guest", IssuedCard.subject_id == found.id)
        .order_by(IssuedCard.created_at.desc())
        .limit(10)
    )
    return render("host/guest.html", guest=found, panel=guest_panel(found), cards=list(cards))


def guest_book(host_id: int, query: str = "") -> list:
    """The host's own guests (those whose name or number holds QUERY), most recently seen first."""
    last_visit = func.max(Visit.visit_date).label("last_visit")
    statement = (
        select(Guest, last_visit)
        .outerjoin(Visit, Visit.guest_id == Guest.id)
        .where(Guest.host_id == host_id)
        .group_by(Guest.id)
        .order_by(last_visit.desc().nulls_last(), Guest.name)
        .limit(50)
    )
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            Guest.name.ilike(pattern, escape="\\") | Guest.external_id.ilike(pattern, escape="\\")
        )
    return db.session.execute(statement).all()
