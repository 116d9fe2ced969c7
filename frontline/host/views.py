"""The host's phone: a live inbox of guest alerts, one screen per card, one-tap actions."""

from flask import abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from .. import push
from ..auth import role_required, stream_channels
from ..casino.guest_panel import guest_panel
from ..casino.zones import zone_names
from ..extensions import db
from ..guidance import actions
from ..guidance.inbox import open_guest_cards
from ..guidance.inbox import version as inbox_version
from ..rendering import render, see_other
from ..tables import Guest, IssuedCard, Role, Visit
from . import bp


@bp.get("/")
@role_required(Role.HOST)
def inbox():
    cards, guests = open_guest_cards(current_user.id)
    return render(
        "host/inbox.html", block="inbox", cards=cards, guests=guests,
        zones=zone_names(), book=lambda: guest_book(current_user.id),
        version=inbox_version(cards, guests),
    )  # fmt: skip


@bp.get("/stream")
@role_required(Role.HOST)
def stream():
    """`v`: the inbox the page shows; the stream syncs the phone only if it is not current."""
    page, user_id = request.args.get("v"), current_user.id
    return push.stream(
        stream_channels(current_user),
        shows_current=lambda: page == inbox_version(*open_guest_cards(user_id)),
    )


@bp.get("/cards/<int:card_id>")
@role_required(Role.HOST)
def card(card_id: int):
    found = _my_card(card_id)
    actions.seen(found, current_user)
    guest = db.session.get(Guest, found.subject_id)
    return render(
        "host/card.html", block="card", card=found, guest=guest, panel=guest_panel(guest),
        outcomes=actions.OUTCOMES, reasons=actions.REASONS,
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
    try:
        actions.tap(
            found,
            current_user,
            form.get("action", ""),
            form.get("outcome", ""),
            form.get("reason", ""),
            tap_id=form.get("tap_id", ""),
        )
    except actions.ActionRefused as refusal:
        flash(f"Not recorded: {refusal}.", "error")
    return see_other(url_for("host.card", card_id=card_id))


def _my_card(card_id: int) -> IssuedCard:
    """A host sees only the cards routed to them."""
    found = db.session.get(IssuedCard, card_id)
    if found is None or found.assignee_id != current_user.id or found.subject_type != "guest":
        abort(404)
    return found


def guest_book(host_id: int) -> list:
    """The host's own guests, most recently seen first."""
    last_visit = func.max(Visit.visit_date).label("last_visit")
    query = (
        select(Guest, last_visit)
        .outerjoin(Visit, Visit.guest_id == Guest.id)
        .where(Guest.host_id == host_id)
        .group_by(Guest.id)
        .order_by(last_visit.desc().nulls_last(), Guest.name)
        .limit(50)
    )
    return db.session.execute(query).all()
