"""Who to call: the admin keeps the directory of people behind each micro-market."""

from flask import flash, request, url_for

from ..auth import role_required
from ..casino.zones import zone_names
from ..extensions import db
from ..plans import directory
from ..rendering import render, see_other
from ..tables import DirectoryEntry, Lane, Role
from . import bp


@bp.get("/directory")
@role_required(Role.ADMIN)
def directory_page():
    return _page()


def _page(errors: dict | None = None, failed: int | None = None, status: int = 200):
    lanes = db.session.scalars(db.select(Lane.code).order_by(Lane.code)).all()
    return render(
        "admin/directory.html", entries=directory.everyone(), roles=directory.ROLES,
        business_roles=directory.BUSINESS_ROLES, lanes=lanes, zones=zone_names(),
        errors=errors or {}, failed=failed, form=request.form, status=status,
    )  # fmt: skip


@bp.post("/directory")
@role_required(Role.ADMIN)
def add_entry():
    return _save(None)


@bp.post("/directory/<int:entry_id>")
@role_required(Role.ADMIN)
def edit_entry(entry_id: int):
    return _save(db.get_or_404(DirectoryEntry, entry_id))


def _save(entry: DirectoryEntry | None):
    try:
        saved = directory.save(request.form, entry)
    except directory.EntryInvalid as invalid:
        db.session.rollback()
        return _page(invalid.errors, entry.id if entry else 0, status=422)
    flash(f"{saved.name} saved.")
    return see_other(url_for("admin.directory_page"))


@bp.post("/directory/<int:entry_id>/delete")
@role_required(Role.ADMIN)
def delete_entry(entry_id: int):
    entry = db.get_or_404(DirectoryEntry, entry_id)
    directory.remove(entry)
    flash(f"{entry.name} removed from the directory.")
    return see_other(url_for("admin.directory_page"))
