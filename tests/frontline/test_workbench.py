"""The analyst workbench: packs as versioned data, edited, checked, published and rolled back."""

import re
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

import guidance_rules
from frontline.extensions import db
from frontline.guidance import evaluations, logcolumns, rulebook
from frontline.guidance.packs import DEFAULT_PACKS, published_pack, shelf
from frontline.tables import EvaluationColumns, IssuedCard, PackChange, PackVersion, User, utcnow
from tests.conftest import csrf_from
from tests.factories import arrival, make_floor, make_token, make_user

HEADLINE = '"{guest.name} had a bad last visit: recover first"'
NEW_HEADLINE = '"Recover first: {guest.name} had a bad last visit"'


def install_shipped_packs() -> None:
    """What migration 0006 does on a real database: each shipped file becomes version 1."""
    for path in sorted(DEFAULT_PACKS.glob("*.yaml")):
        rulebook.import_pack(path.read_text(), None, "shipped", publish_it=True)


@pytest.fixture
def workbench(app):
    with app.app_context():
        install_shipped_packs()
        analyst = make_user("analyst", email="ana@example.test")
        return {"analyst_id": analyst.id}


def edited_draft(app) -> str:
    with app.app_context():
        return rulebook.pack_for("host").draft.replace(HEADLINE, NEW_HEADLINE)


def sign_in_analyst(client, auth) -> str:
    auth.post_login("ana@example.test", "pw-for-tests")
    return csrf_from(client.get("/analyst/packs/host/draft").get_data(as_text=True))


def test_edit_publish_and_the_next_arrival_names_the_new_version(app, client, auth, workbench):
    token = sign_in_analyst(client, auth)
    saved = client.post(
        "/analyst/packs/host/draft",
        data={"text": edited_draft(app), "base": 1, "csrf_token": token},
    )
    assert saved.status_code == 303
    page = client.get("/analyst/packs/host").get_data(as_text=True)
    assert "service-recovery</code> changed: card" in page and 'data-draft-checks="yes"' in page
    form = {"reason": "Recovery comes first in the headline", "base": 1, "csrf_token": token}
    assert client.post("/analyst/packs/host/publish", data=form).status_code == 303
    with app.app_context():
        assert published_pack("host").version == "v2"
        _host, _guests = make_floor(complaint="Cold food.", name="Ava Walsh")
        secret = make_token()
    answer = client.post(
        "/api/v1/events", json=arrival("G1"), headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status_code == 202, answer.json
    with app.app_context():
        card = db.session.scalar(select(IssuedCard).where(IssuedCard.rule_id == "service-recovery"))
        assert card.pack_version == "v2" and card.headline.startswith("Recover first: Ava Walsh")
        actions = db.session.scalars(select(PackChange.action).order_by(PackChange.id)).all()
        assert actions[-2:] == ["draft_saved", "published"]


def test_publish_needs_a_reason_and_a_draft_that_checks(app, client, auth, workbench):
    token = sign_in_analyst(client, auth)
    no_reason = {"reason": "  ", "base": 1, "csrf_token": token}
    with app.app_context():
        rulebook.save_draft(
            rulebook.pack_for("host"), edited_draft(app), db.session.get(User, 1), 1
        )
    refused = client.post("/analyst/packs/host/publish", data=no_reason)
    assert refused.status_code == 422 and "say in one line why" in refused.get_data(as_text=True)
    broken = edited_draft(app).replace("guest.self_excluded\n", "guest.self_exclude\n", 1)
    client.post("/analyst/packs/host/draft", data={"text": broken, "base": 1, "csrf_token": token})
    form = {"reason": "try", "base": 1, "csrf_token": token}
    refused = client.post("/analyst/packs/host/publish", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "does not check" in html and "self_exclude" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PackVersion)) == 2  # host+rep
        assert published_pack("host").version == "v1"


