"""What a phone downloads: `python bench/phone_weight.py [--small]`.

Real Chromium (Debian's) at 390x844 against the app in this process, on the demo world with a
dozen arrivals in the host's inbox. Bytes are what the server wrote (status, headers and the
compressed bodies; the service worker's own fetches included, the open event stream not); the
baseline, from the same loads, is the same answers with their bodies uncompressed.

- host inbox, first load (cold cache, signed in): <= 40 KB
- host inbox, repeat load (a reload: static files from cache or the service worker): <= 8 KB
- card fragment (an htmx GET of a card): <= 5 KB
- capacity board page (the board's document as sent): <= 30 KB and <= 600 DOM nodes; its first
  load with the app's shared files (htmx alone is 15.6 KB as brotli) is reported beside it: those
  files are the same for every screen, and the host's first load above is held to 40 KB with them
- inbox re-reads on load: the stream's sync re-reads only an inbox that changed (expect 0)
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import brotli
import requests
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from frontline import create_app, demo  # noqa: E402
from frontline.extensions import db  # noqa: E402
from frontline.tables import Guest, IssuedCard, User  # noqa: E402
from tests.factories import arrival, make_token  # noqa: E402
from tests.servers import LiveServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking"]
DETAIL = "--detail" in sys.argv
SETTLE_MS = 1500  # after load: the stream connects, a sync (if any) re-reads the inbox


class Wire:
    """Every byte the server writes, per request (WSGI middleware): the status line, headers
    and body as sent; the open event stream is left out. Counting at the server sees what the
    service worker fetches too, which the page's DevTools does not."""

    def __init__(self, app):
        self.inner, self.sent = app.wsgi_app, []
        app.wsgi_app = self

    def __call__(self, environ, start_response):
        record = {"path": environ["PATH_INFO"], "htmx": environ.get("HTTP_HX_REQUEST") == "true"}

        def start(status, headers, exc_info=None):
            record["head"] = len(status) + 11 + sum(len(k) + len(v) + 4 for k, v in headers)
            record["encoding"] = dict((k.lower(), v) for k, v in headers).get("content-encoding")
            return start_response(status, headers, exc_info)

        body = self.inner(environ, start)
        if record["path"].endswith("/stream"):
            return body
        chunks = list(body)
        if hasattr(body, "close"):
            body.close()
        record["body"] = b"".join(chunks)
        self.sent.append(record)
        return chunks

    def reset(self):
        self.sent.clear()

    def totals(self) -> tuple[int, int]:
        """Bytes sent, and the same answers uncompressed (the baseline)."""
        wire = sum(r["head"] + len(r["body"]) for r in self.sent)
        raw = sum(r["head"] + len(_decoded(r)) for r in self.sent)
        return wire, raw

    def inbox_rereads(self) -> int:
        return sum(1 for r in self.sent if r["htmx"] and r["path"] == "/host/")


def _decoded(record) -> bytes:
    if record["encoding"] == "br":
        return brotli.decompress(record["body"])
    if record["encoding"] == "gzip":
        return gzip.decompress(record["body"])
    return record["body"]


def world(app, small: bool) -> None:
    sizes = demo.Sizes(guests=300, shippers=60, quotes=600) if small else demo.Sizes()
    with app.app_context():
        db.create_all()
        demo.load(seed=42, today=date.today(), sizes=sizes)


def post_arrivals(app, url: str, count: int = 12) -> None:
    with app.app_context():
        maya = User.by_email("host@demo.test")
        guests = db.session.scalars(
            select(Guest.external_id).where(Guest.host_id == maya.id).limit(count)
        ).all()
        token = make_token()
    for guest in guests:
        response = requests.post(
            f"{url}/api/v1/events",
            json=arrival(guest),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        response.raise_for_status()


def signed_in_cookies(browser, url: str, email: str) -> list[dict]:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda u: "/login" not in u)
    cookies = context.cookies()
    context.close()
    return cookies


