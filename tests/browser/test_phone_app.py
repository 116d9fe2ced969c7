"""The phone as an app (issue 14): taps kept offline and sent once, the network's state, an
expired session mid-tap, error pages, installability, the offline shell, Web Push, and axe."""

import json
import re

import pytest
import requests
from sqlalchemy import select

from frontline.extensions import db
from frontline.push import web
from frontline.tables import CardAction, IssuedCard, UserSession
from tests.browser.axe import assert_accessible
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, screenshot, sign_in
from tests.factories import (
    arrival,
    make_guest,
    make_shift,
    make_token,
    make_user,
    make_visit,
    make_zone,
)
from tests.push_service import PushService, b64encode

pytestmark = pytest.mark.browser


@pytest.fixture
def floor(app, live_server):
    """Maya (host, on shift) and her guest Ava, whose arrival makes a card through the API."""
    keys = web.generate_keys()
    app.config.update(VAPID_PRIVATE_KEY=keys["private_key"], VAPID_PUBLIC_KEY=keys["public_key"])
    with app.app_context():
        make_zone()
        host = make_user(role="host", email="maya@example.test", password="demo")
        make_shift(host)
        guest = make_guest(host=host, external_id="G1", name="Ava Walsh")
        make_visit(guest, days_ago=15, rating=2, complaint="Room not ready at check-in.")
        other = make_guest(host=host, external_id="G2", name="Ben Okafor")
        make_visit(other, days_ago=20, rating=1, complaint="Cold food.")
        token = make_token()
    response = requests.post(
        f"{live_server.url}/api/v1/events",
        json=arrival("G1"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    with app.app_context():
        card_id = db.session.scalar(select(IssuedCard.id))
    return {"card": card_id, "token": token, "vapid": keys}


def until(page, expression: str, seconds: float = 10) -> None:
    """Poll an expression through DevTools (wait_for_function may eval, which the CSP refuses)."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {seconds} s: {expression}")


def taps(app, card_id: int) -> list[tuple[str, str | None]]:
    """The card's taps in order (not "seen": the scoreboard counts the card being viewed)."""
    with app.app_context():
        rows = db.session.execute(
            select(CardAction.action, CardAction.tap_id)
            .where(CardAction.card_id == card_id, CardAction.action != "seen")
            .order_by(CardAction.id)
        )
        return [(action, tap_id) for action, tap_id in rows]


def open_card(phone, live_server, floor) -> None:
    sign_in(phone, live_server.url, "maya@example.test")
    phone.wait_for_url(f"{live_server.url}/host/")
    phone.goto(f"{live_server.url}/host/cards/{floor['card']}")
    phone.get_by_role("heading", name="Ava Walsh").wait_for()


def test_a_tap_offline_waits_on_the_phone_and_is_recorded_once(phone, app, live_server, floor):
    open_card(phone, live_server, floor)
    phone.context.set_offline(True)
    phone.get_by_role("button", name="Acknowledge").click()
    banner = phone.locator("#netstate")
    banner.filter(has_text="1 tap waiting").wait_for()
    assert re.fullmatch(r"Offline since \d\d:\d\d · 1 tap waiting", banner.inner_text().strip())
    screenshot(phone, "phone-offline-tap-waiting")
    assert taps(app, floor["card"]) == [("issued", None)]  # nothing reached the server

    phone.context.set_offline(False)
    banner.wait_for(state="hidden")
    phone.locator(".status", has_text="Acknowledged").wait_for()
    screenshot(phone, "phone-tap-sent")
    recorded = taps(app, floor["card"])
    assert [action for action, _ in recorded] == ["issued", "acknowledge"]
    assert recorded[1][1]  # the phone's own id for the tap
    # The network flaps again: nothing is sent twice.
    phone.context.set_offline(True)
    phone.context.set_offline(False)
    phone.wait_for_timeout(500)
    assert phone.evaluate("localStorage.getItem('frontline:taps')") == "[]"
    assert len(taps(app, floor["card"])) == 2
    assert_accessible(phone)


def test_the_inbox_says_when_it_was_updated_and_since_when_it_is_offline(phone, live_server, floor):
    sign_in(phone, live_server.url, "maya@example.test")
    phone.wait_for_url(f"{live_server.url}/host/")
    phone.locator("#freshness", has_text="Updated just now").wait_for()
    until(phone, "navigator.serviceWorker.controller !== null")
    phone.reload()  # through the service worker: the inbox is kept on the phone
    phone.locator(".alert", has_text="Ava Walsh").wait_for()
    phone.context.set_offline(True)
    phone.locator("#netstate", has_text="Offline since").wait_for()
    freshness = phone.locator("#freshness").inner_text()
    assert re.fullmatch(r"Offline since \d\d:\d\d · showing the inbox of \d\d:\d\d", freshness)
    screenshot(phone, "phone-inbox-offline")
    assert_accessible(phone)

    phone.reload()  # offline: the last inbox from the phone, not the browser's error page
    phone.locator(".alert", has_text="Ava Walsh").wait_for()
    phone.goto(f"{live_server.url}/host/cards/{floor['card'] + 1000}")  # never opened: the shell
    phone.get_by_role("heading", name="No network").wait_for()
    screenshot(phone, "phone-offline-shell")
    assert_accessible(phone)
    phone.context.set_offline(False)


def test_an_expired_session_mid_tap_signs_in_again_and_keeps_the_tap(
    phone, app, live_server, floor
):
    open_card(phone, live_server, floor)
    with app.app_context():
        db.session.execute(db.delete(UserSession))
        db.session.commit()
    phone.get_by_role("button", name="Acknowledge").click()
    phone.wait_for_url(re.compile(r"/login\?next="))
    assert phone.locator("#card").count() == 0  # the whole page moved, not a login in the card
    assert "Please sign in" in phone.locator("#messages").inner_text()
    phone.locator("#netstate", has_text="1 tap waiting: sent once you sign in").wait_for()
    screenshot(phone, "phone-session-expired")
    assert_accessible(phone)
    phone.get_by_label("E-mail").fill("maya@example.test")
    phone.get_by_label("Password").fill("demo")
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url(f"{live_server.url}/host/cards/{floor['card']}")
    phone.locator(".status", has_text="Acknowledged").wait_for()
    assert [a for a, _ in taps(app, floor["card"])] == ["issued", "acknowledge"]


def test_errors_are_pages_with_a_way_home(phone, live_server, floor):
    sign_in(phone, live_server.url, "maya@example.test")
    phone.wait_for_url(f"{live_server.url}/host/")
    answer = phone.goto(f"{live_server.url}/host/cards/999999")
    assert answer.status == 404
    phone.get_by_role("heading", name="404 · Not Found").wait_for()
    screenshot(phone, "phone-404")
    assert_accessible(phone)
    answer = phone.goto(f"{live_server.url}/admin/")
    assert answer.status == 403
    phone.get_by_role("heading", name="403 · Forbidden").wait_for()
    assert_accessible(phone)
    phone.get_by_role("link", name="Back to your home page").click()
    phone.wait_for_url(f"{live_server.url}/host/")


def test_a_refused_tap_says_what_happened_and_offers_a_retry(phone, app, live_server, floor):
    open_card(phone, live_server, floor)
    with app.app_context():  # the card moved to someone else meanwhile
        db.session.get(IssuedCard, floor["card"]).assignee_id = None
        db.session.commit()
    phone.get_by_role("button", name="Acknowledge").click()
    failure = phone.locator("#failure")
    failure.wait_for()
    assert "Not found (404)" in failure.inner_text()
    assert phone.get_by_role("button", name="Retry").is_visible()
    screenshot(phone, "phone-refused-tap")
    assert_accessible(phone)


def test_the_app_installs_and_its_worker_serves_the_shell(browser, live_server, floor, tmp_path):
    """In a profile of its own: Chromium never offers to install from an incognito context."""
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        phone = context.new_page()
        sign_in(phone, live_server.url, "maya@example.test")
        phone.wait_for_url(f"{live_server.url}/host/")
        until(phone, "navigator.serviceWorker.controller !== null")
        cdp = context.new_cdp_session(phone)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [] and json.loads(manifest["data"])["name"] == "Frontline"
        cached = phone.evaluate(
            "caches.keys().then(names => Promise.all(names.map(n => caches.open(n)"
            ".then(c => c.keys()).then(keys => keys.map(k => new URL(k.url).pathname)))))"
            ".then(a => a.flat())"
        )
        assert "/offline" in cached and any(p.startswith("/static/css/app.") for p in cached)
        screenshot(phone, "phone-installable-inbox")
    finally:
        context.close()


def test_a_push_reaches_the_phone_and_opens_the_card(phone, app, live_server, floor):
    """Chromium without Google's push service cannot subscribe (it says so, checked below); the
    device subscribes through the app's own endpoint with keys made here, the local push service
    decrypts what the server sent, and DevTools hands it to the service worker as the phone's
    push service would."""
    app.config.update(WEBPUSH_SERVICES=("127.0.0.1",), WEBPUSH_ALLOW_HTTP=True)
    phone.context.grant_permissions(["notifications"], origin=live_server.url)
    sign_in(phone, live_server.url, "maya@example.test")
    phone.wait_for_url(f"{live_server.url}/host/")
    until(phone, "navigator.serviceWorker.controller !== null")
    toggle = phone.get_by_role("button", name="Lock-screen alerts")
    toggle.wait_for()
    toggle.click()
    phone.locator("#failure", has_text="could not be turned on").wait_for()  # no push service

    with PushService(floor["vapid"]["public_key"]) as service:
        device = service.device("maya-phone")
        status = phone.evaluate(
            """([endpoint, p256dh, auth]) => fetch('/phone/push-subscription', {
                 method: 'POST', body: new URLSearchParams({endpoint, p256dh, auth}),
                 headers: {'X-CSRFToken':
                   JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']}})
               .then(r => r.status)""",
            [service.endpoint("maya-phone"), device.p256dh(), b64encode(device.auth)],
        )
        assert status == 204
        response = requests.post(
            f"{live_server.url}/api/v1/events",
            json=arrival("G2"),
            headers={"Authorization": f"Bearer {floor['token']}"},
            timeout=10,
        )
        assert response.status_code == 202
        assert app.extensions["webpush"].wait()
    assert service.refused == []
    [delivery] = service.delivered
    assert delivery.payload["title"] == "Ben Okafor"

    deliver_push(phone, live_server, delivery.payload)
    shown = None
    for _ in range(100):  # the worker shows it asynchronously
        shown = phone.evaluate(
            "navigator.serviceWorker.ready.then(r => r.getNotifications())"
            ".then(list => list.map(n => [n.title, n.body, n.data.url]))"
        )
        if shown:
            break
        phone.wait_for_timeout(100)
    assert shown == [["Ben Okafor", delivery.payload["body"], delivery.payload["url"]]]


def test_small_links_are_thumb_sized(phone, app, live_server, floor):
    """44 px at least: "← Inbox", "Why this card", the rep's tabs (they were 22-40 px)."""
    open_card(phone, live_server, floor)
    summaries = phone.locator(".why-more summary")
    targets = [phone.get_by_role("link", name="← Inbox"), summaries.first]
    for target in targets:
        assert target.bounding_box()["height"] >= 44, target
    with app.app_context():
        make_user(role="rep", email="ravi@example.test", password="demo")
    phone.context.clear_cookies()
    sign_in(phone, live_server.url, "ravi@example.test")
    phone.wait_for_url(f"{live_server.url}/rep/")
    tabs = phone.locator(".tabs a")
    assert tabs.count() == 5  # Inbox, Capacity, Quotes, Market, Customers
    for index in range(tabs.count()):
        assert tabs.nth(index).bounding_box()["height"] >= 44
    screenshot(phone, "phone-rep-tabs")
    assert_accessible(phone)


def test_a_refusal_says_the_servers_reason(phone, app, live_server, floor):
    open_card(phone, live_server, floor)
    phone.evaluate(  # the form's CSRF token went stale (another tab signed in again, say)
        "document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'stale');"
        "document.body.setAttribute('hx-headers', JSON.stringify({'X-CSRFToken': 'stale'}))"
    )
    phone.get_by_role("button", name="Acknowledge").click()
    failure = phone.locator("#failure")
    failure.wait_for()
    assert "Refused by the server (400): This form has expired" in failure.inner_text()
    assert taps(app, floor["card"]) == [("issued", None)]


#: A tap on a notification, made in the service worker. No browser lets a test make a real one
#: (DevTools has no command for it; web-platform-tests/wpt#51125 asks for one), so the event is
#: made by script. Such an event's waitUntil throws (only the browser's own events may extend
#: themselves): the handler's promise is kept instead, and awaited here. The handler itself,
#: the notification it closes and the windows it reaches are Chromium's own.
TAP_THE_NOTIFICATION = """async (noTabs) => {
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let i = 0; noTabs && i < 100; i++) {  // until the app's last tab has left
    const tabs = await self.clients.matchAll({type: "window", includeUncontrolled: true});
    if (tabs.length === 0) break;
    await pause(100);
  }
  const [notification] = await self.registration.getNotifications();
  const event = new NotificationEvent("notificationclick", {notification});
  const kept = [];
  Object.defineProperty(event, "waitUntil", {value: (promise) => kept.push(promise)});
  const opened = [];
  const openWindow = Clients.prototype.openWindow;
  self.clients.openWindow = (url) => (opened.push(url), openWindow.call(self.clients, url));
  try {
    self.dispatchEvent(event);
    const late = pause(15000).then(() => { throw new Error("no answer in 15 s"); });
    const settled = await Promise.allSettled(kept.map((p) => Promise.race([p, late])));
    return {
      settled: settled.map((s) =>
        s.status === "fulfilled" ? "done" : s.reason.name + ": " + s.reason.message),
      opened,
      left: (await self.registration.getNotifications()).length,
    };
  } finally {
    delete self.clients.openWindow;
  }
}"""


def deliver_push(phone, live_server, payload: dict) -> None:
    """Hand PAYLOAD to the page's service worker as a push message, as the push service would
    (Chromium's DevTools protocol; the worker decides what to show)."""
    cdp = phone.context.new_cdp_session(phone)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    scope = phone.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    for _ in range(100):  # DevTools reports the registration when it gets to it (slower when busy)
        ids = [r["registrationId"] for r in registrations if r["scopeURL"] == scope]
        if ids:
            break
        phone.wait_for_timeout(100)
    else:
        raise AssertionError(f"DevTools reported no service worker registration for {scope}")
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live_server.url, "registrationId": ids[0], "data": json.dumps(payload)},
    )


