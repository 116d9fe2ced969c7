"""People: find, add and change people, their roles, rights and set-password links.

Every change goes through `frontline.people` (audited); a host who leaves the floor (disabled
or another role) hands her open cards over at once.
"""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..casino import handover
from ..extensions import db
from ..people import audit, links, ownership, staff
from ..rendering import fragment_or_see_other, render, see_other
from ..tables import Role, User, utcnow
from . import bp


@bp.get("/")
@role_required(Role.ADMIN)
def users():
    args = request.args
    found, total = staff.search(args.get("q", ""), args.get("role", ""), args.get("status", ""))
    return render(
        "admin/users.html", "results", people=found, total=total, roles=list(Role),
        statuses=staff.STATUSES, args=args,
    )  # fmt: skip


@bp.route("/people/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def add_person():
    if request.method == "GET":
        return render("admin/person.html", person=None, form={}, errors={}, roles=list(Role))
    form = request.form
    try:
        person = staff.add_person(current_user, staff.parse_details(form))
        _save_ownership(person, form)
        secret = links.issue(current_user, person)
    except staff.PersonRefused as refused:
        db.session.rollback()
        return _person_page(None, form, refused.errors, status=422)
    db.session.commit()
    flash(f"{person.display_name} is added. Give them the set-password link below.")
    return _person_page(person, form, {}, link=_link_url(secret), status=201)


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def person(user_id: int):
    person = db.get_or_404(User, user_id)
    if request.method == "GET":
        return _person_page(person, _form_of(person), {})
    form, was = request.form, person.role
    try:
        changed = staff.change(current_user, person, staff.parse_details(form))
        _save_ownership(person, form, was_rep=was is Role.REP)
    except staff.PersonRefused as refused:
        db.session.rollback()
        return _person_page(person, form, refused.errors, status=422)
    db.session.commit()
    if was is Role.HOST and person.role is not Role.HOST:
        handover.person_leaves(person, utcnow(), f"now a {person.role.value}")
    flash(f"Saved: {'; '.join(changed)}." if changed else "Nothing changed.")
    return see_other(url_for("admin.person", user_id=person.id))


@bp.post("/people/<int:user_id>/password-link")
@role_required(Role.ADMIN)
def password_link(user_id: int):
    """The link is shown once, in this answer (never flashed: the cookie would carry it)."""
    person = db.get_or_404(User, user_id)
    secret = links.issue(current_user, person)
    db.session.commit()
    return _person_page(person, _form_of(person), {}, link=_link_url(secret))


@bp.post("/users/<int:user_id>/enabled")
@role_required(Role.ADMIN)
def toggle_enabled(user_id: int):
    """htmx swaps just the row (no jump to the top); a plain form post comes back to the list."""
    person = db.get_or_404(User, user_id)
    try:
        staff.set_enabled(current_user, person, not person.enabled)
    except staff.PersonRefused as refused:
        abort(400, refused.errors["enabled"])
    db.session.commit()
    if not person.enabled and person.role is Role.HOST:
        handover.person_leaves(person, utcnow(), "account disabled")
    flash(f"{person.display_name} is {'enabled' if person.enabled else 'disabled'}.")
    if request.form.get("next") == "person":
        return see_other(url_for("admin.person", user_id=person.id))
    return fragment_or_see_other("admin/users.html", "row", url_for("admin.users"), person=person)


def _save_ownership(person: User, form, was_rep: bool = False) -> None:
    """A rep's lanes and accounts as typed; a rep who just changed role keeps none (the old
    codes still in the form are not an error); anyone else typing codes is told why not."""
    typed = form.get("lanes") or form.get("accounts")
    if person.role is Role.REP or (typed and not was_rep):
        lane_ids, account_ids = ownership.resolve(form.get("lanes", ""), form.get("accounts", ""))
        ownership.assign(current_user, person, lane_ids, account_ids)


def _form_of(person: User) -> dict[str, str]:
    lanes, accounts = ownership.owned(person)
    authority = person.comp_authority
    return {
        "email": person.email,
        "display_name": person.display_name,
        "role": person.role.value,
        "comp_authority": "" if authority is None else f"{authority:f}",
        "lanes": "; ".join(lanes),
        "accounts": "; ".join(accounts),
    }


def _person_page(person, form, errors, link: str | None = None, status: int = 200):
    return render(
        "admin/person.html", person=person, form=form, errors=errors, roles=list(Role),
        link=link, history=audit.history(person) if person else [], status=status,
    )  # fmt: skip


def _link_url(secret: str) -> str:
    return url_for("auth.set_password", secret=secret, _external=True)
