"""The collector behind every browser test: a screen a test shows is checked as it was shown."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SCREENS, sign_in
from tests.browser.test_phone_login import demo_world  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_screen_changed_after_load_is_checked_and_its_violation_named(
    request,
    phone,
    live_server,
    demo_world,  # noqa: F811
):
    sign_in(phone, live_server.url, "host@demo.test")
    phone.wait_for_url(f"{live_server.url}/host/")
    phone.evaluate("document.querySelector('main').append(document.createElement('input'))")
    phone.wait_for_timeout(200)
    screens = request.node.stash[SCREENS]
    urls = {screen.url for screen in screens.visited.values()}
    assert {f"{live_server.url}/login", f"{live_server.url}/host/"} <= urls
    failures = screens.failures({})
    screens.visited.clear()  # checked here: the hook after the test has nothing left to fail on
    assert len(failures) == 1, failures
    assert failures[0].startswith(f"{live_server.url}/host/ (after a change): label (critical):")
    assert "#main > input" in failures[0]  # the element, by selector and markup
