"""Real Chromium (Debian's) driven by Playwright at a phone viewport, against a live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.screens import Screens
from tests.conftest import ARTIFACTS, required
from tests.servers import LiveServer

CHROMIUM = os.environ.get("FRONTLINE_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Every page reports what its Content-Security-Policy blocked (issue 15: the listener finds none).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.frontlineCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"}` +
      ` at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if required("browser"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


#: Screens checked by axe-core this session, by shape: their violations (none, mostly).
CHECKED: dict[tuple, list[str]] = {}
SCREENS = pytest.StashKey[Screens]()
VISITED: list[tuple] = []


@pytest.fixture(autouse=True)
def every_screen_checked(request, browser, monkeypatch):
    """Every context a test opens records the screens it shows; axe checks them after the test
    (see screens.py and pytest_runtest_call below)."""
    from playwright.sync_api import Browser, BrowserType

    new_context, persistent = Browser.new_context, BrowserType.launch_persistent_context
    screens = request.node.stash[SCREENS] = Screens(browser, new_context)

    def watched_context(self, *args, **kwargs):
        context = new_context(self, *args, **kwargs)
        screens.watch(context)
        return context

    def watched_profile(self, *args, **kwargs):
        context = persistent(self, *args, **kwargs)
        screens.watch(context)
        return context

    monkeypatch.setattr(Browser, "new_context", watched_context)
    monkeypatch.setattr(BrowserType, "launch_persistent_context", watched_profile)
    return screens


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test that passed fails if a screen it visited has axe-core violations."""
    result = yield
    screens = item.stash.get(SCREENS, None)
    if screens is not None:
        failures = screens.failures(CHECKED)
        VISITED.extend((item.nodeid, s.url, s.why, s.width) for s in screens.visited.values())
        if failures:
            raise AssertionError("axe-core found violations on:\n" + "\n".join(failures))
    return result


def pytest_sessionfinish(session):
    """The list of screens axe checked, for a reader who wants to see the collector saw them."""
    if VISITED:
        path = ARTIFACTS / "axe-screens.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join("\t".join(map(str, row)) + "\n" for row in VISITED))


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def phone(browser):
    """A fresh phone-sized browser context (its own cookies)."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    violations: list[str] = []
    context.expose_binding("frontlineCspViolation", lambda _source, text: violations.append(text))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not violations, f"the page broke its Content-Security-Policy: {violations}"


#: How many lines an element's text takes.
LINES = """el => { const range = document.createRange(); range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }"""


def screenshot(page, name: str) -> Path:
    """Save what the browser showed under test-artifacts/screenshots/ (git-ignored)."""
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=False)
    return path


def sign_in(page, base_url: str, email: str, password: str = "demo") -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
