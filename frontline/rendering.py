"""The one place that decides between a whole page and the fragment htmx asked for."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, redirect, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    """True for an htmx request that wants a fragment (not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render the page, or only `block` of it for htmx; the answer varies on HX-Request.

    A fragment carries the messages out of band (`partials/messages.html`), so what a view
    flashed shows with the swap it belongs to; its template sees `fragment` (true), so it may
    add out-of-band parts of its own.
    """
    if block and is_htmx():
        html = render_block(template, block, fragment=True, **context)  # screens: OOB parts
        html += render_template("partials/messages.html", oob=True)
    else:
        html = render_template(template, **context)
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response


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
