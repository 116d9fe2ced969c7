"""The one place that decides between a whole page and the fragment htmx asked for."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Response,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    request,
)
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    """True for an htmx request that wants a fragment (not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render the page, or only `block` of it for htmx; the answer varies on HX-Request.

    A fragment carries the messages out of band (`partials/messages.html`) when there are any,
    so what a view flashed shows with the swap it belongs to, and a live re-read in the
    background never wipes a message the person has not read (the page clears old messages when
    the person taps: `static/js/app.js`). Its template sees `fragment` (true), so it may add
    out-of-band parts of its own.
    """
    if block and is_htmx():
        html = render_block(template, block, fragment=True, **context)  # screens: OOB parts
        if get_flashed_messages():  # kept for the request: the partial reads them again
            html += render_template("partials/messages.html", oob=True)
    else:
        html = render_template(template, **context)
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response


def current_page() -> str:
    """The path of the page the person is on: for htmx the page around the fragment, so a
    sign-in can bring them back to it (never to a fragment or a POST's URL)."""
    if is_htmx():
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        return page.path + (f"?{page.query}" if page.query else "") if page.path else "/"
    return request.full_path.rstrip("?") if request.method == "GET" else "/"


def safe_next(target: str | None) -> str | None:
    """A `next` that stays on this site: a path, never //host or a scheme."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target


def leave_for(location: str) -> Response:
    """Send the whole page elsewhere: a redirect, or for htmx an HX-Redirect (a fragment swap
    would put the other page inside this one)."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=302)


def see_other(location: str) -> Response:
    """The answer to a POST: a 303 so a reload never posts twice (htmx follows it too)."""
    return redirect(location, code=303)


def fragment_or_see_other(template: str, block: str, location: str, **context: Any) -> Response:
    """The answer to a POST htmx swaps in place (a list row): the fragment for htmx, else a 303
    back to the page, as for any form."""
    if is_htmx():
        return render(template, block, **context)
    return see_other(location)
