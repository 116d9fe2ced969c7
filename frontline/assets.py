"""Pinned front-end scripts: served from static/vendor, or from a CDN with SRI when asked."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for


@dataclass(frozen=True)
class Script:
    vendored: str  # path under static/
    cdn: str
    sha256: str  # of the vendored file, checked by the tests
    sri: str  # Subresource Integrity of the same bytes on the CDN


SCRIPTS = (
    Script(
        vendored="vendor/htmx-2.0.11.min.js",
        cdn="https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js",
        sha256="d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717",
        sri="sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg",
    ),
    Script(
        vendored="vendor/htmx-ext-sse-2.2.4.min.js",
        cdn="https://cdn.jsdelivr.net/npm/htmx-ext-sse@2.2.4/dist/sse.min.js",
        sha256="98a46496de0c3605fbffdce9167ba427bdd9553184f83f149c261891a92c0136",
        sri="sha384-A986SAtodyH8eg8x8irJnYUk7i9inVQqYigD6qZ9evobksGNIXfeFvDwLSHcp31N",
    ),
)


def script_tags() -> list[dict[str, str]]:
    """Attributes of the <script> tags for the base template."""
    if current_app.config["HTMX_FROM_CDN"]:
        return [{"src": s.cdn, "integrity": s.sri, "crossorigin": "anonymous"} for s in SCRIPTS]
    return [{"src": url_for("static", filename=s.vendored)} for s in SCRIPTS]


def cdn_urls() -> list[str]:
    """The exact CDN files, for the Content-Security-Policy (the CSP allows those alone)."""
    return [s.cdn for s in SCRIPTS]
