"""Security headers on every answer: a strict CSP, no framing, no caching of what is private.

OWASP ASVS 5.0 level 2 (V3.4): tests/frontline/test_security.py checks each header
on a page, a fragment, a stream, a JSON answer, a static file and an error page.
"""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import assets, limits

#: The same on every answer. Permissions-Policy names only features browsers know (an unknown
#: one is a console error); the phone needs none of them.
FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
#: What a subresource keeps (a static script, style sheet or image, an empty 204 answer): the
#: policies of a document (CSP, framing, opener, referrer, permissions) do nothing there, and
#: sending them on every file cost a phone ~0.5 KB a request (docs/security.md).
SUBRESOURCE_HEADERS = ("X-Content-Type-Options", "Cross-Origin-Resource-Policy")
#: Static files a browser may open as a document: they keep every header.
DOCUMENT_TYPES = {
    "text/html",
    "image/svg+xml",
    "application/xhtml+xml",
    "application/xml",
    "text/xml",
}


def init_app(app: Flask) -> None:
    trust_proxies(app)
    app.before_request(refuse_unstorable_text)
    app.after_request(add_headers)


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_HOPS reverse proxies, take the client's address, scheme and host from the
    X-Forwarded-* headers they set (sign-in limits count per address; cookies are Secure),
    trusting exactly that many hops and never what the client itself sends beyond them."""
    hops = app.config["PROXY_HOPS"]
    if hops < 0:
        raise ValueError(f"FRONTLINE_PROXY_HOPS must be 0 or more, not {hops}")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def refuse_unstorable_text() -> None:
    """A NUL in a form field, query or path would reach PostgreSQL and fail there as a 500."""
    sources = (request.view_args or {}, request.args, request.form if request.form else {})
    for values in sources:
        for name, value in values.items():
            if not isinstance(value, str):
                continue
            try:
                limits.text(value)
            except ValueError as error:
                abort(400, description=f"The field {name!r} {error}; remove it and try again.")


def content_security_policy() -> str:
    """No inline script or style anywhere; scripts from us, or the pinned CDN files when asked."""
    scripts = (
        " ".join(["'self'", *assets.cdn_urls()])
        if current_app.config["HTMX_FROM_CDN"]
        else "'self'"
    )
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {scripts}",
            "style-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",  # htmx requests and the live stream
            "manifest-src 'self'",  # the installable app (phone/)
            "worker-src 'self'",  # its service worker, /sw.js
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


#: Charts drawn on the server are SVG images that carry their own styles (and never a script).
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def add_headers(response: Response) -> Response:
    headers = response.headers
    if is_subresource(response):
        for name in SUBRESOURCE_HEADERS:
            headers.setdefault(name, FIXED_HEADERS[name])
    else:
        headers["Content-Security-Policy"] = (
            SVG_POLICY if response.mimetype == "image/svg+xml" else content_security_policy()
        )
        for name, value in FIXED_HEADERS.items():
            headers.setdefault(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    kept = response.cache_control.private or response.cache_control.public
    if request.endpoint != "static" and not kept:
        # Pages, fragments, streams and API answers may be someone's: no cache keeps them.
        # A view that revalidates on purpose (ETag, "private, no-cache") keeps its own header,
        # and so does one saying it holds nobody's data ("public": the manifest, /sw.js).
        headers["Cache-Control"] = "no-store"
    return response


def is_subresource(response: Response) -> bool:
    """A static file no browser renders as a page, or an answer with no body at all (204)."""
    if response.status_code == 204:
        return True
    return request.endpoint == "static" and response.mimetype not in DOCUMENT_TYPES
