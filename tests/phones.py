"""A host's phone over real HTTP: sign in, hold the push stream, read the inbox like htmx does."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import requests

from tests.servers import read_events

CARD_ID = re.compile(r'data-card-id="(\d+)"')
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Phone:
    def __init__(self, base_url: str, email: str, password: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        page = self.session.get(f"{base_url}/login", timeout=10).text
        token = CSRF.search(page).group(1)
        response = self.session.post(
            f"{base_url}/login",
            data={"email": email, "password": password, "csrf_token": token},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 303, response.text

    def inbox_ids(self) -> list[int]:
        """The card ids the inbox fragment shows, in order (what htmx swaps in on a signal)."""
        response = self.session.get(
            f"{self.base_url}/host/", headers={"HX-Request": "true"}, timeout=10
        )
        response.raise_for_status()
        return [int(i) for i in CARD_ID.findall(response.text)]

    def listen(self, on_event: Callable, stop: threading.Event) -> threading.Thread:
        """Hold the stream in a thread, calling `on_event(event)` for each event until `stop`."""
        response = self.session.get(f"{self.base_url}/host/stream", stream=True, timeout=(5, 60))

        def run() -> None:
            try:
                for event in read_events(response):
                    if stop.is_set():
                        break
                    on_event(event)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                pass  # the stream was cut
            finally:
                response.close()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self.session.close()
