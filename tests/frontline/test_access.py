"""Every page refuses the wrong role: a role x route table drives the test."""

import pytest

ROLES = ("host", "rep", "analyst", "admin")

#: endpoint -> (method, path, roles allowed). Every gated route must be listed here.
ROUTES = {
    "host.inbox": ("GET", "/host/", {"host"}),
    "host.card": ("GET", "/host/cards/999999", {"host"}),
    "host.stream": ("GET", "/host/stream", {"host"}),
    "host.act": ("POST", "/host/cards/999999/actions", {"host"}),
    "host.guests": ("GET", "/host/guests", {"host"}),
    "host.guest": ("GET", "/host/guests/999999", {"host"}),
    "rep.home": ("GET", "/rep/", {"rep"}),
    "rep.stream": ("GET", "/rep/stream", {"rep"}),
    "rep.card": ("GET", "/rep/cards/999999", {"rep"}),
    "rep.act": ("POST", "/rep/cards/999999/actions", {"rep"}),
    "rep.capacity": ("GET", "/rep/board", {"rep"}),
    "rep.flight": ("GET", "/rep/flights/999999", {"rep"}),
    "rep.quote": ("GET", "/rep/quote", {"rep"}),
    "rep.give": ("POST", "/rep/quotes", {"rep"}),
    "rep.deal": ("GET", "/rep/quotes/999999", {"rep"}),
    "rep.outcome": ("POST", "/rep/quotes/999999/outcome", {"rep"}),
    "rep.undo": ("POST", "/rep/quotes/999999/undo", {"rep"}),
    "rep.my_quotes": ("GET", "/rep/quotes", {"rep"}),
    "rep.pick_customer": ("GET", "/rep/quote/customers", {"rep"}),
    "rep.customers": ("GET", "/rep/customers", {"rep"}),
    "rep.customer": ("GET", "/rep/customers/999999", {"rep"}),
    "analyst.approvals_inbox": ("GET", "/analyst/approvals", {"analyst"}),
    "analyst.stream": ("GET", "/analyst/stream", {"analyst"}),
    "analyst.decide": ("POST", "/analyst/approvals/999999", {"analyst"}),
    "analyst.approval": ("GET", "/analyst/approvals/999999", {"analyst"}),
    "analyst.home": ("GET", "/analyst/", {"analyst"}),
    "analyst.rules": ("GET", "/analyst/rules", {"analyst"}),
    "analyst.models": ("GET", "/analyst/models", {"analyst"}),
    "analyst.pack": ("GET", "/analyst/packs/host", {"analyst"}),
    "analyst.draft": ("GET", "/analyst/packs/host/draft", {"analyst"}),
    "analyst.backtest": ("GET", "/analyst/packs/host/backtest", {"analyst"}),
    "analyst.check": ("POST", "/analyst/packs/host/check", {"analyst"}),
    "analyst.preview": ("POST", "/analyst/packs/host/preview", {"analyst"}),
    "analyst.rule": ("GET", "/analyst/packs/host/rules/dining-offer", {"analyst"}),
    "analyst.check_rule": ("POST", "/analyst/packs/host/rules/dining-offer/check", {"analyst"}),
    "analyst.preview_rule": ("POST", "/analyst/packs/host/rules/dining-offer/preview", {"analyst"}),
    "analyst.save_rule": ("POST", "/analyst/packs/host/rules/dining-offer", {"analyst"}),
    "analyst.evaluation": ("GET", "/analyst/packs/host/evaluations/1", {"analyst"}),
    "analyst.backtest_chart": (
        "GET",
        "/analyst/packs/host/backtest/cards-per-day.svg",
        {"analyst"},
    ),
    # Lock-screen alerts: anyone signed in subscribes their own phone.
    "phone.subscribe": ("POST", "/phone/push-subscription", set(ROLES)),
    "phone.unsubscribe": ("POST", "/phone/push-subscription/delete", set(ROLES)),
    "analyst.signoff": ("POST", "/analyst/packs/host/signoff", {"analyst"}),
    # Sales leads (a host or rep who signs off a pack): no plain role gets in.
    "leads.signoffs": ("GET", "/leads/signoffs", set()),
    "leads.decide": ("POST", "/leads/signoffs/999999", set()),
    "analyst.save": ("POST", "/analyst/packs/host/draft", {"analyst"}),
    "analyst.publish": ("POST", "/analyst/packs/host/publish", {"analyst"}),
    "analyst.rollback": ("POST", "/analyst/packs/host/versions/1/rollback", {"analyst"}),
    # The shared scoreboard (issue 13): analysts; sales leads; everyone's own numbers.
    "analyst.scoreboard": ("GET", "/analyst/scoreboard", {"analyst"}),
    "analyst.scoreboard_cards": ("GET", "/analyst/scoreboard/cards", {"analyst"}),
    "analyst.scoreboard_chart": ("GET", "/analyst/scoreboard/charts/funnel.svg", {"analyst"}),
    "analyst.open_suggestion": ("POST", "/analyst/scoreboard/suggestions/host/x", {"analyst"}),
    "leads.scoreboard": ("GET", "/leads/scoreboard", set()),
    "leads.scoreboard_cards": ("GET", "/leads/scoreboard/cards", set()),
    "leads.scoreboard_chart": ("GET", "/leads/scoreboard/charts/funnel.svg", set()),
    "host.numbers": ("GET", "/host/numbers", {"host"}),
    "host.seen": ("POST", "/host/cards/999999/seen", {"host"}),
    "rep.numbers": ("GET", "/rep/numbers", {"rep"}),
    "rep.seen": ("POST", "/rep/cards/999999/seen", {"rep"}),
    "admin.users": ("GET", "/admin/", {"admin"}),
    "admin.toggle_enabled": ("POST", "/admin/users/999999/enabled", {"admin"}),
    "admin.add_person": ("GET", "/admin/people/new", {"admin"}),
    "admin.person": ("GET", "/admin/people/999999", {"admin"}),
    "admin.password_link": ("POST", "/admin/people/999999/password-link", {"admin"}),
    # Shifts: administrators, and the shift manager on duty (a host on a manager shift).
    "admin.shifts": ("GET", "/admin/shifts", {"admin"}),
    "admin.add_shift": ("POST", "/admin/shifts", {"admin"}),
    "admin.week": ("GET", "/admin/shifts/week", {"admin"}),
    "admin.end_shift": ("POST", "/admin/shifts/999999/end", {"admin"}),
    "admin.delete_shift": ("POST", "/admin/shifts/999999/delete", {"admin"}),
    # Micro-markets and who to call (issue 13): the plan is the analysts' and the sales leads'.
    "rep.market": ("GET", "/rep/market", {"rep"}),
    "host.market": ("GET", "/host/market", {"host"}),
    "leads.plan": ("GET", "/leads/plan", {"analyst"}),
    "leads.set_target": ("POST", "/leads/plan/targets", {"analyst"}),
    "admin.directory_page": ("GET", "/admin/directory", {"admin"}),
    "admin.add_entry": ("POST", "/admin/directory", {"admin"}),
    "admin.edit_entry": ("POST", "/admin/directory/999999", {"admin"}),
    "admin.delete_entry": ("POST", "/admin/directory/999999/delete", {"admin"}),
}
PUBLIC = {"static", "auth.index", "auth.login", "auth.logout", "auth.set_password"}
#: The installable app's shell: the same for everyone, signed in or not.
PUBLIC |= {"phone.manifest", "phone.service_worker", "phone.offline", "phone.favicon"}


