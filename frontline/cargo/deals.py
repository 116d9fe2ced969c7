"""A quote given from the guidance screen, its approval, and its outcome in one tap."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select, update

from .. import push
from ..extensions import db
from ..guidance import evaluations
from ..tables import (
    Approval,
    ApprovalStatus,
    Booking,
    Flight,
    LostReason,
    Quote,
    QuoteOutcome,
    User,
)
from . import approvals
from .facts import transit_diff_hours
from .quoting import CENT, QuoteAdvice

LOST_REASONS = {r.value: r.value.replace("_", " ").capitalize() for r in LostReason}
#: How long a recorded outcome can be taken back (a mistap during a customer call).
UNDO_WINDOW = timedelta(seconds=10)


class DealRefused(ValueError):
    """The quote cannot be stored or decided this way; the message says why."""


def give_quote(result: QuoteAdvice, rep: User, key: str, reason: str, now: datetime) -> Quote:
    """Store the quote with the guidance shown; ask for approval when it needs one."""
    external_id = f"rep-{key}"[:64]
    existing = db.session.scalar(select(Quote).where(Quote.external_id == external_id))
    if existing is not None:
        return existing  # the same form sent twice
    if result.rate is None or result.chosen is None:
        raise DealRefused(result.problem or "there is no rate to quote")
    why = approvals.grounds(result.rate, result.floor, _total(result))
    if why and not reason.strip():
        names = " and ".join(approvals.GROUNDS[g].lower() for g in why)
        raise DealRefused(f"{names}: give a reason for the approver")
    quote = _quote(result, rep, external_id, now)
    db.session.add(quote)
    if result.pack is not None:
        db.session.flush()  # the quote's id names the evaluation's subject
        cards = [shown.card for shown in result.cards]
        evaluations.record(result.pack, "quote", quote.id, result.facts, cards, now)
    approval = approvals.ask(quote, rep, why, reason.strip(), quote.guidance) if why else None
    db.session.commit()
    if approval is not None:
        approvals.signal_approvers(approval)
    return quote


def _total(result: QuoteAdvice) -> Decimal:
    return result.total(result.rate)


def _quote(result: QuoteAdvice, rep: User, external_id: str, now: datetime) -> Quote:
    request, flight = result.request, result.chosen.flight
    best = result.competitors[0] if result.competitors else None
    return Quote(
        external_id=external_id,
        customer_id=request.customer.id,
        lane_id=request.lane.id,
        flight_id=flight.id,
        rep_id=rep.id,
        quoted_at=now,
        ready_date=request.ready_date,
        weight_kg=request.weight_kg,
        volume_m3=request.volume_m3,
        commodity=request.commodity,
        special_handling=list(request.special_handling),
        rate_per_kg=result.rate,
        competitor_best_rate=best.rate if best else None,
        transit_diff_hours=transit_diff_hours(best, flight),
        load_factor_at_quote=round(flight.load_factor, 3),
        guidance=result.snapshot(),
    )


def record_outcome(
    quote: Quote, user: User, outcome: str, rate_text: str, lost: str, now: datetime
) -> None:
    """Won at a rate (books the space), lost with a reason, or still pending."""
    if quote.outcome != QuoteOutcome.PENDING:
        raise DealRefused(f"this quote is already {quote.outcome.value}")
    if outcome == "pending":
        return
    if outcome == "won":
        _won(quote, _won_rate(quote, rate_text), now)
    elif outcome == "lost":
        if lost not in LOST_REASONS:
            raise DealRefused("pick why it was lost: " + ", ".join(LOST_REASONS.values()).lower())
        quote.outcome, quote.lost_reason = QuoteOutcome.LOST, LostReason(lost)
    else:
        raise DealRefused(f"unknown outcome {outcome!r}")
    quote.decided_at = now
    db.session.commit()
    push.publish(push.user_channel(user.id), "inbox", "changed")


def _won_rate(quote: Quote, text: str) -> Decimal:
    approval = approvals.latest_for(quote)
    if approval is not None and approval.status != ApprovalStatus.APPROVED:
        raise DealRefused(f"approval is {approval.status.value}; it cannot be won at this rate")
    try:
        rate = Decimal((text or str(quote.rate_per_kg)).strip().removeprefix("$"))
    except ArithmeticError:
        raise DealRefused(f"{text!r} is not a rate like 2.35") from None
    if not rate.is_finite() or rate != rate.quantize(CENT) or not CENT <= rate <= 100:
        raise DealRefused("the won rate must be $0.01 to $100.00 per kg, in cents")
    floor = Decimal((quote.guidance or {}).get("prices", {}).get("price.floor", "0"))
    if rate < floor and rate < quote.rate_per_kg:
        raise DealRefused(f"${rate} is below the floor ${floor}; quote it again for approval")
    return rate


def _won(quote: Quote, rate: Decimal, now: datetime) -> None:
    """Book the space on the flight, so the board and the wallet see it at once.

    The capacity check and the booking are one conditional UPDATE: two reps winning the last
    free kilos at once cannot both book them (a read-then-write would let both pass).
    """
    if quote.flight_id is None:
        raise DealRefused("the quote has no flight to book")
    _claim_pending(quote)
    booked = db.session.execute(
        update(Flight)
        .where(Flight.id == quote.flight_id)
        .where(Flight.booked_kg + quote.weight_kg <= Flight.capacity_kg)
        .values(
            booked_kg=Flight.booked_kg + quote.weight_kg,
            booked_m3=Flight.booked_m3 + quote.volume_m3,
        )
        .execution_options(synchronize_session=False)
    )
    if booked.rowcount != 1:
        number = quote.flight.number
        raise DealRefused(f"{number} no longer has room for {quote.weight_kg:,} kg")
    db.session.expire(quote.flight, ["booked_kg", "booked_m3"])
    quote.outcome, quote.won_rate_per_kg = QuoteOutcome.WON, rate
    db.session.add(
        Booking(
            external_id=f"{quote.external_id}-booking"[:64],
            customer_id=quote.customer_id,
            flight_id=quote.flight_id,
            quote_id=quote.id,
            booked_at=now,
            weight_kg=quote.weight_kg,
            volume_m3=quote.volume_m3,
            rate_per_kg=rate,
        )
    )


def _claim_pending(quote: Quote) -> None:
    """Compare-and-set on the outcome: a quote is decided once, even from two phones."""
    claimed = db.session.execute(
        update(Quote)
        .where(Quote.id == quote.id, Quote.outcome == QuoteOutcome.PENDING)
        .values(outcome=QuoteOutcome.WON)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise DealRefused("this quote was decided meanwhile")


def undo_until(quote: Quote) -> datetime | None:
    """Until when the quote's outcome can be undone (None: nothing to undo)."""
    if quote.outcome == QuoteOutcome.PENDING or quote.decided_at is None:
        return None
    return quote.decided_at + UNDO_WINDOW


