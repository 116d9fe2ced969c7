"""Choosing a password through a one-time link an administrator gave."""

from __future__ import annotations

from flask import flash, request, url_for

from ..extensions import db
from ..people import links
from ..rendering import render, see_other
from . import bp


@bp.route("/set-password/<secret>", methods=["GET", "POST"])
def set_password(secret: str):
    try:
        link = links.find(secret)
    except links.LinkRefused as refused:
        return render("auth/set_password.html", refused=str(refused), status=410)
    if request.method == "GET":
        return render("auth/set_password.html", person=link.user)
    form = request.form
    try:
        person = links.use(secret, form.get("password", ""), form.get("again", ""))
    except links.LinkRefused as refused:
        return render("auth/set_password.html", person=link.user, error=str(refused), status=422)
    db.session.commit()
    flash(f"Your password is set, {person.display_name}. Sign in with it.")
    return see_other(url_for("auth.login"))
