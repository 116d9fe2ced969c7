"""Shifts and zones (issue 18): resort time in, UTC stored; imports, API, who is on, hand-over."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from frontline.casino import handover, scheduler
from frontline.casino import shifts as s
from frontline.extensions import db
from frontline.imports import ImportFailed
from frontline.tables import CardAction, IssuedCard, Shift, User
from tests.factories import arrival, make_guest, make_shift, make_token, make_user, make_visit
from tests.factories import make_zone as zone

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def resort(app):
    """A resort in New York time with three zones, two hosts and a shift manager."""
    app.config["PROPERTY_TIMEZONE"] = "America/New_York"
    with app.app_context():
        zone("main_floor", "Main casino floor")
        zone("spa", "Spa", "spa")
        zone("pool", "Pool", "hotel")
        people = {
            "ana": make_user(role="host", email="ana@example.test", display_name="Ana"),
            "ben": make_user(role="host", email="ben@example.test", display_name="Ben"),
            "rita": make_user(role="host", email="rita@example.test", display_name="Rita"),
            "rex": make_user(role="rep", email="rex@example.test", display_name="Rex"),
        }
        return {name: user.id for name, user in people.items()}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- time zones --------------------------------------------------------------------------------


def test_a_shift_across_midnight_ends_the_next_morning():
    starts, ends = s.day_times(date(2026, 11, 29), time(22), time(6), NEW_YORK)
    assert (starts, ends) == (utc(2026, 11, 30, 3), utc(2026, 11, 30, 11))


def test_a_night_shift_across_the_autumn_change_lasts_nine_hours():
    starts, ends = s.day_times(date(2026, 10, 31), time(22), time(6), NEW_YORK)
    assert starts == utc(2026, 11, 1, 2)  # 22:00 EDT (-4)
    assert ends == utc(2026, 11, 1, 11)  # 06:00 EST (-5)
    assert ends - starts == timedelta(hours=9)


def test_a_night_shift_across_the_spring_change_lasts_seven_hours():
    starts, ends = s.day_times(date(2026, 3, 7), time(22), time(6), NEW_YORK)
    assert ends - starts == timedelta(hours=7)


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(ValueError, match="2026-03-08 02:30 does not exist in America/New_York"):
        s.to_utc(datetime(2026, 3, 8, 2, 30), NEW_YORK)


def test_a_time_the_clocks_pass_twice_needs_its_offset():
    with pytest.raises(ValueError, match=r"happens twice .* -04:00 or -05:00"):
        s.to_utc(datetime(2026, 11, 1, 1, 30), NEW_YORK)
    given = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("Etc/GMT+5"))
    assert s.to_utc(given, NEW_YORK) == utc(2026, 11, 1, 6, 30)


def test_the_resort_day_of_the_autumn_change_has_25_hours(app, resort):
    with app.app_context():
        start, end = s.local_day(date(2026, 11, 1))
    assert end - start == timedelta(hours=25)


# -- shifts import ---------------------------------------------------------------------------

HEADER = "shift_id,email,date,start,end,zones,manager\n"


def write(tmp_path, text: str, name: str = "shifts.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shift_import_reports_every_bad_row_and_stores_nothing(app, resort, tmp_path):
    path = write(tmp_path, HEADER + "\n".join([
        "S1,ana@example.test,2026-12-01,22:00,06:00,spa; pool,no",
        "S2,ana@example.test,2026-12-02,05:00,10:00,spa,no",        # overlaps S1 (ends 06:00)
        "S3,ben@example.test,2026-12-01,18:00,23:00,casino_roof,no",  # unknown zone
        "S4,nobody@example.test,2026-12-01,18:00,23:00,spa,no",     # unknown e-mail
        "S5,ben@example.test,2026-12-02,25:00,06:00,spa,no",        # bad time
        "S6,ben@example.test,2026-03-08,02:30,09:00,spa,no",        # the clocks skip 02:30
        "S7,rex@example.test,2026-12-01,18:00,23:00,spa,no",        # a rep, not a host
        "S8,ben@example.test,2026-12-03,08:00,08:00,spa,no",        # ends as it starts: 24 h ok
    ]) + "\n")  # fmt: skip
    with app.app_context(), pytest.raises(ImportFailed) as failed:
        from frontline.casino.shift_import import import_shifts

        import_shifts(path)
    errors = {(e.line, e.column): e.reason for e in failed.value.errors}
    assert errors[(3, "start")].startswith("overlaps the shift Tue 01 Dec 22:00-06:00 (S1)")
    assert errors[(4, "zones")] == "unknown zone(s): casino_roof"
    assert errors[(5, "email")] == "unknown e-mail 'nobody@example.test'"
    assert errors[(6, "start")] == "'25:00' is not a time like 22:00"
    assert "does not exist in America/New_York" in errors[(7, "start")]
    assert errors[(8, "email")] == "rex@example.test is a rep, not a host"
    assert len(errors) == 6
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Shift)) == 0


def test_shift_import_twice_changes_nothing_and_overlaps_stored_shifts(
    app, resort, tmp_path, runner
):
    rows = ("S1,ana@example.test,2026-12-01,22:00,06:00,spa; pool,no\n"
            "S2,rita@example.test,2026-12-01,16:00,04:00,spa;pool;main_floor,yes\n")  # fmt: skip
    path = write(tmp_path, HEADER + rows)
    first = runner.invoke(args=["import", "shifts", str(path)])
    assert first.exit_code == 0 and "2 created, 0 replaced" in first.output
    again = runner.invoke(args=["import", "shifts", str(path)])
    assert again.exit_code == 0 and "0 created, 2 replaced" in again.output
    with app.app_context():
        shift = db.session.scalar(select(Shift).where(Shift.external_id == "S1"))
        assert (shift.starts_at, shift.ends_at) == (utc(2026, 12, 2, 3), utc(2026, 12, 2, 11))
        assert shift.zones == ["pool", "spa"]
        assert db.session.scalar(select(func.count()).select_from(Shift)) == 2
    clash = write(tmp_path, HEADER + "S9,ana@example.test,2026-12-02,05:00,09:00,spa,no\n", "b.csv")
    refused = runner.invoke(args=["import", "shifts", str(clash)])
    assert refused.exit_code == 1
    assert "line 2, column start: overlaps the shift Tue 01 Dec 22:00-06:00 (S1)" in refused.output


# -- users import ------------------------------------------------------------------------------

USERS = "email,name,role,comp_authority,lanes,accounts\n"


def test_user_import_reports_every_bad_row_and_stores_nothing(app, resort, tmp_path, runner):
    path = write(tmp_path, USERS + "\n".join([
        "new.host@example.test,New Host,host,300,,",
        "not-an-email,Bad Mail,host,,,",
        "new.host@example.test,Twice,host,,,",
        "x@example.test,X,croupier,,,",
        "rep2@example.test,Rep Two,rep,100,,",
        "rep3@example.test,Rep Three,rep,,NOPE-LANE,",
        "host9@example.test,Host Nine,host,,HKG-FRA,",
    ]) + "\n", "users.csv")  # fmt: skip
    result = runner.invoke(args=["import", "users", str(path)])
    assert result.exit_code == 1
    for expected in (
        "line 3, column email: 'not-an-email' is not an e-mail address",
        "line 4, column email: also on line 2",
        "line 5, column role: 'croupier' is not one of host, rep, analyst, admin",
        "line 6, column comp_authority: only hosts have a comp authority",
        "line 7, column lanes: unknown code(s): NOPE-LANE",
        "line 8, column lanes: only reps own lanes and accounts",
    ):
        assert expected in result.output, result.output
    with app.app_context():
        assert User.by_email("new.host@example.test") is None


def test_user_import_creates_people_without_passwords_and_writes_links(
    app, resort, tmp_path, runner
):
    path = write(tmp_path, USERS + "new.host@example.test,New Host,host,300,,\n"
                 "ben@example.test,Ben Renamed,host,,,\n", "users.csv")  # fmt: skip
    links = tmp_path / "links.csv"
    result = runner.invoke(args=["import", "users", str(path), "--links", str(links)])
    assert result.exit_code == 0, result.output
    assert "1 created, 1 updated" in result.output
    rows = links.read_text().splitlines()
    assert rows[0] == "email,link" and rows[1].startswith("new.host@example.test,http")
    assert len(rows) == 2
    with app.app_context():
        new = User.by_email("new.host@example.test")
        assert new.password_hash == "" and str(new.comp_authority) == "300.00"
        assert User.by_email("ben@example.test").display_name == "Ben Renamed"


# -- the API -----------------------------------------------------------------------------------


def put(client, token, shift_id, body):
    return client.put(
        f"/api/v1/shifts/{shift_id}", json=body, headers={"Authorization": f"Bearer {token}"}
    )


BODY = {"host_email": "ana@example.test", "starts_at": "2026-12-05T22:00:00",
        "ends_at": "2026-12-06T06:00:00", "zones": ["spa"]}  # fmt: skip


def test_put_is_idempotent_and_reads_resort_time(app, client, resort):
    with app.app_context():
        token = make_token(scopes=["shifts:write", "shifts:read"])
    first = put(client, token, "wfm-1", BODY)
    assert first.status_code == 201, first.json
    assert first.json["starts_at"].startswith("2026-12-06T03:00:00")  # 22:00 EST in UTC
    assert first.json["starts_local"] == "2026-12-05T22:00:00-05:00"
    again = put(client, token, "wfm-1", BODY)
    assert again.status_code == 200 and again.json == first.json
    moved = put(client, token, "wfm-1", BODY | {"zones": ["pool", "spa"]})
    assert moved.status_code == 200 and moved.json["zones"] == ["pool", "spa"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Shift)) == 1
    got = client.get("/api/v1/shifts/wfm-1", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200 and got.json["zones"] == ["pool", "spa"]


def test_put_refuses_overlaps_unknown_zones_hosts_and_skipped_times(app, client, resort):
    with app.app_context():
        token = make_token(scopes=["shifts:write"])
    assert put(client, token, "wfm-1", BODY).status_code == 201
    overlap = put(client, token, "wfm-2", BODY | {"starts_at": "2026-12-06T05:00:00",
                                                  "ends_at": "2026-12-06T09:00:00"})  # fmt: skip
    assert overlap.status_code == 422
    assert "overlaps the shift Sat 05 Dec 22:00-06:00 (wfm-1)" in str(overlap.json)
    unknown = put(client, token, "wfm-3", BODY | {"zones": ["moon"], "host_email": "x@y.test"})
    errors = unknown.json["errors"]["json"]
    assert errors["zones"] == ["unknown zone(s): moon"]
    assert errors["host_email"] == ["No host with e-mail 'x@y.test'."]
    skipped = put(client, token, "wfm-4", BODY | {"starts_at": "2026-03-08T02:30:00",
                                                  "ends_at": "2026-03-08T09:00:00"})  # fmt: skip
    assert skipped.status_code == 422 and "does not exist" in str(skipped.json)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Shift)) == 1


def test_the_api_needs_the_shifts_scopes(app, client, resort):
    with app.app_context():
        reader = make_token(scopes=["shifts:read"])
        events = make_token(scopes=["events:write"])
    assert put(client, reader, "wfm-1", BODY).status_code == 403
    on_now = client.get("/api/v1/shifts/on-now", headers={"Authorization": f"Bearer {events}"})
    assert on_now.status_code == 403
    assert "shifts:read" in on_now.json["message"]


def test_delete_twice_is_still_204(app, client, resort):
    with app.app_context():
        token = make_token(scopes=["shifts:write"])
    put(client, token, "wfm-1", BODY)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.delete("/api/v1/shifts/wfm-1", headers=headers).status_code == 204
    assert client.delete("/api/v1/shifts/wfm-1", headers=headers).status_code == 204
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Shift)) == 0


# -- who is on, routing, hand-over -------------------------------------------------------------


def test_who_is_on_now_per_zone(app, resort):
    with app.app_context():
        users = {name: db.session.get(User, uid) for name, uid in resort.items()}
        make_shift(users["ana"], zones=("spa", "pool"))
        make_shift(users["rita"], zones=("spa", "pool", "main_floor"), manager=True)
        old = make_shift(users["ben"], zones=("spa",))
        old.starts_at, old.ends_at = (
            old.starts_at - timedelta(days=1),
            old.ends_at - timedelta(days=1),
        )
        db.session.commit()
        cover = s.on_now(datetime.now(UTC))
        assert [(p.name, p.is_manager) for p in cover["spa"]] == [("Ana", False), ("Rita", True)]
        assert [p.name for p in cover["main_floor"]] == ["Rita"]
        now = datetime.now(UTC)
        assert [p.name for p in s.on_now_in("spa", now)] == ["Ana", "Rita"]
        assert [p.name for p in s.on_now_in("main_floor", now)] == ["Rita"]
        assert s.on_now_in("main", now) == []  # a code is matched whole, not as a prefix


def test_the_api_says_who_is_on_now(app, client, resort):
    with app.app_context():
        make_shift(db.session.get(User, resort["ana"]), zones=("spa",))
        token = make_token(scopes=["shifts:read"])
    answer = client.get("/api/v1/shifts/on-now", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert [(z["zone"], [p["name"] for p in z["people"]]) for z in answer.json] == [
        ("spa", ["Ana"])
    ]


def spa_world(app, resort):
    """Ana covers the spa now, Rita manages; a guest with no host and a complaint."""
    with app.app_context():
        users = {name: db.session.get(User, uid) for name, uid in resort.items()}
        make_shift(users["ana"], zones=("spa",))
        make_shift(users["rita"], zones=("spa", "pool", "main_floor"), manager=True)
        guest = make_guest(external_id="G-SPA", name="Ivy Lake", tier="platinum")
        make_visit(guest, days_ago=12, rating=1, complaint="Cold towels.", zone="spa")
        return make_token()


def test_an_arrival_in_the_spa_goes_to_the_host_covering_it_and_moves_when_her_shift_ends(
    app, client, resort, auth
):
    token = spa_world(app, resort)
    response = client.post("/api/v1/events", json=arrival("G-SPA", zone="spa"),
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == 202 and response.json["cards"] >= 1
    with app.app_context():
        cards = db.session.scalars(select(IssuedCard)).all()
        assert {c.assignee_id for c in cards} == {resort["ana"]}
        shift_id = db.session.scalar(select(Shift.id).where(Shift.user_id == resort["ana"]))
    auth.login("admin")
    ended = client.post(f"/admin/shifts/{shift_id}/end", data={"csrf_token": auth.csrf_token()})
    assert ended.status_code == 303
    with app.app_context():
        cards = db.session.scalars(select(IssuedCard)).all()
        assert {c.assignee_id for c in cards} == {resort["rita"]}
        assert all(c.routing_note.startswith("Handed over from Ana: shift ended") for c in cards)
        taps = db.session.scalars(select(CardAction).where(CardAction.action == "handed_over"))
        assert len(taps.all()) == len(cards)


def test_the_periodic_job_hands_over_when_a_shift_ends_on_time(app, client, resort):
    token = spa_world(app, resort)
    client.post("/api/v1/events", json=arrival("G-SPA", zone="spa"),
                headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    with app.app_context():
        ben = db.session.get(User, resort["ben"])
        make_shift(ben, zones=("spa",))  # Ben is on too: the next host on the zone
        shift = db.session.scalar(select(Shift).where(Shift.user_id == resort["ana"]))
        shift.ends_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
        assert scheduler.hand_over in scheduler.JOBS
        scheduler.hand_over(app)
        cards = db.session.scalars(select(IssuedCard)).all()
        assert {c.assignee_id for c in cards} == {resort["ben"]}
        assert "Handed over from Ana: shift ended" in cards[0].routing_note
        assert handover.ended_shifts(datetime.now(UTC)) == 0  # already moved: nothing again


def test_cards_wait_when_nobody_is_on_the_floor(app, client, resort):
    token = spa_world(app, resort)
    client.post("/api/v1/events", json=arrival("G-SPA", zone="spa"),
                headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    with app.app_context():
        now = datetime.now(UTC)
        for shift in db.session.scalars(select(Shift)):
            shift.ends_at = now - timedelta(minutes=1)
        db.session.commit()
        assert handover.ended_shifts(now) == 0
        assert {c.assignee_id for c in db.session.scalars(select(IssuedCard))} == {resort["ana"]}


# -- the screen ------------------------------------------------------------------------------


def test_admin_puts_a_host_on_tonights_shift_in_resort_time(app, client, resort, auth):
    auth.login("admin")
    token = auth.csrf_token("/admin/shifts")
    form = {"csrf_token": token, "email": "ana@example.test", "day": "2026-12-05",
            "start": "22:00", "end": "06:00", "zones": ["spa", "pool"]}  # fmt: skip
    assert client.post("/admin/shifts", data=form).status_code == 303
    with app.app_context():
        shift = db.session.scalar(select(Shift))
        assert (shift.starts_at, shift.ends_at) == (utc(2026, 12, 6, 3), utc(2026, 12, 6, 11))
    clash = client.post("/admin/shifts", data=form | {"start": "23:00", "end": "02:00"})
    assert clash.status_code == 422
    assert "overlaps the shift Sat 05 Dec 22:00-06:00" in clash.get_data(as_text=True)
    page = client.get("/admin/shifts?day=2026-12-05").get_data(as_text=True)
    assert "22:00\N{EN DASH}06:00" in page and "(+1 day)" in page
    assert "Gaps: no host covering" in page and "Main casino floor" in page
    week = client.get("/admin/shifts/week?start=2026-12-01").get_data(as_text=True)
    assert "22:00\N{EN DASH}06:00" in week


def test_the_manager_on_duty_keeps_the_roster_and_other_hosts_may_not(app, client, resort, auth):
    with app.app_context():
        rita = db.session.get(User, resort["rita"])
        make_shift(rita, zones=("spa",), manager=True)
        ana = db.session.get(User, resort["ana"])
        make_shift(ana, zones=("spa",))
    auth.login(email="rita@example.test")
    assert client.get("/admin/shifts").status_code == 200
    assert client.get("/admin/").status_code == 403  # people stay with administrators
    auth.logout()
    auth.login(email="ana@example.test")
    assert client.get("/admin/shifts").status_code == 403


def test_a_host_who_becomes_a_rep_leaves_the_floor_with_her_cards_handed_over(
    app, client, resort, auth
):
    token = spa_world(app, resort)
    client.post("/api/v1/events", json=arrival("G-SPA", zone="spa"),
                headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    with app.app_context():
        ana = db.session.get(User, resort["ana"])
        later = make_shift(ana, zones=("spa",))
        later.starts_at += timedelta(days=2)
        later.ends_at += timedelta(days=2)
        db.session.commit()
    auth.login("admin")
    form = {"csrf_token": auth.csrf_token("/admin/"), "email": "ana@example.test",
            "display_name": "Ana", "role": "rep", "comp_authority": ""}  # fmt: skip
    assert client.post(f"/admin/people/{resort['ana']}", data=form).status_code == 303
    with app.app_context():
        now = datetime.now(UTC)
        remaining = db.session.scalars(select(Shift).where(Shift.user_id == resort["ana"])).all()
        assert len(remaining) == 1 and remaining[0].ends_at <= now  # ended, the later one gone
        assert [p.name for p in s.on_now_in("spa", now)] == ["Rita"]
        cards = db.session.scalars(select(IssuedCard)).all()
        assert {c.assignee_id for c in cards} == {resort["rita"]}
        assert cards[0].routing_note == "Handed over from Ana: now a rep"
