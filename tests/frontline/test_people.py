"""People administration (issue 18): add, change, search, set-password links, audit, sessions."""

import re

import pytest
from sqlalchemy import func, select

from frontline.extensions import db
from frontline.tables import Customer, CustomerTier, Lane, PersonChange, User, UserSession
from tests.conftest import AuthActions, csrf_from
from tests.factories import make_user


@pytest.fixture
def admin(auth):
    auth.login("admin")
    return auth


def person_form(token, **fields):
    form = {"csrf_token": token, "display_name": "Zoe Hart", "email": "zoe@example.test",
            "role": "host", "comp_authority": "400"}  # fmt: skip
    return form | fields


def link_in(html: str) -> str:
    match = re.search(r'value="(http://localhost/set-password/[^"]+)"', html)
    assert match, "no set-password link on the page"
    return match.group(1).removeprefix("http://localhost")


def test_admin_adds_a_host_who_chooses_her_password_through_a_one_time_link(app, client, admin):
    response = client.post("/admin/people/new", data=person_form(admin.csrf_token("/admin/")))
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    link = link_in(html)
    with app.app_context():
        zoe = User.by_email("zoe@example.test")
        assert zoe.role.value == "host" and str(zoe.comp_authority) == "400.00"
        assert zoe.password_hash == "" and not zoe.check_password("")
        assert [c.action for c in db.session.scalars(select(PersonChange))] == [
            "added",
            "password link",
        ]
    admin.logout()
    page = client.get(link)
    assert page.status_code == 200 and "Zoe Hart" in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    short = client.post(link, data={"csrf_token": token, "password": "short", "again": "short"})
    assert short.status_code == 422 and "at least 10" in short.get_data(as_text=True)
    chosen = {"csrf_token": token, "password": "floor-ready-42", "again": "floor-ready-42"}
    assert client.post(link, data=chosen).status_code == 303
    assert client.get(link).status_code == 410  # once only
    assert admin.post_login("zoe@example.test", "floor-ready-42").status_code == 303


def test_a_new_link_voids_the_old_one(app, client, admin):
    with app.app_context():
        person_id = make_user(role="rep", email="rex@example.test").id
    token = admin.csrf_token("/admin/")
    first = link_in(client.post(f"/admin/people/{person_id}/password-link",
                                data={"csrf_token": token}).get_data(as_text=True))  # fmt: skip
    second = link_in(client.post(f"/admin/people/{person_id}/password-link",
                                 data={"csrf_token": token}).get_data(as_text=True))  # fmt: skip
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


@pytest.mark.parametrize(
    ("fields", "field", "why"),
    [
        ({"email": "not-an-address"}, "email", "is not an e-mail address"),
        ({"role": "croupier"}, "role", "&#39;croupier&#39; is not one of host"),
        ({"role": "rep", "comp_authority": "100"}, "comp_authority", "only hosts"),
        ({"comp_authority": "lots"}, "comp_authority", "is not an amount"),
        ({"display_name": ""}, "display_name", "required"),
        (
            {"role": "rep", "comp_authority": "", "lanes": "XXX-YYY"},
            "lanes",
            "unknown lane code(s): XXX-YYY",
        ),
    ],
)
def test_a_bad_person_form_says_which_field_and_stores_nothing(
    app, client, admin, fields, field, why
):
    before = _people(app)
    response = client.post("/admin/people/new",
                           data=person_form(admin.csrf_token("/admin/"), **fields))  # fmt: skip
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html or field == "role", html
    assert why in html
    assert _people(app) == before


def test_an_email_that_exists_is_refused(app, client, admin):
    with app.app_context():
        make_user(email="zoe@example.test")
    response = client.post("/admin/people/new", data=person_form(admin.csrf_token("/admin/")))
    assert response.status_code == 422
    assert "already has an account" in response.get_data(as_text=True)


def _people(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_a_role_change_ends_the_persons_sessions_and_is_audited(app, client, admin):
    host_client = app.test_client()
    host = AuthActions(host_client, app)
    assert host.login("host", email="hana@example.test").status_code == 303
    assert host_client.get("/host/").status_code == 200
    with app.app_context():
        hana = User.by_email("hana@example.test")
        hana_id, name = hana.id, hana.display_name
        assert db.session.scalar(select(func.count()).where(UserSession.user_id == hana_id)) == 1
    form = person_form(admin.csrf_token("/admin/"), email="hana@example.test",
                       display_name=name, role="rep", comp_authority="")  # fmt: skip
    response = client.post(f"/admin/people/{hana_id}", data=form)
    assert response.status_code == 303
    with app.app_context():
        hana = User.by_email("hana@example.test")
        assert hana.role.value == "rep"
        assert db.session.scalar(select(func.count()).where(UserSession.user_id == hana.id)) == 0
        change = db.session.scalar(select(PersonChange).where(PersonChange.action == "changed"))
        assert "role host → rep" in change.detail and change.actor.role.value == "admin"
    assert host_client.get("/host/").status_code == 302  # signed out: to the sign-in page


def test_an_admin_cannot_change_her_own_role(app, client, admin):
    with app.app_context():
        me = User.by_email("admin@example.test")
        my_id, name = me.id, me.display_name
    form = person_form(admin.csrf_token("/admin/"), email="admin@example.test", role="host",
                       display_name=name, comp_authority="")  # fmt: skip
    response = client.post(f"/admin/people/{my_id}", data=form)
    assert response.status_code == 422
    assert "your own role" in response.get_data(as_text=True)


def test_disable_swaps_the_row_and_marks_the_person(app, client, admin):
    with app.app_context():
        person_id = make_user(email="dan@example.test", display_name="Dan Roe").id
    token = admin.csrf_token("/admin/")
    response = client.post(f"/admin/users/{person_id}/enabled", data={"csrf_token": token},
                           headers={"HX-Request": "true"})  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<li class="row person disabled" id="person-{person_id}"')
    assert "disabled</span>" in html and "<h1>" not in html  # only the row, no page
    assert "Dan Roe" in client.get("/admin/?status=disabled").get_data(as_text=True)
    assert "Dan Roe" not in client.get("/admin/?status=enabled").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(PersonChange.action)) == "disabled"


