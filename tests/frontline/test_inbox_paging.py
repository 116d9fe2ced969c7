"""A host with more open alerts than one screen holds is told the real count and can page on
(issue 15: the inbox said "200 open alerts" to a host who had 397)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import insert

from frontline.extensions import db
from frontline.tables import IssuedCard, utcnow
from tests.factories import make_guest, make_user

OPEN = 397


def many_open_alerts(app) -> None:
    with app.app_context():
        host = make_user(role="host", email="maya@example.test")
        guest = make_guest(host=host)
        now = utcnow()
        rows = [
            {
                "audience": "host", "subject_type": "guest", "subject_id": guest.id,
                "rule_id": "service-recovery", "rule_title": "Service recovery",
                "pack_id": "host-arrivals", "pack_version": "v1", "priority": 90,
                "headline": f"Alert {n}", "actions": ["acknowledge", "done"],
                "assignee_id": host.id, "created_at": now - timedelta(minutes=n),
            }
            for n in range(OPEN)
        ]  # fmt: skip
        db.session.execute(insert(IssuedCard), rows)
        db.session.commit()


def shown_ids(html: str) -> list[str]:
    return re.findall(r'data-card-id="(\d+)"', html)


def test_the_inbox_says_the_real_count_and_pages_on(app, client, auth):
    many_open_alerts(app)
    auth.post_login("maya@example.test", "pw-for-tests")
    first = client.get("/host/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert len(shown_ids(first)) == 200
    assert 'data-open-count="397"' in first and "397 open alerts, the newest 200 shown" in first
    more = re.search(r'href="([^"]+)" data-show-more>Show 197 more of 197 older', first)
    assert more, first
    everything = client.get(more.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(set(shown_ids(everything))) == OPEN and "data-show-more" not in everything
    # The stream's version is the whole inbox's; the re-read it triggers keeps the longer page.
    assert "limit=400" in re.search(r'id="inbox"[^>]*hx-get="([^"]+)"', everything).group(1)


def test_an_empty_inbox_says_none_are_open_and_offers_no_more(app, client, auth):
    with app.app_context():
        make_user(role="host", email="maya@example.test")
    auth.post_login("maya@example.test", "pw-for-tests")
    html = client.get("/host/").get_data(as_text=True)
    assert 'data-open-count="0"' in html and "data-show-more" not in html
