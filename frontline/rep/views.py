"""The rep's live inbox of pushed cards, one screen per card, one-tap actions."""

from flask import abort, flash, request, url_for
from flask_login import current_user

from .. import push
from ..auth import role_required, stream_channels
from ..cargo.capacity import board
from ..extensions import db
from ..guidance import actions
from ..guidance.inbox import open_cards
from ..rendering import render, see_other
from ..tables import Customer, Flight, IssuedCard, Lane, Quote, Role, utcnow
from . import bp

#: The host reasons that make sense for a rep too.
REASONS = {k: actions.REASONS[k] for k in ("already_handled", "wrong_person", "not_appropriate")}
UPCOMING = 6
SUBJECTS = {"flight": Flight, "customer": Customer, "lane": Lane, "quote": Quote}


@bp.get("/")
@role_required(Role.REP)
def home():
    upcoming = board(utcnow(), current_user.id)[:UPCOMING]
    version = push.version(push.user_channel(current_user.id))  # before the inbox is read
    cards = open_cards(current_user.id, "rep")
    return render("rep/home.html", block="inbox", cards=cards, upcoming=upcoming, version=version)


@bp.get("/stream")
@role_required(Role.REP)
def stream():
    """`v`: the inbox the home page shows; without it (a deal page) the stream always syncs."""
    return push.stream(stream_channels(current_user), request.args.get("v"))


@bp.get("/cards/<int:card_id>")
@role_required(Role.REP)
def card(card_id: int):
    found = _my_card(card_id)
    actions.seen(found, current_user)
    subject = db.session.get(SUBJECTS[found.subject_type], found.subject_id)
    return render(
        "rep/card.html", block="card", card=found, subject=subject, reasons=REASONS,
        buttons=actions.next_actions(found),
    )  # fmt: skip


@bp.post("/cards/<int:card_id>/seen")
@role_required(Role.REP)
def seen(card_id: int):
    """The inbox showed this card on screen (htmx `revealed`): counted once, answered empty."""
    actions.seen(_my_card(card_id), current_user)
    return "", 204


@bp.post("/cards/<int:card_id>/actions")
@role_required(Role.REP)
def act(card_id: int):
    found = _my_card(card_id)
    try:
        actions.tap(
            found,
            current_user,
            request.form.get("action", ""),
            "",
            _reason(),
            tap_id=request.form.get("tap_id", ""),
        )
    except actions.ActionRefused as refusal:
        flash(f"Not recorded: {refusal}.", "error")
    return see_other(url_for("rep.card", card_id=card_id))


def _reason() -> str:
    reason = request.form.get("reason", "")
    return reason if reason in REASONS or not reason else "invalid"


def _my_card(card_id: int) -> IssuedCard:
    """A rep sees only the cards routed to them."""
    found = db.session.get(IssuedCard, card_id)
    if found is None or found.assignee_id != current_user.id or found.audience != "rep":
        abort(404)
    return found
