"""Error answers: an HTML page for people, JSON only under /api/ (issue 15)."""

import pytest


@pytest.mark.parametrize("path", ["/no-such-page", "/host/cards/999999"])
def test_people_get_an_html_page(auth, path):
    auth.login("host")
    response = auth.client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "404 · Not Found" in response.get_data(as_text=True)


def test_wrong_role_gets_an_html_403(auth):
    auth.login("host")
    response = auth.client.get("/admin/")
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert "Back to your home page" in response.get_data(as_text=True)


def test_missing_csrf_token_is_a_page_saying_what_to_do(client):
    response = client.post("/login", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Reload the page and try again" in response.get_data(as_text=True)


def test_api_errors_stay_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json
    assert response.json["code"] == 404 and response.json["message"]


def test_api_validation_errors_keep_their_fields(client, app):
    from tests.factories import make_token

    with app.app_context():
        secret = make_token()
    response = client.post("/api/v1/events", json={}, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 422
    assert response.is_json and "errors" in response.json


@pytest.mark.parametrize("path", ["/login", "/api/v1/token"])
def test_trace_is_405_with_allow(client, path):
    response = client.open(path, method="TRACE")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "TRACE" not in response.headers["Allow"]
