"""The demo world: realistic, deterministic, and loaded all-or-nothing."""

from datetime import date

import pytest
from sqlalchemy import func, select

from frontline import demo
from frontline.extensions import db
from frontline.tables import Flight, Guest, Quote, User, Visit

SMALL = demo.Sizes(guests=150, shippers=40, quotes=400, past_flight_days=20, future_flight_days=10)
TODAY = date(2026, 11, 23)


def fingerprint() -> tuple:
    guests = db.session.execute(select(Guest.external_id, Guest.name, Guest.tier)).all()
    theo = db.session.scalar(select(func.sum(Visit.theo_win)))
    rates = db.session.scalars(select(Quote.rate_per_kg).order_by(Quote.external_id)).all()
    return tuple(guests), theo, tuple(rates)


def empty_database() -> None:
    db.session.remove()  # end the session's transaction, or DROP waits on its locks
    db.drop_all()
    db.create_all()


def test_same_seed_same_world(app):
    with app.app_context():
        demo.load(seed=7, today=TODAY, sizes=SMALL)
        first = fingerprint()
        empty_database()
        demo.load(seed=7, today=TODAY, sizes=SMALL)
        assert fingerprint() == first
        empty_database()
        demo.load(seed=8, today=TODAY, sizes=SMALL)
        assert fingerprint() != first


def test_demo_logins_are_marked(app):
    with app.app_context():
        summary = demo.load(seed=1, today=TODAY, sizes=SMALL)
        assert set(summary.logins) == {
            "host@demo.test",
            "rep@demo.test",
            "analyst@demo.test",
            "admin@demo.test",
        }
        host = User.by_email("host@demo.test")
        assert host.is_demo and host.check_password("demo")


def test_loading_twice_refuses_and_changes_nothing(app, runner):
    with app.app_context():
        demo.load(seed=1, today=TODAY, sizes=SMALL)
        before = db.session.scalar(select(func.count()).select_from(Visit))
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert "already loaded; nothing was changed" in result.output
    assert runner.invoke(args=["demo", "load", "--if-missing"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == before


def test_refuses_a_database_with_other_users(app):
    from tests.factories import make_user

    with app.app_context():
        make_user(role="admin")
        with pytest.raises(demo.DemoRefused, match="already has users"):
            demo.load(seed=1, today=TODAY, sizes=SMALL)


def test_world_shape(app):
    with app.app_context():
        demo.load(seed=3, today=TODAY, sizes=SMALL)
        flights = db.session.scalars(select(Flight)).all()
        assert all(0 <= f.booked_kg <= f.capacity_kg * 1.05 for f in flights)
        past = [f for f in flights if f.departs_at.date() < TODAY]
        future = [f for f in flights if f.departs_at.date() > TODAY]
        # Departed flights carry their final load; flights weeks out are still filling.
        assert sum(f.load_factor for f in past) / len(past) > 0.6
        assert sum(f.load_factor for f in future) / len(future) < 0.6
        outcomes = db.session.execute(
            select(Quote.outcome, func.count()).group_by(Quote.outcome)
        ).all()
        won = dict(outcomes)
        assert 0.2 < won["won"] / sum(won.values()) < 0.8
        theo = sorted(float(t) for t in db.session.scalars(select(Visit.theo_win)))
        top_decile = sum(theo[int(len(theo) * 0.9) :]) / sum(theo)
        assert top_decile > 0.4  # heavy tail: the top tenth of trips make most of the win


def test_demo_arrivals_posts_to_frontline_port_and_runs_twice(app, runner, monkeypatch):
    from tests.servers import LiveServer

    with app.app_context():
        demo.load(seed=3, today=TODAY, sizes=SMALL)
    with LiveServer(app) as server:
        port = server.url.rsplit(":", 1)[1]
        monkeypatch.setenv("FRONTLINE_PORT", port)
        for _run in range(2):  # the second run replaces the first run's token
            args = ["demo", "arrivals", "--rate", "20", "--duration", "0.3"]
            result = runner.invoke(args=args)
            assert result.exit_code == 0, result.output
            assert f"127.0.0.1:{port}/api/v1/events" in result.output
            assert "  202 " in result.output, result.output


def test_demo_arrivals_says_when_the_server_is_not_there(app, runner, monkeypatch):
    with app.app_context():
        demo.load(seed=3, today=TODAY, sizes=SMALL)
    monkeypatch.setenv("FRONTLINE_PORT", "9")  # discard: nothing listens there
    result = runner.invoke(args=["demo", "arrivals", "--rate", "20", "--duration", "0.2"])
    assert result.exit_code == 1
    assert "cannot reach http://127.0.0.1:9/api/v1/events" in result.output
    assert "make demo" in result.output


def test_demo_history_fills_the_evaluation_log_a_backtest_replays(app, runner):
    """Past arrivals are logged as the live path logs them: in the window, in time order, each
    with the published pack's cards under its cooldowns; a replay gives back the same cards."""
    from datetime import timedelta

    from frontline.guidance import evaluations
    from frontline.guidance.packs import published_pack
    from frontline.tables import Evaluation, IssuedCard, utcnow

    with app.app_context():
        demo.load(seed=3, today=date.today(), sizes=SMALL)
    result = runner.invoke(args=["demo", "history", "--days", "3", "--per-day", "40"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        end = utcnow()
        logged = evaluations.window("host", end - timedelta(days=3), end)
        assert len(logged) == 120 and db.session.scalar(select(func.count(IssuedCard.id))) == 0
        assert any(row.cards for row in logged)
        replayed = evaluations.replay(published_pack("host"), logged)
        assert [tuple(rule for rule, _ in shown) for shown in replayed] == [
            row.cards for row in logged
        ]
        versions = set(db.session.scalars(select(Evaluation.pack_version)))
        assert versions == {published_pack("host").version}
    again = runner.invoke(args=["demo", "history", "--days", "3", "--if-missing"])
    assert "already has history" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Evaluation.id))) == 120