def load(browser, wire: Wire, url: str, cookies: list[dict], path: str) -> dict:
    """A cold first load and a reload of `path` in a fresh phone (its own cache)."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_cookies(cookies)
    page = context.new_page()
    wire.reset()
    page.goto(f"{url}{path}")
    page.wait_for_timeout(SETTLE_MS)
    first, first_raw = wire.totals()
    document = next(r for r in wire.sent if r["path"] == path)
    if DETAIL:
        for r in wire.sent:
            print(f"  {path} first load: {r['path']:60} {r['head'] + len(r['body']):7} B")
    rereads = wire.inbox_rereads()
    nodes = page.evaluate("document.getElementsByTagName('*').length")
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")
    wire.reset()
    page.reload()
    page.wait_for_timeout(SETTLE_MS)
    repeat, repeat_raw = wire.totals()
    context.close()
    return {
        "first": first,
        "first_raw": first_raw,
        "document": document["head"] + len(document["body"]),
        "document_raw": document["head"] + len(_decoded(document)),
        "repeat": repeat,
        "repeat_raw": repeat_raw,
        "nodes": nodes,
        "rereads": rereads,
    }


def fragment_bytes(url: str, cookies: list[dict], path: str, encoding: str) -> int:
    jar = {c["name"]: c["value"] for c in cookies}
    response = requests.get(
        f"{url}{path}",
        headers={"HX-Request": "true", "Accept-Encoding": encoding},
        cookies=jar,
        stream=True,
        timeout=30,
    )
    body = response.raw.read(decode_content=False)
    head = sum(len(k) + len(v) + 4 for k, v in response.headers.items()) + 17
    return head + len(body)


def row(name: str, value: int, limit: int | None, baseline: int, unit: str = "KB") -> str:
    scale = 1024 if unit == "KB" else 1
    shown = f"{value / scale:8.1f} {unit}"
    target = f"<= {limit / scale:g} {unit}" if limit else "-"
    verdict = "" if not limit else ("ok" if value <= limit else "OVER")
    ratio = f"{value / baseline:5.2f}" if baseline else "  -  "
    base = f"{baseline / scale:8.1f} {unit}" if baseline else "       -   "
    return f"{name:34} {shown}  {target:>12}  {verdict:4}  baseline {base}  ratio {ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="a smaller demo world (faster)")
    parser.add_argument("--detail", action="store_true", help="each answer of the first loads")
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
                "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-it",
                "MODEL_DIR": f"{tmp}/models",
            }
        )
        started = time.monotonic()
        world(app, options.small)
        print(f"demo world loaded in {time.monotonic() - started:.0f} s")
        wire = Wire(app)
        with LiveServer(app) as server, sync_playwright() as playwright:
            post_arrivals(app, server.url)
            with app.app_context():
                maya = User.by_email("host@demo.test")
                card = db.session.scalar(
                    select(IssuedCard.id).where(IssuedCard.assignee_id == maya.id).limit(1)
                )
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            host = signed_in_cookies(browser, server.url, "host@demo.test")
            rep = signed_in_cookies(browser, server.url, "rep@demo.test")
            inbox = load(browser, wire, server.url, host, "/host/")
            board = load(browser, wire, server.url, rep, "/rep/board")
            card_wire = fragment_bytes(server.url, host, f"/host/cards/{card}", "br, gzip")
            card_raw = fragment_bytes(server.url, host, f"/host/cards/{card}", "identity")
            browser.close()
    print("\nPhone weight at 390x844 (Chromium; baseline: the same bytes uncompressed)\n")
    print(row("host inbox, first load", inbox["first"], 40 * 1024, inbox["first_raw"]))
    print(row("host inbox, repeat load", inbox["repeat"], 8 * 1024, inbox["repeat_raw"]))
    print(row("card fragment", card_wire, 5 * 1024, card_raw))
    print(row("capacity board page", board["document"], 30 * 1024, board["document_raw"]))
    print(row("capacity board, first load", board["first"], None, board["first_raw"]))
    print(row("capacity board DOM nodes", board["nodes"], 600, 0, unit="nodes"))
    print(row("inbox re-reads right after load", inbox["rereads"], 0, 0, unit="req"))


if __name__ == "__main__":
    main()
