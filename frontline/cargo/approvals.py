"""Approval of a quote below the floor or above the large-deal size, answered live."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import push
from ..extensions import db
from ..tables import Approval, ApprovalStatus, CardAction, IssuedCard, Quote, Role, User, utcnow
from .accounts import Account, account
from .competitors import Observation, competitor_options

GROUNDS = {"below_floor": "Below the floor", "large_deal": "Large deal"}


class DecisionRefused(ValueError):
    """The approval was already decided, or the user may not decide it."""


def approver_role() -> Role:
    return Role(current_app.config.get("APPROVAL_ROLE", "analyst"))


def grounds(rate: Decimal, floor: Decimal | None, total: Decimal) -> list[str]:
    """Why this quote needs approval (empty: it does not)."""
    found = []
    if floor is not None and rate < floor:
        found.append("below_floor")
    if total > Decimal(str(current_app.config.get("LARGE_DEAL_USD", 2_000_000))):
        found.append("large_deal")
    return found


def ask(quote: Quote, rep: User, why: list[str], reason: str, guidance: dict) -> Approval:
    """Add the request to the session (the caller commits, then calls `signal_approvers`)."""
    approval = Approval(
        quote=quote,
        requested_by_id=rep.id,
        approver_role=approver_role().value,
        grounds=",".join(why),
        reason=reason,
        guidance=guidance,
    )
    db.session.add(approval)
    return approval


def approvers(role: str) -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role(role), User.enabled)))


def signal_approvers(approval: Approval) -> None:
    """Every approver's phone re-reads its approvals (after the commit)."""
    for user in approvers(approval.approver_role):
        push.publish(push.user_channel(user.id), "inbox", "new")


def pending(role: Role) -> list[Approval]:
    query = (
        select(Approval)
        .options(joinedload(Approval.quote).joinedload(Quote.customer))
        .options(joinedload(Approval.requested_by))
        .where(Approval.approver_role == role.value, Approval.status == ApprovalStatus.PENDING)
        .order_by(Approval.created_at, Approval.id)
    )
    return list(db.session.scalars(query))


def recent_decisions(role: Role, limit: int = 10) -> list[Approval]:
    query = (
        select(Approval)
        .where(Approval.approver_role == role.value, Approval.status != ApprovalStatus.PENDING)
        .order_by(Approval.decided_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def decide(approval: Approval, user: User, approve: bool, note: str = "") -> None:
    """Approve or decline once (a decline says why); the rep gets the decision as a card."""
    if user.role.value != approval.approver_role:
        raise DecisionRefused("only the approver role may decide")
    if approval.status != ApprovalStatus.PENDING:
        raise DecisionRefused(f"already {approval.status.value}")
    note = note.strip()[:500]
    if not approve and not note:
        raise DecisionRefused("say why it is declined: the rep reads it")
    approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.DECLINED
    approval.decided_by_id, approval.decided_at = user.id, utcnow()
    approval.decision_note = note
    db.session.add(decision_card(approval, user))
    db.session.commit()
    push.publish(push.user_channel(approval.requested_by_id), "inbox", "new")
    for other in approvers(approval.approver_role):
        push.publish(push.user_channel(other.id), "inbox", "changed")


#: Decision cards are not made by a rule pack: they name this source instead of a rule.
DECISION_SOURCE = "approval-decision"


def decision_card(approval: Approval, user: User) -> IssuedCard:
    """The rep's card saying how their request was decided, and what they may do now."""
    quote, approved = approval.quote, approval.status == ApprovalStatus.APPROVED
    said = "Approved" if approved else "Declined"
    headline = f"{said}: {quote.customer.name} at ${quote.rate_per_kg}/kg on {quote.lane.code}"
    details = [f"{user.display_name}: “{approval.decision_note}”"] if approval.decision_note else []
    details.append("You may mark it won." if approved else "Quote again at or above the floor.")
    return IssuedCard(
        audience="rep", subject_type="quote", subject_id=quote.id,
        rule_id=DECISION_SOURCE, rule_title="Approval decision", pack_id=DECISION_SOURCE,
        pack_version="-", priority=0, headline=headline[:200], details=details,
        actions=["done"], assignee_id=approval.requested_by_id,
        routing_note="Your approval request", created_at=approval.decided_at,
        taps=[CardAction(action="issued", detail="approval decided", at=approval.decided_at)],
    )  # fmt: skip


@dataclass(frozen=True)
class Context:
    """What an approver weighs beside the numbers: the shipper's history, the market."""

    account: Account
    competitors: list[Observation]


def context(approval: Approval, now: datetime) -> Context:
    quote = approval.quote
    market = competitor_options(quote.lane_id, now.date())[:3]
    return Context(account(quote.customer, now), market)


def latest_for(quote: Quote) -> Approval | None:
    query = (
        select(Approval)
        .where(Approval.quote_id == quote.id)
        .order_by(Approval.created_at.desc(), Approval.id.desc())
        .limit(1)
    )
    return db.session.scalar(query)
