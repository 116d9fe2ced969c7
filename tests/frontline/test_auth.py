"""Sign-in, sign-out, server-side sessions, throttling and CSRF."""

from tests.conftest import csrf_from
from tests.factories import make_user


def test_login_lands_on_role_home(auth):
    response = auth.login("host")
    assert response.status_code == 303
    assert response.headers["Location"] == "/host/"


def test_wrong_password_is_refused_with_clear_message(client, auth, app):
    with app.app_context():
        make_user(role="rep", email="rep@example.test", password="right-password")
    response = auth.post_login("rep@example.test", "wrong")
    assert response.status_code == 401
    assert "do not match an active account" in response.get_data(as_text=True)
    assert client.get("/rep/").status_code == 302  # still signed out


def test_unknown_user_gets_the_same_message(auth):
    response = auth.post_login("nobody@example.test", "whatever")
    assert response.status_code == 401
    assert "do not match an active account" in response.get_data(as_text=True)


def test_repeated_failures_are_throttled(auth, app):
    with app.app_context():
        make_user(role="host", email="h@example.test", password="right-password")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert auth.post_login("h@example.test", "nope").status_code == 401
    response = auth.post_login("h@example.test", "right-password")
    assert response.status_code == 429
    assert "Too many failed sign-ins for h@example.test" in response.get_data(as_text=True)


def test_copied_cookie_stops_working_after_logout(app, auth):
    auth.login("analyst")
    stolen = app.test_client()
    stolen.set_cookie("session", auth.client.get_cookie("session").value)
    assert stolen.get("/analyst/").status_code == 200
    assert auth.logout().status_code == 303
    assert stolen.get("/analyst/").status_code == 302


def test_disabling_a_user_ends_their_sessions(app, auth, client):
    with app.app_context():
        host = make_user(role="host", email="victim@example.test")
        host_id = host.id
    victim = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(victim, app).login("host", email="victim@example.test")
    assert victim.get("/host/").status_code == 200
    auth.login("admin")
    token = auth.csrf_token("/admin/")
    assert (
        client.post(f"/admin/users/{host_id}/enabled", data={"csrf_token": token}).status_code
        == 303
    )
    assert victim.get("/host/").status_code == 302


def test_post_without_csrf_token_is_refused(auth, client):
    auth.login("host")
    assert client.post("/logout").status_code == 400
    assert client.get("/host/").status_code == 200  # still signed in


def test_htmx_request_may_send_csrf_as_header(auth, client):
    auth.login("host")
    token = auth.csrf_token("/host/")
    response = client.post("/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 303


def test_session_cookie_flags(auth, app):
    response = auth.login("host")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False  # local dev over http


def _sign_in_from(auth, address: str, email: str, password: str):
    """The sign-in form posted from a client address (each has its own throttle count)."""
    token = csrf_from(auth.client.get("/login").get_data(as_text=True))
    return auth.client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_stranger_cannot_lock_out_a_host(auth, app):
    """Issue 15: five wrong passwords from anywhere locked the account for everyone."""
    with app.app_context():
        make_user(role="host", email="h@example.test", password="right-password")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _sign_in_from(auth, "203.0.113.9", "h@example.test", "guess")
    stranger = _sign_in_from(auth, "203.0.113.9", "h@example.test", "right-password")
    assert stranger.status_code == 429
    assert "from this device" in stranger.get_data(as_text=True)
    assert int(stranger.headers["Retry-After"]) > 0
    host = _sign_in_from(auth, "198.51.100.7", "h@example.test", "right-password")
    assert host.status_code == 303


def test_one_address_guessing_many_accounts_is_stopped(auth, app):
    app.config["LOGIN_MAX_CLIENT_FAILURES"] = 3
    for n in range(3):
        assert _sign_in_from(auth, "203.0.113.9", f"u{n}@example.test", "x").status_code == 401
    refused = _sign_in_from(auth, "203.0.113.9", "u9@example.test", "x")
    assert refused.status_code == 429
    assert "Too many failed sign-ins from this device" in refused.get_data(as_text=True)


def test_one_account_guessed_from_many_addresses_is_slowed(auth, app):
    app.config["LOGIN_MAX_ACCOUNT_FAILURES"] = 4
    with app.app_context():
        make_user(role="host", email="h@example.test", password="right-password")
    for n in range(4):
        _sign_in_from(auth, f"203.0.113.{n}", "h@example.test", "guess")
    refused = _sign_in_from(auth, "198.51.100.7", "h@example.test", "right-password")
    assert refused.status_code == 429
    assert "tell an admin" in refused.get_data(as_text=True)


def _idle_for(client, seconds: float) -> None:
    import time

    with client.session_transaction() as cookie:
        cookie["seen"] = int(time.time() - seconds)


def _sessions(app) -> int:
    from sqlalchemy import func, select

    from frontline.extensions import db
    from frontline.tables import UserSession

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(UserSession))


def test_idle_session_ends_and_says_so_on_the_next_tap(auth, app):
    auth.login("host")
    _idle_for(auth.client, app.config["SESSION_IDLE_MINUTES"] * 60 - 120)
    assert auth.client.get("/host/").status_code == 200  # still within the idle time
    _idle_for(auth.client, app.config["SESSION_IDLE_MINUTES"] * 60 + 1)
    response = auth.client.get("/host/")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/host/"
    page = auth.client.get("/login").get_data(as_text=True)
    assert "signed out after inactivity" in page
    assert _sessions(app) == 0  # the row is gone: the old cookie cannot come back


def test_session_ends_after_the_absolute_limit_even_when_busy(auth, app):
    from datetime import timedelta

    from frontline.extensions import db
    from frontline.tables import UserSession

    auth.login("host")
    with app.app_context():
        row = db.session.scalars(db.select(UserSession)).one()
        row.created_at -= timedelta(hours=app.config["SESSION_MAX_HOURS"], minutes=1)
        db.session.commit()
    response = auth.client.get("/host/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/login"
    assert "signed out after 12 hours" in auth.client.get("/login").get_data(as_text=True)


def test_the_live_stream_is_not_activity(auth, app):
    auth.login("host")
    _idle_for(auth.client, 600)
    with auth.client.session_transaction() as cookie:
        before = cookie["seen"]
    auth.client.get("/host/stream", buffered=False).close()
    with auth.client.session_transaction() as cookie:
        assert cookie["seen"] == before
    auth.client.get("/host/")
    with auth.client.session_transaction() as cookie:
        assert cookie["seen"] > before
