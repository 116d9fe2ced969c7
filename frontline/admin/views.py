"""User management: disabling a user ends every session they have."""

from flask import abort, flash, url_for
from flask_login import current_user
from sqlalchemy import select

from ..auth import end_every_session, role_required
from ..extensions import db
from ..rendering import render, see_other
from ..tables import Role, User
from . import bp


@bp.get("/")
@role_required(Role.ADMIN)
def users():
    people = db.session.scalars(select(User).order_by(User.role, User.display_name)).all()
    return render("admin/users.html", people=people)


@bp.post("/users/<int:user_id>/enabled")
@role_required(Role.ADMIN)
def toggle_enabled(user_id: int):
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        abort(400, "You cannot disable your own account.")
    user.enabled = not user.enabled
    if user.enabled:
        db.session.commit()
    else:
        end_every_session(user)
    flash(f"{user.display_name} is {'enabled' if user.enabled else 'disabled'}.")
    return see_other(url_for("admin.users"))
