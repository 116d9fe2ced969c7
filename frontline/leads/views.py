"""The sales lead's sign-off: what changes, what it would have done, approve or return."""

from flask import abort, flash, request, url_for
from flask_login import current_user

from ..auth import lead_required
from ..extensions import db
from ..guidance import evaluations, rulebook
from ..guidance.packs import shelf
from ..rendering import render, see_other
from ..tables import PackVersion
from . import bp

BACKTEST_DAYS = 30


@bp.get("/signoffs")
@lead_required
def signoffs():
    audience = current_user.signs_off
    waiting = rulebook.awaiting_signoff(audience)
    return render("leads/signoffs.html", audience=audience, waiting=[_review(v) for v in waiting])


def _review(version: PackVersion) -> dict:
    """The version against the one in force: rule by rule, and replayed over the last month."""
    current = rulebook.in_force(version.pack)
    proposed = rulebook.check(version.text, version.pack.audience)
    backtest = None
    if proposed.ok:
        backtest = evaluations.backtest_kept(proposed.pack, version.text, BACKTEST_DAYS)
    diff = rulebook.diff(current.text if current else "", version.text)
    return {"version": version, "diff": diff, "result": backtest, "days": BACKTEST_DAYS}


@bp.post("/signoffs/<int:version_id>")
@lead_required
def decide(version_id: int):
    version = db.session.get(PackVersion, version_id) or abort(404)
    approve = request.form.get("decision") == "approve"
    try:
        rulebook.sign_off(version, current_user, approve, request.form.get("note", ""))
    except rulebook.PackRefused as refusal:
        db.session.rollback()
        flash(f"Not recorded: {refusal}.")
        return see_other(url_for("leads.signoffs"))
    shelf().forget(version.pack.audience)
    done = "runs from now on" if approve else "went back to marketing with your note"
    flash(f"Version {version.number} {done}.")
    return see_other(url_for("leads.signoffs"))