def test_the_list_has_a_confirm_on_disable(app, client, admin):
    with app.app_context():
        make_user(email="eve@example.test", display_name="Eve Stone")
    html = client.get("/admin/").get_data(as_text=True)
    assert 'hx-confirm="Disable Eve Stone?' in html
    assert 'hx-target="#person-' in html and 'hx-swap="outerHTML"' in html


def test_a_disabled_person_is_told_only_after_the_right_password(app, client, auth):
    with app.app_context():
        make_user(email="gone@example.test", enabled=False)
    wrong = auth.post_login("gone@example.test", "not-the-password")
    assert wrong.status_code == 401
    assert "do not match" in wrong.get_data(as_text=True)
    assert "disabled" not in wrong.get_data(as_text=True)
    right = auth.post_login("gone@example.test", "pw-for-tests")
    assert right.status_code == 403
    assert "This account is disabled" in right.get_data(as_text=True)


def test_search_by_name_or_email_role_and_status(app, client, admin):
    with app.app_context():
        make_user(role="host", email="maya@example.test", display_name="Maya Chen")
        make_user(role="rep", email="tom@example.test", display_name="Tom Becker")
        make_user(role="host", email="off@example.test", display_name="Olga Off", enabled=False)
    names = lambda html: set(re.findall(r'class="name" href="[^"]+">([^<]+)<', html))  # noqa: E731
    assert names(client.get("/admin/?q=chen").get_data(as_text=True)) == {"Maya Chen"}
    assert names(client.get("/admin/?q=TOM@").get_data(as_text=True)) == {"Tom Becker"}
    assert names(client.get("/admin/?role=host").get_data(as_text=True)) == {
        "Maya Chen",
        "Olga Off",
    }
    assert names(client.get("/admin/?role=host&status=disabled").get_data(as_text=True)) == {
        "Olga Off"
    }
    fragment = client.get("/admin/?q=chen", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="results">')


def test_a_reps_lanes_and_accounts_are_edited_and_the_ownership_rule_reads_them(app, client, admin):
    from frontline.cargo.accounts import may_see

    with app.app_context():
        rep_id = make_user(role="rep", email="clara@example.test", display_name="Clara").id
        other = make_user(role="rep", email="felix@example.test")
        lane = Lane(code="HKG-FRA", origin="HKG", destination="FRA", rep_id=other.id)
        shipper = Customer(code="ACME", name="Acme", tier=CustomerTier.KEY,
                           est_annual_spend=1000, rep_id=None)  # fmt: skip
        db.session.add_all([lane, shipper])
        db.session.commit()
        assert not may_see(rep_id, shipper)
    form = person_form(admin.csrf_token("/admin/"), email="clara@example.test",
                       display_name="Clara", role="rep", comp_authority="",
                       lanes="hkg-fra", accounts="ACME")  # fmt: skip
    assert client.post(f"/admin/people/{rep_id}", data=form).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Lane.rep_id)) == rep_id  # taken from Felix
        shipper = db.session.scalar(select(Customer))
        assert shipper.rep_id == rep_id and may_see(rep_id, shipper)
        detail = db.session.scalar(
            select(PersonChange.detail).where(PersonChange.action == "ownership")
        )
        assert detail == "lanes: HKG-FRA; accounts: ACME"
    page = client.get(f"/admin/people/{rep_id}").get_data(as_text=True)
    assert 'value="HKG-FRA"' in page and "History" in page


def test_the_command_line_prints_a_set_password_link(app, client, runner):
    with app.app_context():
        make_user(email="ops@example.test")
    result = runner.invoke(args=["users", "link", "ops@example.test", "--base-url", "https://x"])
    assert result.exit_code == 0
    path = result.output.strip().removeprefix("https://x")
    assert path.startswith("/set-password/") and client.get(path).status_code == 200
    assert runner.invoke(args=["users", "link", "nobody@example.test"]).exit_code == 1
