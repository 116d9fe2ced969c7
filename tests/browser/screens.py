"""Every screen the browser tests visit, checked by axe-core in the state the test saw.

Each browser context the tests open (`browser.new_context`, persistent profiles too) gets a
script that copies the page whenever its structure changes: on load, after every htmx swap or
live update, before the page is left. A copy keeps what the person saw (classes, open details,
typed values) without its scripts. After the test, each copy not checked before in the session
is served again at its own URL (the live server's CSS and images) in a fresh context of the
same size and axe-core runs on it; a violation fails the test that visited the screen.

Two copies are the same screen when their shape is: tags, ids, classes, roles and ARIA
attributes, which elements hold text, digits ignored (card 12 and card 13 are one screen).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag

from tests.browser import axe

#: Runs in every page: sends `frontlineScreen` a copy whenever the page's shape changes.
RECORDER = r"""
(() => {
  if (window.top !== window || !/^https?:$/.test(location.protocol)) return;
  let sent = "";
  let timer = 0;
  const NOTED = /^(role|aria-|hidden$|open$|disabled$|type$|alt$|for$|lang$|inert$)/;
  const classes = (el) => [...el.classList].filter((c) => !c.startsWith("htmx-")).sort();
  function shape(el, out) {
    let line = el.tagName + (el.id ? "#" + el.id : "") + "." + classes(el).join(".");
    for (const a of el.attributes) {
      const valued = a.name === "role" || a.name === "type";
      if (NOTED.test(a.name)) line += "[" + a.name + (valued ? "=" + a.value : "") + "]";
    }
    for (const child of el.childNodes) {
      if (child.nodeType === 3 && child.data.trim()) { line += "~"; break; }
    }
    out.push(line.replace(/\d+/g, "0"));
    for (const child of el.children) shape(child, out);
    out.push("/");
    return out;
  }
  function hash(text) {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
    return (h >>> 0).toString(16) + ":" + text.length;
  }
  function copy() {
    const live = document.documentElement;
    const clone = live.cloneNode(true);
    const fields = live.querySelectorAll("input, textarea, select");
    clone.querySelectorAll("input, textarea, select").forEach((el, i) => {
      const real = fields[i];
      if (el.tagName === "TEXTAREA") el.textContent = real.value;
      else if (el.tagName === "SELECT") {
        [...el.options].forEach((o, j) => o.toggleAttribute("selected", real.options[j].selected));
      } else if (el.type === "checkbox" || el.type === "radio") {
        el.toggleAttribute("checked", real.checked);
      } else if (el.type !== "password" && el.type !== "file") el.setAttribute("value", real.value);
    });
    clone.querySelectorAll("script").forEach((el) => el.remove());
    clone.querySelectorAll("[class*='htmx-']").forEach((el) => {
      [...el.classList].filter((c) => c.startsWith("htmx-")).forEach((c) => el.classList.remove(c));
    });
    return "<!DOCTYPE html>\n" + clone.outerHTML;
  }
  function record(why) {
    clearTimeout(timer);
    timer = 0;
    if (document.readyState === "loading" || typeof window.frontlineScreen !== "function") return;
    const key = hash(shape(document.documentElement, []).join("\n"));
    if (key === sent) return;
    sent = key;
    window.frontlineScreen({
      url: location.href, key, why, html: copy(),
      width: window.innerWidth, height: window.innerHeight,
    });
  }
  const soon = (why) => { if (!timer) timer = setTimeout(() => record(why), 30); };
  new MutationObserver(() => soon("a change")).observe(document, {
    subtree: true, childList: true, attributes: true,
  });
  document.addEventListener("DOMContentLoaded", () => record("load"));
  document.addEventListener("htmx:afterSettle", () => record("an htmx swap"));
  window.addEventListener("pagehide", () => record("leaving"));
})();
"""


@dataclass
class Screen:
    url: str
    key: str
    why: str
    html: str
    width: int
    height: int


@dataclass
class Screens:
    """The screens one test visited (first copy of each shape), and the checks' results."""

    browser: object
    new_context: object  # Browser.new_context itself: the checks' own contexts are not watched
    visited: dict[tuple, Screen] = field(default_factory=dict)

    def watch(self, context) -> None:
        context.expose_binding("frontlineScreen", lambda _source, data: self.record(data))
        context.add_init_script(RECORDER)

    def record(self, data: dict) -> None:
        screen = Screen(**{**data, "url": urldefrag(data["url"]).url})
        self.visited.setdefault(screen_key(screen), screen)

    def failures(self, results: dict[tuple, list[str]]) -> list[str]:
        """Check the screens not yet checked this session; one line per screen that fails.

        The test's pages are still open and may send more copies while these checks run (a
        live update, say): they are checked too, for a few rounds."""
        for _round in range(5):
            unchecked = [s for k, s in list(self.visited.items()) if k not in results]
            for size in {(s.width, s.height) for s in unchecked}:
                self.check_all([s for s in unchecked if (s.width, s.height) == size], results)
        return [
            f"{screen.url} (after {screen.why}): " + "; ".join(results[key])
            for key, screen in list(self.visited.items())
            if results.get(key)
        ]

    def check_all(self, screens: list[Screen], results: dict[tuple, list[str]]) -> None:
        """axe-core on screens of one size, in a fresh context of that size."""
        width, height = screens[0].width, screens[0].height
        phone = width < 600  # a phone's media queries (touch, no hover) as the test had them
        context = self.new_context(
            self.browser,
            viewport={"width": width, "height": height},
            is_mobile=phone,
            has_touch=phone,
        )
        try:
            page = context.new_page()
            for screen in screens:
                results[screen_key(screen)] = check(page, screen)
        finally:
            context.close()


def screen_key(screen: Screen) -> tuple:
    path = urldefrag(screen.url).url.split("?")[0]
    return (re.sub(r"\d+", "0", path), screen.key, screen.width)


def check(page, screen: Screen) -> list[str]:
    """axe-core on the copy, served at its own URL with the app's own static files."""

    def serve(route) -> None:
        if route.request.resource_type == "document":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=screen.html)
        else:
            route.continue_()

    page.route("**/*", serve)
    try:
        page.goto(screen.url, wait_until="load")
        return axe.violations(page)
    finally:
        page.unroute("**/*", serve)
