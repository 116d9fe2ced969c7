"""Every page refuses the wrong role: a role x route table drives the test."""

import pytest

ROLES = ("host", "rep", "analyst", "admin")

#: endpoint -> (method, path, roles allowed). Every gated route must be listed here.
ROUTES = {
    "host.inbox": ("GET", "/host/", {"host"}),
    "host.card": ("GET", "/host/cards/999999", {"host"}),
    "host.stream": ("GET", "/host/stream", {"host"}),
    "host.act": ("POST", "/host/cards/999999/actions", {"host"}),
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
    "rep.customers": ("GET", "/rep/customers", {"rep"}),
    "rep.customer": ("GET", "/rep/customers/999999", {"rep"}),
    "analyst.approvals_inbox": ("GET", "/analyst/approvals", {"analyst"}),
    "analyst.stream": ("GET", "/analyst/stream", {"analyst"}),
    "analyst.decide": ("POST", "/analyst/approvals/999999", {"analyst"}),
    "analyst.home": ("GET", "/analyst/", {"analyst"}),
    "analyst.rules": ("GET", "/analyst/rules", {"analyst"}),
    "analyst.models": ("GET", "/analyst/models", {"analyst"}),
    "analyst.pack": ("GET", "/analyst/packs/host", {"analyst"}),
    "analyst.draft": ("GET", "/analyst/packs/host/draft", {"analyst"}),
    "analyst.backtest": ("GET", "/analyst/packs/host/backtest", {"analyst"}),
    "analyst.check": ("POST", "/analyst/packs/host/check", {"analyst"}),
    "analyst.preview": ("POST", "/analyst/packs/host/preview", {"analyst"}),
    "analyst.signoff": ("POST", "/analyst/packs/host/signoff", {"analyst"}),
    # Sales leads (a host or rep who signs off a pack): no plain role gets in.
    "leads.signoffs": ("GET", "/leads/signoffs", set()),
    "leads.decide": ("POST", "/leads/signoffs/999999", set()),
    "analyst.save": ("POST", "/analyst/packs/host/draft", {"analyst"}),
    "analyst.publish": ("POST", "/analyst/packs/host/publish", {"analyst"}),
    "analyst.rollback": ("POST", "/analyst/packs/host/versions/1/rollback", {"analyst"}),
    "admin.users": ("GET", "/admin/", {"admin"}),
    "admin.toggle_enabled": ("POST", "/admin/users/999999/enabled", {"admin"}),
}
PUBLIC = {"static", "auth.index", "auth.login", "auth.logout"}


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