def undo_outcome(quote: Quote, user: User, now: datetime) -> None:
    """Take a won or lost back to pending within the undo window; a win gives its space back."""
    until = undo_until(quote)
    if until is None or now > until:
        raise DealRefused(f"an outcome can be undone for {UNDO_WINDOW.seconds} s only")
    reopened = db.session.execute(
        update(Quote)
        .where(Quote.id == quote.id, Quote.outcome == quote.outcome)
        .values(outcome=QuoteOutcome.PENDING)
        .execution_options(synchronize_session=False)
    )
    if reopened.rowcount != 1:
        raise DealRefused("this quote was changed meanwhile")
    if quote.outcome == QuoteOutcome.WON:
        _unbook(quote)
    quote.outcome, quote.won_rate_per_kg, quote.lost_reason = QuoteOutcome.PENDING, None, None
    quote.decided_at = None
    db.session.commit()
    push.publish(push.user_channel(user.id), "inbox", "changed")


def _unbook(quote: Quote) -> None:
    """The win's booking goes, and its kilos and volume are free on the flight again."""
    db.session.execute(delete(Booking).where(Booking.quote_id == quote.id))
    db.session.execute(
        update(Flight)
        .where(Flight.id == quote.flight_id)
        .values(
            booked_kg=Flight.booked_kg - quote.weight_kg,
            booked_m3=Flight.booked_m3 - quote.volume_m3,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire(quote.flight, ["booked_kg", "booked_m3"])


#: A rep's quotes by where they stand, in the order the "My quotes" screen lists them.
QUOTE_STATES = {
    "waiting": "Waiting for approval",
    "declined": "Declined: quote again",
    "open": "Open",
    "decided": "Decided",
}


def quotes_by_state(
    rep_id: int, decided: int = 20
) -> dict[str, list[tuple[Quote, Approval | None]]]:
    """The rep's undecided quotes and the newest DECIDED decided ones, each with its latest
    approval, grouped by `QUOTE_STATES`."""
    mine = (
        select(Quote)
        .where(Quote.rep_id == rep_id)
        .order_by(Quote.quoted_at.desc(), Quote.id.desc())
    )
    undecided = db.session.scalars(mine.where(Quote.outcome == QuoteOutcome.PENDING))
    done = db.session.scalars(mine.where(Quote.outcome != QuoteOutcome.PENDING).limit(decided))
    quotes = [*undecided, *done]
    latest: dict[int, Approval] = {}
    asked = select(Approval).where(Approval.quote_id.in_([q.id for q in quotes]))
    for approval in db.session.scalars(asked.order_by(Approval.created_at, Approval.id)):
        latest[approval.quote_id] = approval
    grouped: dict[str, list] = {state: [] for state in QUOTE_STATES}
    for quote in quotes:
        grouped[_state(quote, latest.get(quote.id))].append((quote, latest.get(quote.id)))
    return grouped


def _state(quote: Quote, approval: Approval | None) -> str:
    if quote.outcome != QuoteOutcome.PENDING:
        return "decided"
    if approval is not None and approval.status == ApprovalStatus.PENDING:
        return "waiting"
    if approval is not None and approval.status == ApprovalStatus.DECLINED:
        return "declined"
    return "open"
