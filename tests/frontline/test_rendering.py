"""One helper decides page or fragment, and says so with Vary."""

from tests.factories import make_guest


def test_full_page_and_fragment(app, auth, client):
    auth.login("host", email="hx@example.test")
    with app.app_context():
        from frontline.tables import User

        make_guest(host=User.by_email("hx@example.test"), name="Vera Okafor")
    page = client.get("/host/")
    assert "HX-Request" in page.headers["Vary"]
    assert "<html" in page.get_data(as_text=True)
    fragment = client.get("/host/", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body
    assert "No open alerts" in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_history_restore_gets_the_whole_page(auth, client):
    auth.login("host")
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in client.get("/host/", headers=headers).get_data(as_text=True)
