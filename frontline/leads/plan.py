"""The joint local plan: micro-markets with their targets, set by marketing and sales together."""

from functools import wraps

from flask import abort, flash, request, url_for
from flask_login import current_user

from ..cargo.markets import lane_markets
from ..casino.markets import zone_tier_markets
from ..extensions import login_manager
from ..plans import targets
from ..rendering import render, see_other
from ..tables import utcnow
from . import bp

SECTIONS = {
    "cargo": ("Cargo lanes", lane_markets),
    "casino": ("Casino zones and tiers", zone_tier_markets),
}


def planner_required(view):
    """Analysts and sales leads (who set targets together); others get sign-in or a 403."""

    @wraps(view)
    def gated(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not targets.may_set(current_user):
            abort(403)
        return view(*args, **kwargs)

    return gated


@bp.get("/plan")
@planner_required
def plan():
    return _page()


def _page(errors: dict | None = None, failed: tuple = (), status: int = 200):
    now = utcnow()
    sections = [
        {
            "business": b, "title": SECTIONS[b][0], "markets": SECTIONS[b][1](now),
            "history": targets.histories(b),
        }
        for b in targets.businesses_of(current_user)
    ]  # fmt: skip
    return render(
        "markets/plan.html", sections=sections, errors=errors or {}, failed=failed,
        form=request.form, status=status,
    )  # fmt: skip


@bp.post("/plan/targets")
@planner_required
def set_target():
    form = request.form
    business, market = form.get("business", ""), form.get("market", "")
    try:
        target = targets.set_target(
            business, market, form.get("amount", ""), form.get("note", ""), current_user
        )
    except targets.TargetInvalid as invalid:
        return _page(invalid.errors, (business, market), status=422)
    flash(f"Target for {target.market} set to ${target.amount:,.0f}.")
    return see_other(url_for("leads.plan", _anchor=f"m-{business}-{market}"))
