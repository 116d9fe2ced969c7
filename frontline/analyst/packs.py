"""The analyst's workbench: a pack's versions, its draft with live checks, publish and rollback."""

from flask import Response, abort, flash, request, url_for
from flask_login import current_user

import guidance_rules

from ..auth import role_required
from ..extensions import db
from ..guidance import evaluations, rulebook
from ..guidance.packs import published_pack, shelf
from ..rendering import render, see_other
from ..scoreboard import charts
from ..tables import Role, RulePack
from . import bp


def find_pack(audience: str) -> RulePack:
    try:
        return rulebook.pack_for(audience)
    except LookupError:
        abort(404)


@bp.get("/packs/<audience>")
@role_required(Role.ANALYST)
def pack(audience: str):
    return _pack_page(find_pack(audience))


@bp.post("/packs/<audience>/signoff")
@role_required(Role.ANALYST)
def signoff(audience: str):
    """Require a sales lead's sign-off before a published version runs (or stop requiring it)."""
    found = find_pack(audience)
    required = request.form.get("required") == "yes"
    rulebook.require_signoff(found, required, current_user)
    flash(
        "Sales sign-off is required from now on." if required else "Sign-off is no longer required."
    )
    return see_other(url_for("analyst.pack", audience=audience))


@bp.get("/packs/<audience>/draft")
@role_required(Role.ANALYST)
def draft(audience: str):
    found = find_pack(audience)
    return render(
        "analyst/draft.html", block="check", pack=found, text=found.draft,
        result=rulebook.check(found.draft, audience), facts=_vocabulary(audience),
        subjects=evaluations.recent(audience), label=evaluations.subject_label,
    )  # fmt: skip


@bp.post("/packs/<audience>/check")
@role_required(Role.ANALYST)
def check(audience: str):
    """Live validation while typing: only the verdict fragment is sent back."""
    found = find_pack(audience)
    text = request.form.get("text", "")
    return render(
        "analyst/draft.html", block="check", pack=found, text=text,
        result=rulebook.check(text, audience), facts=[],
    )  # fmt: skip


@bp.post("/packs/<audience>/preview")
@role_required(Role.ANALYST)
def preview(audience: str):
    """The cards the text being edited shows for one real, logged evaluation."""
    found = find_pack(audience)
    result = rulebook.check(request.form.get("text", ""), audience)
    logged = evaluations.one(request.form.get("evaluation", 0, type=int))
    if logged is None:
        abort(404)
    cards = guidance_rules.evaluate(result.pack, logged.facts) if result.ok else []
    return render(
        "analyst/draft.html", block="preview", pack=found, result=result, logged=logged,
        cards=cards, label=evaluations.subject_label,
    )  # fmt: skip


@bp.post("/packs/<audience>/draft")
@role_required(Role.ANALYST)
def save(audience: str):
    found = find_pack(audience)
    try:
        result = rulebook.save_draft(
            found, request.form.get("text", ""), current_user, _number("base")
        )
    except rulebook.PackRefused as refusal:
        flash(f"Not saved: {refusal}.")
        return see_other(url_for("analyst.draft", audience=audience))
    flash("Draft saved." if result.ok else "Draft saved; it does not check yet.")
    return see_other(url_for("analyst.pack", audience=audience))


@bp.post("/packs/<audience>/publish")
@role_required(Role.ANALYST)
def publish(audience: str):
    found = find_pack(audience)
    try:
        published = rulebook.publish(found, current_user, _reason(), _number("base"))
    except rulebook.PublishConflict as conflict:
        db.session.rollback()
        return _refused(found, f"Not published: {conflict}.", 409)
    except rulebook.PackRefused as refusal:
        db.session.rollback()
        return _refused(found, f"Not published: {refusal}.", 422)
    shelf().forget(audience)
    flash(f"Published version {published.number}: cards are made by it from now on.")
    return see_other(url_for("analyst.pack", audience=audience))


@bp.post("/packs/<audience>/versions/<int:number>/rollback")
@role_required(Role.ANALYST)
def rollback(audience: str, number: int):
    found = find_pack(audience)
    try:
        published = rulebook.rollback(found, number, current_user, _reason(), _number("base"))
    except LookupError:
        abort(404)
    except rulebook.PackRefused as refusal:
        db.session.rollback()
        status = 409 if isinstance(refusal, rulebook.PublishConflict) else 422
        return _refused(found, f"Not rolled back: {refusal}.", status)
    shelf().forget(audience)
    flash(f"Version {number} is in force again, as version {published.number}.")
    return see_other(url_for("analyst.pack", audience=audience))


@bp.get("/packs/<audience>/backtest")
@role_required(Role.ANALYST)
def backtest(audience: str):
    """The draft against the version in force, replayed over the last DAYS of the log."""
    found = find_pack(audience)
    days = min(max(request.args.get("days", 30, type=int), 1), 365)
    draft_check = rulebook.check(found.draft, audience)
    result = (
        evaluations.backtest_kept(draft_check.pack, found.draft, days, fresh=True)
        if draft_check.ok
        else None
    )
    return render(
        "analyst/backtest.html", block="backtest", pack=found, days=days,
        draft_check=draft_check, result=result,
    )  # fmt: skip


@bp.get("/packs/<audience>/backtest/cards-per-day.svg")
@role_required(Role.ANALYST)
def backtest_chart(audience: str):
    """The chart of the backtest just shown (kept in this process; else replayed again)."""
    found = find_pack(audience)
    days = min(max(request.args.get("days", 30, type=int), 1), 365)
    draft_check = rulebook.check(found.draft, audience)
    if not draft_check.ok:
        abort(404)
    result = evaluations.backtest_kept(draft_check.pack, found.draft, days)
    svg = charts.cards_per_day_chart(result.published_by_day, result.draft_by_day)
    return Response(svg, mimetype="image/svg+xml")


def _refused(found: RulePack, message: str, status: int):
    """The pack page again, with why, under the status a client can act on (409, 422)."""
    flash(message)
    return _pack_page(found, status)


def _pack_page(found: RulePack, status: int = 200):
    versions, changes = rulebook.history(found)
    published = rulebook.in_force(found)
    return render(
        "analyst/pack.html", status=status, pack=found, versions=versions, changes=changes,
        published=published, newest=versions[0].number if versions else 0,
        draft_check=rulebook.check(found.draft, found.audience),
        draft_diff=rulebook.diff(published.text if published else "", found.draft),
    )  # fmt: skip


def _vocabulary(audience: str) -> list:
    """Every fact a rule may read, for the editor's guide (name, type, unit, meaning, source)."""
    facts = published_pack(audience).vocabulary.facts
    return sorted(facts.values(), key=lambda fact: fact.name)


def _reason() -> str:
    return request.form.get("reason", "")


def _number(name: str) -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        abort(400, f"{name} must be a whole number")