def show_pushed_card(phone, app, live_server, card_id: int) -> dict:
    """The server's payload for the card, handed to the worker as the push service would; the
    worker shows it. Returns the payload."""
    with app.app_context():
        payload = web.notification(db.session.get(IssuedCard, card_id))
    deliver_push(phone, live_server, payload)
    until(
        phone,
        "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(l => l.length === 1)",
    )
    return payload


def signed_in_with_a_pushed_card(phone, app, live_server, card_id: int) -> dict:
    """Maya signed in on her phone (notifications allowed, the worker in control) with the
    notification of CARD_ID shown. Returns its payload."""
    phone.context.grant_permissions(["notifications"], origin=live_server.url)
    sign_in(phone, live_server.url, "maya@example.test")
    phone.wait_for_url(f"{live_server.url}/host/")
    until(phone, "navigator.serviceWorker.controller !== null")
    return show_pushed_card(phone, app, live_server, card_id)


def test_a_tap_on_the_notification_opens_the_card_in_the_open_tab(phone, app, live_server, floor):
    payload = signed_in_with_a_pushed_card(phone, app, live_server, floor["card"])
    assert payload["url"] == f"/host/cards/{floor['card']}"

    [worker] = phone.context.service_workers
    tapped = worker.evaluate(TAP_THE_NOTIFICATION, False)
    phone.wait_for_url(
        f"{live_server.url}{payload['url']}", timeout=5000
    )  # the inbox tab, to the card
    phone.get_by_role("heading", name="Ava Walsh").wait_for()
    assert tapped["left"] == 0 and tapped["opened"] == []  # closed; no second window
    # The tab is navigated, then focused: Chromium lets a worker focus a window only during a
    # real tap, so here (and only here) focus() is refused; on a phone the tab comes forward.
    assert tapped["settled"] == ["InvalidAccessError: Not allowed to focus a window."]
    screenshot(phone, "phone-notification-opened-card")


def test_a_tap_on_the_notification_with_no_tab_open_opens_one(phone, app, live_server, floor):
    payload = signed_in_with_a_pushed_card(phone, app, live_server, floor["card"])
    # The app's last tab leaves while the worker is busy with the tap (an idle worker with no
    # tab may be stopped under it): the tap waits until no Frontline tab is left.
    [worker] = phone.context.service_workers
    phone.evaluate("setTimeout(() => { location.href = 'about:blank'; }, 300)")
    tapped = worker.evaluate(TAP_THE_NOTIFICATION, True)
    assert tapped["opened"] == [f"{live_server.url}{payload['url']}"] and tapped["left"] == 0
    # openWindow, like focus, needs a real tap in Chromium: asked from a script it is refused.
    assert tapped["settled"] == ["InvalidAccessError: Not allowed to open a window."]