def test_every_route_is_in_the_table(app):
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if not rule.rule.startswith("/api/")
    }
    assert endpoints - PUBLIC == set(ROUTES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_role_gate(auth, client, role, endpoint):
    method, path, allowed = ROUTES[endpoint]
    auth.login(role)
    data = {"csrf_token": auth.csrf_token()} if method == "POST" else None
    response = client.open(path, method=method, data=data, buffered=False)
    response.close()  # a push stream never ends by itself
    if role in allowed:
        assert response.status_code != 403
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_signed_out_goes_to_login(client, endpoint):
    method, path, _ = ROUTES[endpoint]
    response = client.open(path, method=method)
    # POSTs fail CSRF first (400); GETs redirect to the sign-in page.
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")


# -- account ownership (issue 15): a rep sees their own shippers and their lane team's -------

#: endpoint -> (method, path template, who gets the account's data). "owner" is the shipper's
#: rep, "lane" the rep of a lane it booked on, "stranger" neither. Quoting: the shipper's rep
#: on any lane, any rep on their own lane.
ACCOUNT_ROUTES = {
    "rep.customer": ("GET", "/rep/customers/{customer}", {"owner", "lane"}),
    "rep.quote": ("GET", "/rep/quote?customer=C1&lane=AAA-BBB&ready_date={day}&weight_kg=100"
                  "&volume_m3=1&commodity=general", {"owner"}),
    "rep.give": ("POST", "/rep/quotes", {"owner"}),
    "rep.flight": ("GET", "/rep/flights/{flight}", {"owner", "lane"}),
}  # fmt: skip


@pytest.fixture
def shipper(app):
    """C1 is the owner's account and booked on FL1, on the lane rep's CCC-DDD; the quote asks
    for AAA-BBB, nobody's lane."""
    from datetime import timedelta
    from decimal import Decimal

    from frontline.extensions import db
    from frontline.tables import Booking, Customer, CustomerTier, Flight, Lane, utcnow
    from tests.factories import make_user

    with app.app_context():
        owner, lane_rep, _ = (make_user("rep", email=f"{w}@example.test") for w in ROLES_OF_REPS)
        ours = Lane(code="AAA-BBB", origin="AAA", destination="BBB", rep_id=None)
        theirs = Lane(code="CCC-DDD", origin="CCC", destination="DDD", rep_id=lane_rep.id)
        customer = Customer(
            code="C1", name="Acme Secret Freight", tier=CustomerTier.KEY,
            est_annual_spend=Decimal("1000000.00"), rep_id=owner.id,
        )  # fmt: skip
        db.session.add_all([ours, theirs, customer])
        db.session.flush()
        departs = utcnow() + timedelta(days=3)
        flight = Flight(
            number="FL1", lane_id=theirs.id, departs_at=departs,
            arrives_at=departs + timedelta(hours=9), capacity_kg=10000,
            capacity_m3=Decimal("60"), booked_kg=500, booked_m3=Decimal("2"),
        )  # fmt: skip
        db.session.add(flight)
        db.session.flush()
        db.session.add(
            Booking(
                customer_id=customer.id,
                flight_id=flight.id,
                weight_kg=500,
                volume_m3=Decimal("2"),
                rate_per_kg=Decimal("2.34"),
                booked_at=utcnow(),
            )
        )
        db.session.commit()
        return {"customer": customer.id, "flight": flight.id, "day": departs.date().isoformat()}


ROLES_OF_REPS = ("owner", "lane", "stranger")


@pytest.mark.parametrize("who", ROLES_OF_REPS)
@pytest.mark.parametrize("endpoint", sorted(ACCOUNT_ROUTES))
def test_rep_sees_only_accounts_they_work(app, auth, client, shipper, who, endpoint):
    method, template, allowed = ACCOUNT_ROUTES[endpoint]
    auth.login("rep", email=f"{who}@example.test")
    path = template.format(**shipper)
    if method == "POST":
        form = dict(x.split("=") for x in ACCOUNT_ROUTES["rep.quote"][1].split("?")[1].split("&"))
        form = {k: v.format(**shipper) for k, v in form.items()}
        data = form | {"rate": "2.50", "key": "k", "csrf_token": auth.csrf_token()}
        response = client.post(path, data=data, follow_redirects=True)
    else:
        response = client.get(path)
    html = response.get_data(as_text=True)
    refused = (
        response.status_code == 404
        or "is not your account" in html
        or ("Another rep's shipper" in html and "Acme Secret Freight" not in html)
    )
    assert refused == (who not in allowed), (response.status_code, html[:300])
    if who not in allowed:
        assert "$2.34" not in html and "wallet" not in html.lower()
    if who == "stranger":  # not even the name, in a page or the quote form's shipper list
        assert "Acme Secret Freight" not in html
