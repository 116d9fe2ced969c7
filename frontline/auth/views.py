"""Sign-in and sign-out."""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..rendering import render, safe_next, see_other
from ..tables import User, UserSession
from . import bp
from .access import end_session, home_for
from .forms import LoginForm
from .throttle import record_failure, refusal


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        return render("auth/login.html", form=form, status=400 if form.errors else 200)
    email, client = form.email.data.strip().lower(), request.remote_addr or ""
    refused = refusal(email, client)
    if refused is not None:
        form.form_errors.append(refused.message)
        response = render("auth/login.html", form=form, status=429)
        response.headers["Retry-After"] = str(refused.minutes * 60)
        return response
    user = User.by_email(email)
    if user is None or not user.check_password(form.password.data):
        record_failure(email, client)
        form.form_errors.append("That e-mail and password do not match an active account.")
        return render("auth/login.html", form=form, status=401)
    if not user.enabled:  # said only after the right password: no hint which accounts exist
        form.form_errors.append("This account is disabled. Ask your administrator to enable it.")
        return render("auth/login.html", form=form, status=403)
    user.session_token = UserSession.start(user, request.user_agent.string)
    db.session.commit()
    login_user(user)
    session["seen"] = int(time.time())
    current_app.logger.info("sign-in %s", user.email)
    return see_other(safe_next(request.args.get("next")) or home_for(user))


@bp.post("/logout")
@login_required
def logout():
    end_session(current_user)
    logout_user()
    flash("You are signed out.")
    return see_other(url_for("auth.login"))
