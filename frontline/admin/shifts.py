"""Shifts and zones: tonight's cover on a phone, a week's roster on a laptop.

Open to administrators and to the shift manager on duty (a host working a manager shift).
Times are typed and shown in the resort's time (FRONTLINE_TIMEZONE).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any

from flask import abort, flash, request, url_for
from flask_login import current_user, login_required

from ..casino import handover
from ..casino import shifts as s
from ..casino.zones import zone_names
from ..extensions import db
from ..rendering import render, see_other
from ..tables import Role, Shift, User, utcnow
from . import bp

WEEK = 7


def roster_keeper(view: Callable) -> Callable:
    """Administrators, and the shift manager on duty."""

    @wraps(view)
    @login_required
    def gated(*args: Any, **kwargs: Any) -> Any:
        if current_user.role is not Role.ADMIN and not s.manager_on_duty(current_user.id, utcnow()):
            abort(403)
        return view(*args, **kwargs)

    return gated


@bp.get("/shifts")
@roster_keeper
def shifts():
    return _day_page(_day(request.args.get("day")), form={}, errors={})


@bp.post("/shifts")
@roster_keeper
def add_shift():
    form = request.form
    data = _shift_input(form)
    try:
        shift, _created = s.save(data)
    except s.ShiftRefused as refused:
        db.session.rollback()
        return _day_page(_day(form.get("day")), form=form, errors=refused.errors, status=422)
    db.session.commit()
    flash(f"{shift.user.display_name}: {s.when(shift)} is on the roster.")
    return see_other(url_for("admin.shifts", day=form.get("day")))


@bp.post("/shifts/<int:shift_id>/end")
@roster_keeper
def end_shift(shift_id: int):
    """End a shift now (she goes home early): her open cards move on with a note."""
    shift = db.get_or_404(Shift, shift_id)
    now = utcnow()
    if not shift.starts_at <= now < shift.ends_at:
        abort(400, "Only a shift under way can end now.")
    shift.ends_at = now
    db.session.commit()
    moved = handover.person_leaves(shift.user, now, f"shift ended {s.local(now):%H:%M}")
    cards = "no open cards" if not moved else f"{moved} open card{'s' if moved > 1 else ''}"
    flash(f"{shift.user.display_name}'s shift ended; {cards} handed over.")
    return see_other(url_for("admin.shifts", day=request.form.get("day")))


@bp.post("/shifts/<int:shift_id>/delete")
@roster_keeper
def delete_shift(shift_id: int):
    shift = db.get_or_404(Shift, shift_id)
    if shift.starts_at <= utcnow():
        abort(400, "A shift that has started cannot be deleted: end it instead.")
    db.session.delete(shift)
    db.session.commit()
    flash(f"Removed {shift.user.display_name}'s shift {s.when(shift)}.")
    return see_other(url_for("admin.shifts", day=request.form.get("day")))


@bp.get("/shifts/week")
@roster_keeper
def week():
    first = _day(request.args.get("start"))
    days = [first + timedelta(days=i) for i in range(WEEK)]
    start, _ = s.local_day(days[0])
    _, end = s.local_day(days[-1])
    found = s.between(start, end)
    grid: dict[int, dict[date, list[Shift]]] = {}
    for shift in found:
        grid.setdefault(shift.user_id, {}).setdefault(s.local(shift.starts_at).date(), []).append(
            shift
        )
    return render(
        "admin/shifts_week.html", days=days, hosts=s.hosts(), grid=grid, clashes=s.overlaps(found),
        zones=zone_names(), prev=days[0] - timedelta(days=WEEK),
        next=days[0] + timedelta(days=WEEK),
    )  # fmt: skip


def _day(text: str | None) -> date:
    if text:
        try:
            return date.fromisoformat(text)
        except ValueError:
            abort(400, f"{text!r} is not a date like 2026-11-29.")
    return s.local(utcnow()).date()


def _shift_input(form) -> s.ShiftInput:
    person = User.by_email(form.get("email", ""))
    data = s.ShiftInput(person, None, None, form.getlist("zones"), form.get("manager") == "on")
    if person is None:
        data.errors["email"] = "choose a host"
    try:
        day = date.fromisoformat(form.get("day", ""))
        start, end = s.parse_clock(form.get("start", "")), s.parse_clock(form.get("end", ""))
        data.starts_at, data.ends_at = s.day_times(day, start, end, s.resort_zone())
    except ValueError as error:
        data.errors["starts_at"] = str(error)
    return data


def _day_page(day: date, form, errors, status: int = 200):
    start, end = s.local_day(day)
    found = s.between(start, end)
    now = utcnow()
    return render(
        "admin/shifts.html", day=day, shifts=found, gaps=s.gaps(day, found), cover=s.on_now(now),
        clashes=s.overlaps(found), zones=zone_names(), hosts=s.hosts(), now=now,
        form=form, errors=errors, timezone=s.resort_zone().key, status=status,
        prev=day - timedelta(days=1), next=day + timedelta(days=1),
    )  # fmt: skip