def test_live_check_points_at_the_line_and_column(app, client, auth, workbench):
    token = sign_in_analyst(client, auth)
    text = edited_draft(app).replace("guest.self_excluded\n", "guest.self_excluded and\n", 1)
    answer = client.post(
        "/analyst/packs/host/check", data={"text": text, "csrf_token": token},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    html = answer.get_data(as_text=True)
    assert 'data-check="error"' in html and "host draft" in html and "^" in html
    assert "<html" not in html  # only the verdict fragment
    good = client.post(
        "/analyst/packs/host/check", data={"text": edited_draft(app), "csrf_token": token},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert 'data-check="ok"' in good.get_data(as_text=True)


def test_two_analysts_publishing_at_once_one_wins_one_gets_a_conflict(app, workbench):
    with app.app_context():
        make_user("analyst", email="bo@example.test")
        rulebook.save_draft(
            rulebook.pack_for("host"), edited_draft(app), User.by_email("bo@example.test"), 1
        )
    ready, answers = threading.Barrier(2), []

    def publish(email: str) -> None:
        with app.app_context():
            pack, user = rulebook.pack_for("host"), User.by_email(email)
            ready.wait(timeout=10)
            try:
                answers.append(rulebook.publish(pack, user, f"by {email}", base=1).number)
            except rulebook.PublishConflict as conflict:
                db.session.rollback()
                answers.append(str(conflict))
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=publish, args=(e,)) for e in ("ana@example.test", "bo@example.test")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert 2 in answers and len(answers) == 2, answers
    conflict = next(a for a in answers if a != 2)
    assert "published version 2 of the host pack meanwhile" in conflict
    with app.app_context():
        numbers = db.session.scalars(select(PackVersion.number).join(PackVersion.pack)).all()
        assert sorted(numbers) == [1, 1, 2]


def test_rollback_publishes_the_old_text_as_a_new_version(app, client, auth, workbench):
    token = sign_in_analyst(client, auth)
    with app.app_context():
        analyst = User.by_email("ana@example.test")
        pack = rulebook.pack_for("host")
        rulebook.save_draft(pack, edited_draft(app), analyst, 1)
        rulebook.publish(pack, analyst, "new headline", 1)
    form = {"reason": "The old headline tested better", "base": 2, "csrf_token": token}
    assert client.post("/analyst/packs/host/versions/1/rollback", data=form).status_code == 303
    with app.app_context():
        shelf().forget("host")
        pack = published_pack("host")
        assert pack.version == "v3"
        assert pack.rule("service-recovery").card.headline.source == HEADLINE.strip('"')
        log = db.session.scalars(select(PackChange.action).order_by(PackChange.id)).all()
        assert log[-1] == "rolled_back"
    stale = client.post("/analyst/packs/host/versions/1/rollback", data=form)
    assert stale.status_code == 409  # based on v2, but v3 is in force


def test_every_worker_takes_a_new_version_within_a_second(app, workbench):
    with app.app_context():
        assert published_pack("host").version == "v1"
        analyst = User.by_email("ana@example.test")
        pack = rulebook.pack_for("host")
        rulebook.save_draft(pack, edited_draft(app), analyst, 1)
        rulebook.publish(pack, analyst, "elsewhere", 1)  # as another worker would: no forget()
        started = time.monotonic()
        while published_pack("host").version != "v2":
            assert time.monotonic() - started < 1.5, "the new version took over a second"
            time.sleep(0.05)


def test_a_version_that_no_longer_checks_leaves_the_one_in_force(app, workbench, caplog):
    with app.app_context():
        pack = rulebook.pack_for("host")
        text = rulebook.export(pack).replace("guest.self_excluded\n", "guest.gone_fact\n", 1)
        db.session.add(PackVersion(pack_id=pack.id, number=2, text=text, reason="vocab changed"))
        db.session.commit()
        shelf().forget("host")
        assert published_pack("host").version == "v1"
        assert "no longer checks" in caplog.text and "gone_fact" in caplog.text


def test_export_and_import_round_trip_and_a_bad_file_names_line_and_column(
    app, runner, workbench, tmp_path
):
    out = tmp_path / "host.yaml"
    assert runner.invoke(args=["rules", "export", "host", "-o", str(out)]).exit_code == 0
    out.write_text(out.read_text().replace(HEADLINE, NEW_HEADLINE))
    result = runner.invoke(args=["rules", "import", str(out), "--publish", "from the file"])
    assert result.exit_code == 0 and "published as version 2" in result.output, result.output
    with app.app_context():
        shelf().forget("host")
        assert (
            published_pack("host")
            .rule("service-recovery")
            .card.headline.source.startswith("Recover first")
        )
    bad = tmp_path / "bad.yaml"
    bad.write_text(out.read_text().replace("hit_policy: collect", "hit_policy: [collect", 1))
    result = runner.invoke(args=["rules", "import", str(bad)])
    assert result.exit_code == 1
    assert str(bad) in result.output and "line" in result.output.lower(), result.output


# -- the evaluation log and backtests ------------------------------------------------------


def arrive_all(app, client, events) -> None:
    with app.app_context():
        secret = make_token()
    for body in events:
        answer = client.post(
            "/api/v1/events", json=body, headers={"Authorization": f"Bearer {secret}"}
        )
        assert answer.status_code == 202, answer.json


def a_day_on_the_floor(app, client) -> None:
    """Three guests, arrivals and a repeat arrival (cooldowns), as the API receives them."""
    with app.app_context():
        make_floor(guest_ids=("G1", "G2", "G3"), complaint="Cold food.")
    events = [arrival(g) for g in ("G1", "G2", "G1", "G3", "G2")]
    events.append(arrival("G3", type="guest.moved"))
    arrive_all(app, client, events)


def test_replaying_a_recorded_day_gives_the_cards_it_really_got(app, client, workbench):
    a_day_on_the_floor(app, client)
    with app.app_context():
        end = utcnow() + timedelta(minutes=1)
        logged = evaluations.window("host", end - timedelta(days=1), end)
        assert len(logged) >= 5  # each arrival evaluated and logged with all its facts
        assert all("guest.tier" in row.facts and "now" in row.facts for row in logged)
        live = [row.cards for row in logged]
        assert any(live) and live != [live[0]] * len(live)
        replayed = evaluations.replay(published_pack("host"), logged)
        assert [tuple(rule for rule, _text in cards) for cards in replayed] == live
        issued = db.session.scalar(select(func.count()).select_from(IssuedCard))
        assert issued == sum(len(cards) for cards in live)


def test_backtest_shows_who_gets_what_differently(app, client, auth, workbench):
    a_day_on_the_floor(app, client)
    token = sign_in_analyst(client, auth)
    empty = client.get("/analyst/packs/host/backtest?days=1", headers={"HX-Request": "true"})
    assert "0 evaluations" not in empty.get_data(as_text=True)
    with app.app_context():
        draft = rulebook.pack_for("host").draft
        quieter = draft.replace(
            "days_since(guest.last_visit) <= 120", "days_since(guest.last_visit) <= 19"
        )
        assert quieter != draft
    client.post("/analyst/packs/host/draft", data={"text": quieter, "base": 1, "csrf_token": token})
    html = client.get("/analyst/packs/host/backtest?days=1").get_data(as_text=True)
    assert 'data-evaluations="' in html and "Who gets what differently" in html
    assert 'data-rule="service-recovery"' in html
    removed_or_changed = html.count('data-kind="removed"') + html.count('data-kind="changed"')
    assert removed_or_changed >= 1, html


def test_a_window_without_evaluations_says_so(app, client, auth, workbench):
    sign_in_analyst(client, auth)
    html = client.get("/analyst/packs/rep/backtest?days=7").get_data(as_text=True)
    assert "No evaluations were logged in the last 7 days" in html


def test_the_excerpt_keeps_the_caret_under_the_column_on_a_narrow_screen():
    text = DEFAULT_PACKS.joinpath("host.yaml").read_text()
    broken = rulebook.check(text.replace("rating <= 2", "rating <="), "host")
    assert "line 69, column 68: unexpected `)`" in broken.summary
    source, caret = broken.excerpt(width=30).splitlines()
    assert len(source) <= 33 and caret.index("^") == source.index(")")


def test_preview_shows_the_drafts_cards_on_a_real_logged_arrival(app, client, auth, workbench):
    a_day_on_the_floor(app, client)
    token = sign_in_analyst(client, auth)
    page = client.get("/analyst/packs/host/draft").get_data(as_text=True)
    assert "Preview the draft" in page and "Guest" in page
    with app.app_context():
        shown = next(row for row in evaluations.recent("host") if row.cards)
    form = {"text": edited_draft(app), "evaluation": shown.id, "csrf_token": token}
    html = client.post(
        "/analyst/packs/host/preview", data=form, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert f'data-preview="{shown.id}"' in html and "Recover first:" in html
    assert 'data-rule="service-recovery"' in html and "<html" not in html
    missing = client.post("/analyst/packs/host/preview", data=form | {"evaluation": 999999})
    assert missing.status_code == 404


def test_facts_that_do_not_fit_their_type_are_reported_not_silent(app, workbench, caplog):
    with app.app_context():
        pack = published_pack("host")
        facts = {"now": utcnow(), "guest.tier": "platinum-plus", "guest.visits_12m": "many"}
        cards = guidance_rules.evaluate(pack, facts)
        evaluations._REPORTED.clear()
        evaluations.record(pack, "guest", 1, facts, cards, utcnow())
    assert "treated as missing" in caplog.text
    assert "guest.tier (not a listed value)" in caplog.text


# -- sales sign-off ---------------------------------------------------------------------------


def published_for_signoff(app, reason: str):
    """Rita leads the host pack; the analyst turns sign-off on and publishes the edited draft."""
    make_user("host", email="rita@example.test", signs_off="host")
    analyst = User.by_email("ana@example.test")
    pack = rulebook.pack_for("host")
    rulebook.require_signoff(pack, True, analyst)
    rulebook.save_draft(pack, edited_draft(app), analyst, 1)
    return rulebook.publish(pack, analyst, reason, 1)


def test_with_signoff_a_version_runs_only_once_a_sales_lead_signs_it_off(
    app, client, auth, workbench
):
    with app.app_context():
        waiting = published_for_signoff(app, "lead with the recovery")
        assert waiting.signoff == "pending" and published_pack("host").version == "v1"
        other = make_user("host", email="leo@example.test")
        with pytest.raises(rulebook.PackRefused, match="only a sales lead of the host pack"):
            rulebook.sign_off(waiting, other, True, "")
        version_id = waiting.id
    auth.post_login("rita@example.test", "pw-for-tests")
    page = client.get("/leads/signoffs").get_data(as_text=True)
    assert 'data-version="2"' in page and "service-recovery</code> changed: card" in page
    token = csrf_from(page)
    answer = client.post(
        f"/leads/signoffs/{version_id}", data={"decision": "approve", "csrf_token": token}
    )
    assert answer.status_code == 303
    with app.app_context():
        shelf().forget("host")
        assert published_pack("host").version == "v2"
        log = db.session.scalars(select(PackChange.action).order_by(PackChange.id)).all()
        assert log[-2:] == ["awaits_signoff", "signed_off"]


def test_a_second_look_at_a_pending_version_does_not_replay_it(
    app, client, auth, workbench, monkeypatch
):
    a_day_on_the_floor(app, client)
    with app.app_context():
        published_for_signoff(app, "lead with the recovery")
    replays = []
    replay = evaluations.backtest
    monkeypatch.setattr(evaluations, "backtest", lambda *a: replays.append(1) or replay(*a))
    auth.post_login("rita@example.test", "pw-for-tests")
    first = client.get("/leads/signoffs").get_data(as_text=True)
    figures = re.search(r"Over the last 30 days \([^<]*changed\.", first)
    assert len(replays) == 1 and figures
    second = client.get("/leads/signoffs").get_data(as_text=True)
    assert len(replays) == 1 and figures.group() in second
    with app.app_context():
        analyst = User.by_email("ana@example.test")
        rulebook.save_draft(rulebook.pack_for("host"), edited_draft(app) + "\n", analyst, 2)
        db.session.commit()
    client.get("/leads/signoffs")
    assert len(replays) == 1  # an analyst's draft is not what the lead reviews


def test_a_lead_returns_a_version_with_a_note_and_it_never_runs(app, client, auth, workbench):
    with app.app_context():
        version_id = published_for_signoff(app, "try it").id
    auth.post_login("rita@example.test", "pw-for-tests")
    token = csrf_from(client.get("/leads/signoffs").get_data(as_text=True))
    no_note = {"decision": "return", "csrf_token": token}
    client.post(f"/leads/signoffs/{version_id}", data=no_note)
    page = client.get("/leads/signoffs").get_data(as_text=True)
    assert "say what to change" in page and 'data-version="2"' in page
    note = no_note | {"note": "Hosts read the name first; keep it in front"}
    client.post(f"/leads/signoffs/{version_id}", data=note)
    assert "Nothing waits for your sign-off" in client.get("/leads/signoffs").get_data(as_text=True)
    auth.logout()
    auth.post_login("ana@example.test", "pw-for-tests")
    page = client.get("/analyst/packs/host").get_data(as_text=True)
    assert 'data-signoff="returned"' in page and "keep it in front" in page
    with app.app_context():
        shelf().forget("host")
        assert published_pack("host").version == "v1"


def test_the_backtest_gives_what_the_row_by_row_replay_gives(app, client, workbench):
    """The bulk backtest over stored columns against the reference: each logged evaluation
    replayed row by row through both packs, cooldowns per subject (G1, G2, G3 arrive twice)."""
    a_day_on_the_floor(app, client)
    with app.app_context():
        end = utcnow() + timedelta(minutes=1)
        start = end - timedelta(days=1)
        published = published_pack("host")
        text = rulebook.pack_for("host").draft.replace(HEADLINE, NEW_HEADLINE)
        text = text.replace("priority: 70\n    cooldown: visit", "priority: 70\n    cooldown: once")
        draft = rulebook.check(text, "host").pack
        logged = evaluations.window("host", start, end)
        old, new = evaluations.replay(published, logged), evaluations.replay(draft, logged)
        expected = [(row.id, o, n) for row, o, n in zip(logged, old, new, strict=True) if o != n]
        assert expected, "the draft changes some cards on this day"
        for _ in range(2):  # made from the JSON, then read from the stored columns
            result = evaluations.backtest(published, draft, logcolumns.window("host", start, end))
            assert result.evaluations == len(logged)
            assert result.published_total == Counter(r for cards in old for r, _text in cards)
            assert result.draft_total == Counter(r for cards in new for r, _text in cards)
            assert [(d.evaluation_id, d.before, d.after) for d in result.examples] == expected
            assert sum(result.differences.values()) == len(expected)
            assert sum(result.draft_by_day.values(), Counter()) == result.draft_total
            assert sum(result.published_by_day.values(), Counter()) == result.published_total
            assert list(result.published_by_day) == result.days == [logged[0].at.date()]
            assert (result.never_fire, result.shadowed, result.overlaps) == matched(draft, logged)
        assert db.session.scalar(select(func.count()).select_from(EvaluationColumns)) == 1


def matched(pack, logged) -> tuple[list, list, list]:
    """Never-fire, shadowed and overlapping rules as the reference finds them: each logged
    evaluation matched row by row."""
    subjects = defaultdict(set)
    for row in logged:
        for rule_id in pack.match_ids(row.facts):
            subjects[rule_id].add((row.subject_type, row.subject_id))
    shown = Counter(r for cards in evaluations.replay(pack, logged) for r, _text in cards)
    ids = sorted(subjects)
    pairs = [
        (a, b, len(subjects[a] & subjects[b])) for i, a in enumerate(ids) for b in ids[i + 1 :]
    ]
    return (
        [r.id for r in pack.rules if r.id not in subjects],
        [r.id for r in pack.rules if r.id in subjects and not shown[r.id]],
        sorted([pair for pair in pairs if pair[2]], key=lambda pair: -pair[2])[:10],
    )


def test_a_day_written_to_again_is_read_from_its_json_again(app, client, workbench):
    a_day_on_the_floor(app, client)
    with app.app_context():
        end = utcnow() + timedelta(minutes=1)
        before = len(logcolumns.window("host", end - timedelta(days=1), end))
    arrive_all(app, client, [arrival("G2"), arrival("G3")])
    with app.app_context():
        span = ("host", end - timedelta(days=1), end + timedelta(minutes=1))
        after = logcolumns.window(*span)  # the kept columns and the two new rows
        assert len(after) == before + 2
        assert after.facts["guest.id"].python(len(after) - 1) == "G3"
        assert db.session.scalar(select(EvaluationColumns.rows)) == len(after)
        db.session.execute(delete(EvaluationColumns))
        db.session.commit()
        fresh = logcolumns.window(*span)  # the whole day from its JSON
        assert after.ids.tolist() == fresh.ids.tolist() and set(after.facts) == set(fresh.facts)
        for name in fresh.facts:
            values = [after.facts[name].python(i) for i in range(len(after))]
            assert values == [fresh.facts[name].python(i) for i in range(len(fresh))], name
