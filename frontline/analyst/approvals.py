"""The approver's live list: quotes below the floor or above the large-deal size."""

from flask import abort, flash, request, url_for
from flask_login import current_user

from .. import push
from ..auth import role_required, stream_channels
from ..cargo import approvals
from ..extensions import db
from ..rendering import render, see_other
from ..tables import Approval, Role, utcnow
from . import bp


@bp.get("/approvals")
@role_required(Role.ANALYST)
def approvals_inbox():
    role, now = approvals.approver_role(), utcnow()
    waiting = approvals.pending(role)
    return render(
        "analyst/approvals.html", block="approvals", pending=waiting,
        decided=approvals.recent_decisions(role), grounds=approvals.GROUNDS,
        context={a.id: approvals.context(a, now) for a in waiting},
    )  # fmt: skip


@bp.get("/approvals/<int:approval_id>")
@role_required(Role.ANALYST)
def approval(approval_id: int):
    found = db.session.get(Approval, approval_id) or abort(404)
    return render(
        "analyst/approval.html", a=found, grounds=approvals.GROUNDS,
        context=approvals.context(found, utcnow()),
    )  # fmt: skip


@bp.get("/stream")
@role_required(Role.ANALYST)
def stream():
    return push.stream(stream_channels(current_user))


@bp.post("/approvals/<int:approval_id>")
@role_required(Role.ANALYST)
def decide(approval_id: int):
    found = db.session.get(Approval, approval_id) or abort(404)
    try:
        approve = request.form.get("decision") == "approve"
        approvals.decide(found, current_user, approve, request.form.get("note", ""))
    except approvals.DecisionRefused as refusal:
        flash(f"Not recorded: {refusal}.")
    return see_other(url_for("analyst.approvals_inbox"))
