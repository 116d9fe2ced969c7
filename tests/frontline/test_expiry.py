"""Host cards expire once the visit they were about is over: out of the inbox, never escalated,
counted as cards nobody acted on, and a late tap on one is answered plainly."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from frontline.casino.escalation import escalate_overdue
from frontline.casino.expiry import expire_cards
from frontline.config import ConfigError, from_environment
from frontline.extensions import db
from frontline.scoreboard import funnel
from frontline.tables import CardAction, CardStatus, Customer, CustomerTier, IssuedCard, utcnow
from tests.factories import make_guest, make_shift, make_user

HOURS = 12


def card(assignee, guest, hours_old: float, status=CardStatus.OPEN, audience="host", **kw):
    """A stored card HOURS_OLD hours old, as `guidance.issue` stores one (with its issued tap)."""
    at = utcnow() - timedelta(hours=hours_old)
    found = IssuedCard(
        audience=audience, subject_type="guest" if audience == "host" else "customer",
        subject_id=guest.id, rule_id="service-recovery", rule_title="Service recovery",
        pack_id=audience, pack_version="1", priority=50, headline=f"{hours_old} h old",
        actions=["acknowledge", "on_my_way", "done", "not_relevant"], status=status,
        assignee_id=assignee.id, created_at=at, updated_at=at, **kw,
    )  # fmt: skip
    found.taps.append(CardAction(action="issued", at=at))
    db.session.add(found)
    db.session.commit()
    return found.id


@pytest.fixture
def floor(app):
    """Maya (host) with cards of every age and status for her guest Ava."""
    with app.app_context():
        maya = make_user("host", email="maya@example.test", display_name="Maya Chen")
        ava = make_guest(maya, name="Ava Walsh")
        ids = {
            "fresh": card(maya, ava, 2),
            "old_open": card(maya, ava, 13),
            "old_acknowledged": card(maya, ava, 20, CardStatus.ACKNOWLEDGED),
            "old_on_my_way": card(maya, ava, 30, CardStatus.ON_MY_WAY),
            "old_done": card(maya, ava, 30, CardStatus.DONE, outcome="accepted"),
            "old_dismissed": card(maya, ava, 30, CardStatus.DISMISSED, dismiss_reason="not_here"),
            "old_rep": card(maya, ava, 30, audience="rep"),
        }
        yield ids


def statuses(ids: dict) -> dict:
    return {name: db.session.get(IssuedCard, i).status for name, i in ids.items()}


def test_the_job_expires_exactly_the_host_cards_open_past_the_limit(app, floor):
    with app.app_context():
        assert expire_cards(utcnow(), HOURS) == 3
        assert statuses(floor) == {
            "fresh": CardStatus.OPEN,
            "old_open": CardStatus.EXPIRED,
            "old_acknowledged": CardStatus.EXPIRED,
            "old_on_my_way": CardStatus.EXPIRED,
            "old_done": CardStatus.DONE,
            "old_dismissed": CardStatus.DISMISSED,
            "old_rep": CardStatus.OPEN,  # rep cards do not expire
        }
        old = db.session.get(IssuedCard, floor["old_open"])
        assert old.outcome is None and not old.status.is_open
        assert [(t.action, t.user_id, t.detail) for t in old.taps] == [
            ("issued", None, ""),
            ("expired", None, "Expired: still open 12 h after it came in"),
        ]
        assert expire_cards(utcnow(), HOURS) == 0  # once


def test_the_job_tells_each_host_whose_cards_expired(app, floor, monkeypatch):
    told = []
    monkeypatch.setattr("frontline.push.publish", lambda *a: told.append(a))
    with app.app_context():
        maya = db.session.get(IssuedCard, floor["fresh"]).assignee_id
        expire_cards(utcnow(), HOURS)
        assert told == [(f"user:{maya}", "inbox", "changed")]
        told.clear()
        expire_cards(utcnow(), HOURS)
        assert told == []  # nothing expired, nobody told


def test_two_workers_at_once_expire_each_card_once(app, floor):
    """Run on PostgreSQL too (the `app` fixture's postgres backend): two sessions race."""
    ready = threading.Barrier(2)
    counts: list[int] = []

    def work() -> None:
        with app.app_context():
            ready.wait(timeout=10)
            try:
                counts.append(expire_cards(utcnow(), HOURS))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(counts) == 2 and sum(counts) == 3, counts
    with app.app_context():
        per_card = select(CardAction.card_id, func.count()).where(CardAction.action == "expired")
        taps = dict(db.session.execute(per_card.group_by(CardAction.card_id)).all())
        assert taps == {floor[n]: 1 for n in ("old_open", "old_acknowledged", "old_on_my_way")}


def test_escalation_never_moves_an_expired_card(app, floor):
    with app.app_context():
        boss = make_user("host", email="boss@example.test")
        make_shift(boss, manager=True)
        expire_cards(utcnow(), HOURS)
        assert escalate_overdue(utcnow(), minutes=5) == 1  # only the fresh open one
        assert db.session.get(IssuedCard, floor["old_open"]).escalation_level == 0


def test_the_inbox_lists_only_cards_still_open(app, client, auth, floor):
    auth.login("host", email="maya@example.test")
    before = client.get("/host/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'data-card-id="{floor["old_open"]}"' in before
    with app.app_context():
        expire_cards(utcnow(), HOURS)
    after = client.get("/host/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'data-card-id="{floor["fresh"]}"' in after
    for name in ("old_open", "old_acknowledged", "old_on_my_way"):
        assert f'data-card-id="{floor[name]}"' not in after


def test_an_expired_card_says_so_and_offers_no_action(app, client, auth, floor):
    with app.app_context():
        expire_cards(utcnow(), HOURS)
        at = db.session.scalar(select(CardAction.at).where(CardAction.action == "expired"))
    auth.login("host", email="maya@example.test")
    html = client.get(f"/host/cards/{floor['old_open']}").get_data(as_text=True)
    assert f"This card expired at {at:%H:%M}, 13 h after it came in" in html
    assert "Status: <strong>Expired</strong>" in html
    assert 'value="acknowledge"' not in html and 'name="reason"' not in html


def test_a_late_tap_on_an_expired_card_is_noted_not_counted(app, client, auth, floor):
    with app.app_context():
        expire_cards(utcnow(), HOURS)
    auth.login("host", email="maya@example.test")
    token = auth.csrf_token("/host/")
    url = f"/host/cards/{floor['old_open']}/actions"
    tap = {"action": "done", "outcome": "accepted", "tap_id": "phone-1", "csrf_token": token}
    for _ in range(2):  # the phone's queue sends it twice: noted once
        late = client.post(url, data=tap, follow_redirects=True).get_data(as_text=True)
        assert "This card expired at" in late and "Your tap is noted on the card." in late
    with app.app_context():
        old = db.session.get(IssuedCard, floor["old_open"])
        assert old.status == CardStatus.EXPIRED and old.outcome is None
        notes = [t.detail for t in old.taps if t.action == "after_expiry"]
        assert notes == ["Maya Chen after the card expired: Offer accepted"]
    wrong = client.post(
        url, data={"action": "call_logged", "csrf_token": token}, follow_redirects=True
    )
    assert "Not recorded: &#39;call_logged&#39; is not an action of this card" in wrong.get_data(
        as_text=True
    )


def test_the_scoreboard_counts_an_expired_card_as_nobody_acting(app, floor):
    with app.app_context():
        filters = funnel.Filters(audience="host", days=7)
        before = funnel.funnel(filters, utcnow())
        expire_cards(utcnow(), HOURS)
        after = funnel.funnel(filters, utcnow())
        assert after == before  # expiring adds no stage to any card
        (row,) = after
        # Only the done card's outcome and the dismissed card count beyond "issued".
        assert (row.issued, row.seen, row.acknowledged, row.acted) == (6, 0, 0, 0)
        assert (row.outcome, row.dismissed) == (1, 1)


def test_the_demo_history_leaves_no_host_card_open_past_the_limit(app):
    with app.app_context():
        hosts = [make_user("host") for _ in range(2)]
        rep = make_user("rep")
        for host in hosts:
            make_guest(host)
        db.session.add(
            Customer(
                code="C1", name="Shipper", tier=CustomerTier.STANDARD,
                est_annual_spend=Decimal("100000.00"), rep_id=rep.id,
            )
        )  # fmt: skip
        db.session.commit()
        from frontline.demo import scoreboard

        now = utcnow()
        scoreboard.fill(days=10, per_day=60, seed=4, now=now)
        cutoff = now - timedelta(hours=HOURS)
        host = select(func.count()).where(IssuedCard.audience == "host")
        still_open = IssuedCard.status.in_([s for s in CardStatus if s.is_open])
        assert db.session.scalar(host.where(still_open, IssuedCard.created_at < cutoff)) == 0
        expired = list(
            db.session.scalars(select(IssuedCard).where(IssuedCard.status == CardStatus.EXPIRED))
        )
        assert len(expired) > 50
        for one in expired:
            (tap,) = [t for t in one.taps if t.action == "expired"]
            assert tap.at == one.created_at + timedelta(hours=HOURS) and tap.user_id is None
            assert one.audience == "host" and not {"done", "not_relevant"} & {
                t.action for t in one.taps
            }
        assert expire_cards(now, HOURS) == 0  # the job finds nothing the history left
        assert db.session.scalar(host.where(still_open)) > 0  # the last hours' cards are live
        rep_open = select(func.count()).where(IssuedCard.audience == "rep", still_open)
        assert db.session.scalar(rep_open) > 0


@pytest.mark.parametrize("value", ["0", "-3", "twelve", "nan", "169"])
def test_a_bad_expiry_limit_is_refused_by_name(tmp_path, value):
    with pytest.raises(ConfigError, match=r"FRONTLINE_CARD_EXPIRE_HOURS: .* hours"):
        from_environment(str(tmp_path), {"FRONTLINE_CARD_EXPIRE_HOURS": value})


def test_the_expiry_limit_defaults_to_12_hours(tmp_path):
    assert from_environment(str(tmp_path), {})["CARD_EXPIRE_AFTER_HOURS"] == 12
    env = {"FRONTLINE_CARD_EXPIRE_HOURS": "6.5"}
    assert from_environment(str(tmp_path), env)["CARD_EXPIRE_AFTER_HOURS"] == 6.5


def test_the_cli_and_the_scheduler_run_the_job(app, runner, floor):
    from frontline.casino import scheduler

    assert scheduler.expire in scheduler.JOBS
    assert scheduler.JOBS.index(scheduler.expire) < scheduler.JOBS.index(scheduler.escalate)
    result = runner.invoke(args=["guidance", "expire"])
    assert result.exit_code == 0, result.output
    assert "Expired 3 host card(s) still open 12 h after they came in." in result.output


def test_many_cards_expire_in_batches_each_once(app, floor, monkeypatch):
    monkeypatch.setattr("frontline.casino.expiry.BATCH", 2)
    with app.app_context():
        assert expire_cards(utcnow(), HOURS) == 3
        taps = select(func.count()).where(CardAction.action == "expired")
        assert db.session.scalar(taps) == 3
        assert statuses(floor)["fresh"] == CardStatus.OPEN


def test_the_expiry_time_is_the_resorts_clock(app, client, auth, floor):
    """Hosts read times on the resort's wall clock (FRONTLINE_TIMEZONE), not in UTC."""
    app.config["PROPERTY_TIMEZONE"] = "America/Los_Angeles"
    with app.app_context():
        expire_cards(utcnow(), HOURS)
        at = db.session.scalar(select(CardAction.at).where(CardAction.action == "expired"))
    auth.login("host", email="maya@example.test")
    html = client.get(f"/host/cards/{floor['old_open']}").get_data(as_text=True)
    shown = at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert f"This card expired at {shown:%H:%M}," in html and shown.hour != at.hour
