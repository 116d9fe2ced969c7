"""Real Chromium (Debian's) driven by Playwright at a phone viewport, against a live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
