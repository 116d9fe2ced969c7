"""The ASGI app around Flask (frontline/asgi.py), driven in-process."""

import re
import warnings

from tests.servers import run_loop

with warnings.catch_warnings():  # gunicorn's plugin import hook warns on Python 3.11
    warnings.simplefilter("ignore", ImportWarning)
    from frontline.asgi import Frontline


def call(app: Frontline, method: str, path: str) -> dict:
    """The response start message of one request (its headers as a dict)."""
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"127.0.0.1")], "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
    }  # fmt: skip
    run_loop(app(scope, receive, send))
    start = sent[0]
    return {"status": start["status"], **{k.decode(): v.decode() for k, v in start["headers"]}}


def test_a_refusal_says_how_long_the_worker_took_to_give_it(app):
    """A 503 carries the worker's own time (Server-Timing), apart from the client's connect."""
    frontline = Frontline(app, threads=1, api_threads=1)
    frontline.api.busy = frontline.api.limit  # the API pool is full
    answer = call(frontline, "POST", "/api/v1/events")
    assert answer["status"] == 503 and answer["retry-after"]
    assert re.fullmatch(r"app;dur=\d+\.\d\d", answer["server-timing"])
    assert float(answer["server-timing"].split("=")[1]) < 100


def test_an_ordinary_answer_carries_no_timing(app):
    """Phones pay for every header byte: only refusals are timed."""
    answer = call(Frontline(app, threads=1, api_threads=1), "GET", "/login")
    assert answer["status"] == 200 and "server-timing" not in answer
