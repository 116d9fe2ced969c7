"""Security headers on every kind of answer, and templates the strict CSP can run (issue 15)."""

import re
from pathlib import Path

import pytest

from frontline import create_app
from tests.factories import make_token

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csp(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def assert_secured(response, private: bool = True) -> None:
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, name
    assert "camera=()" in response.headers["Permissions-Policy"]
    policy = csp(response)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    if private:
        assert response.headers["Cache-Control"] == "no-store"


def test_signed_in_page_and_fragment(auth):
    auth.login("host")
    page = auth.client.get("/host/")
    assert page.status_code == 200
    assert_secured(page)
    fragment = auth.client.get("/host/", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert_secured(fragment)


def test_stream(auth):
    auth.login("host")
    response = auth.client.get("/host/stream", buffered=False)
    try:
        assert response.mimetype == "text/event-stream"
        assert_secured(response)
    finally:
        response.close()


def test_json_answer_and_json_error(client, app):
    with app.app_context():
        secret = make_token()
    answer = client.get("/api/v1/token", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200
    assert_secured(answer)
    assert_secured(client.get("/api/v1/token"))  # 401


def test_error_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert_secured(response)


def test_static_file_may_be_cached_and_carries_only_a_subresources_headers(client):
    """A style sheet is never rendered as a page: no CSP or framing policy, still nosniff."""
    with client.get("/static/css/app.css") as response:
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        for name in ("Content-Security-Policy", "X-Frame-Options", "Permissions-Policy"):
            assert name not in response.headers, name
        assert response.headers.get("Cache-Control") != "no-store"


def test_an_empty_answer_carries_only_a_subresources_headers(app):
    """A 204 (as the inbox's "seen" answers) has no body for a page's policies to protect."""
    app.add_url_rule("/_test/empty", "empty", lambda: ("", 204))
    answer = app.test_client().get("/_test/empty")
    assert answer.status_code == 204
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"


def test_cdn_scripts_are_allowed_by_exact_url_with_sri(app):
    app.config["HTMX_FROM_CDN"] = True
    response = app.test_client().get("/login")
    scripts = csp(response)["script-src"].split()
    assert scripts[0] == "'self'"
    assert all(s.startswith("https://cdn.jsdelivr.net/npm/") for s in scripts[1:])
    html = response.get_data(as_text=True)
    for url in scripts[1:]:
        assert re.search(rf'src="{re.escape(url)}" integrity="sha384-', html)


def test_production_cookie_is_secure_host_only(monkeypatch, tmp_path):
    monkeypatch.setenv("FRONTLINE_ENV", "production")
    monkeypatch.setenv("FRONTLINE_SECRET_KEY", "s" * 48)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    with app.test_request_context():
        from flask import session

        session["x"] = 1
        response = app.make_response("ok")
        app.session_interface.save_session(app, session, response)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert (
        "max-age=31536000" in app.test_client().get("/login").headers["Strict-Transport-Security"]
    )


INLINE = [
    (re.compile(r"\sstyle\s*="), "a style= attribute"),
    (re.compile(r"<style"), "a <style> element"),
    # base.html's loop writes <script{% for ... %}> from assets.script_tags(): always a src.
    (re.compile(r"<script(?!\{%)(?![^>]*\bsrc=)[^>]*>"), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*="), "an on...= handler"),
    (re.compile(r"hx-on"), "hx-on (evaluated script)"),
    (re.compile(r'hx-trigger="[^"]*\['), "an hx-trigger filter (evaluated script)"),
    (re.compile(r"(hx-vals|hx-headers)=['\"](js|javascript):"), "evaluated hx-vals"),
]


@pytest.mark.parametrize(
    "name", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))
)
def test_templates_need_no_unsafe_inline_or_eval(name):
    template = TEMPLATES / name
    text = template.read_text()
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert not found, f"{template.relative_to(TEMPLATES)} has {found}; the CSP blocks them"


def test_a_view_that_revalidates_privately_keeps_its_cache_control(app):
    @app.get("/_test/versioned")
    def versioned():
        response = app.make_response("v1")
        response.set_etag("v1")
        response.headers["Cache-Control"] = "no-cache, private"
        return response

    response = app.test_client().get("/_test/versioned")
    assert response.headers["Cache-Control"] == "no-cache, private"
    assert_secured(response, private=False)


@pytest.mark.parametrize(
    ("hops", "forwarded_for", "seen_as"),
    [
        (0, "203.0.113.7", "127.0.0.1"),  # no proxy trusted: the header is the client's word
        (1, "203.0.113.7", "203.0.113.7"),  # one proxy: the address it saw
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # a spoofed hop before it is ignored
    ],
)
def test_sign_in_limits_count_the_address_the_trusted_proxy_saw(
    tmp_path, hops, forwarded_for, seen_as
):
    from sqlalchemy import select

    from frontline.extensions import db
    from frontline.tables import LoginAttempt
    from tests.conftest import csrf_from

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PROXY_HOPS": hops}
    )
    with app.app_context():
        db.create_all()
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"email": "nobody@example.test", "password": "wrong-password", "csrf_token": token},
        headers={
            "X-Forwarded-For": forwarded_for,
            "X-Forwarded-Proto": "https",
            "Referer": "https://localhost/login",  # CSRF checks the referrer on https
        },
    )
    assert response.status_code == 401
    with app.app_context():
        assert db.session.scalar(select(LoginAttempt.remote_addr)) == seen_as


def test_a_negative_proxy_count_is_refused(tmp_path):
    with pytest.raises(ValueError, match="FRONTLINE_PROXY_HOPS"):
        create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PROXY_HOPS": -1}
        )
