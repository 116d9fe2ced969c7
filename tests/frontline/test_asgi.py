"""The ASGI app around Flask (frontline/asgi.py), driven in-process."""

import json
import re
import warnings

from frontline import push
from tests.servers import run_loop

with warnings.catch_warnings():  # gunicorn's plugin import hook warns on Python 3.11
    warnings.simplefilter("ignore", ImportWarning)
    from frontline.asgi import Frontline


def call(
    app: Frontline, method: str, path: str, body: bytes = b"", headers=(), query: bytes = b""
) -> dict:
    """The answer to one request: its status, its headers, and its body under "body"."""
    sent: list[dict] = []
    parts = [body[i : i + 1000] for i in range(0, len(body), 1000)] or [b""]

    async def receive() -> dict:
        if not parts:  # the client is gone once it has sent everything
            return {"type": "http.disconnect"}
        part = parts.pop(0)
        return {"type": "http.request", "body": part, "more_body": bool(parts)}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
        "root_path": "", "headers": [(b"host", b"127.0.0.1"), *headers],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
    }  # fmt: skip
    run_loop(app(scope, receive, send))
    start, answer = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    return {
        "status": start["status"],
        **{k.decode(): v.decode() for k, v in start["headers"]},
        "body": answer.decode(),
    }


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


def test_a_request_body_in_several_parts_reaches_flask_whole(app):
    """The loop reads the body before the request takes a thread: a JSON event sent in
    pieces arrives whole (here: checked, and refused for its unknown token)."""
    body = json.dumps({"id": "e1", "note": "x" * 5000}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    answer = call(Frontline(app, threads=1, api_threads=1), "POST", "/api/v1/events", body, headers)
    assert answer["status"] == 401 and "token" in answer["body"].lower()


def test_a_body_larger_than_the_app_takes_is_refused_before_flask(app):
    app.config["MAX_CONTENT_LENGTH"] = 2500
    answer = call(Frontline(app, threads=1, api_threads=1), "POST", "/login", b"x" * 3000)
    assert answer["status"] == 413 and "too large" in answer["body"]


def test_only_a_get_opens_a_stream(app):
    """A POST to a stream route with a good ticket is Flask's to answer (405), not a stream."""
    frontline = Frontline(app, threads=1, api_threads=1)
    with app.app_context():
        ticket = push.ticket(1, "a-session")
    query = f"t={ticket}".encode()
    stream = call(frontline, "GET", "/host/stream", query=query)
    assert stream["status"] == 200 and stream["x-content-type-options"] == "nosniff"
    assert stream["cross-origin-resource-policy"] == "same-origin"
    assert call(frontline, "POST", "/host/stream", query=query)["status"] == 405
