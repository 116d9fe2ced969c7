"""My numbers: the rep's own funnel on the phone (the scoreboard's numbers, for one person)."""

from flask import abort, request
from flask_login import current_user

from ..auth import role_required
from ..rendering import render
from ..scoreboard import funnel
from ..tables import Role, utcnow
from . import bp


@bp.get("/numbers")
@role_required(Role.REP)
def numbers():
    days = request.args.get("days", 30, type=int)
    if days not in funnel.PERIODS:
        abort(400, f"days: one of {', '.join(map(str, funnel.PERIODS))}")
    filters = funnel.Filters(audience="rep", days=days, person=current_user.id)
    return render("partials/numbers.html", rows=funnel.funnel(filters, utcnow()), days=days)
