"""A card counts as seen once per person: opened, or shown on screen in the inbox."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from frontline.extensions import db
from frontline.tables import CardAction, IssuedCard
from tests.conftest import csrf_from
from tests.factories import make_guest


def seen_taps(app, card_id: int) -> int:
    with app.app_context():
        query = select(func.count()).where(
            CardAction.card_id == card_id, CardAction.action == "seen"
        )
        return db.session.scalar(query)


def test_opening_a_card_and_the_inbox_showing_it_count_once(app, client, auth):
    auth.login("host", email="h@example.test")
    with app.app_context():
        from frontline.demo import scoreboard
        from frontline.tables import User

        make_guest(User.by_email("h@example.test"))
        scoreboard.fill(days=1, per_day=5, seed=1)
        card_id = db.session.scalar(select(IssuedCard.id).order_by(IssuedCard.id).limit(1))
        db.session.execute(delete(CardAction).where(CardAction.card_id == card_id))
        db.session.commit()
    inbox = client.get("/host/").get_data(as_text=True)
    assert client.get(f"/host/cards/{card_id}").status_code == 200
    assert client.get(f"/host/cards/{card_id}").status_code == 200
    answer = client.post(f"/host/cards/{card_id}/seen", headers={"X-CSRFToken": csrf_from(inbox)})
    assert answer.status_code == 204
    assert seen_taps(app, card_id) == 1
    assert (
        client.post(
            "/host/cards/999999/seen", headers={"X-CSRFToken": csrf_from(inbox)}
        ).status_code
        == 404
    )
