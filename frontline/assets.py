"""Pinned front-end scripts (static/vendor, or a CDN with SRI when asked) and how every static
file is named, cached and compressed."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, request, send_from_directory, url_for
from flask.sessions import SecureCookieSessionInterface

from .extensions import compress


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


# --- Static files: content-hashed names, immutable caching, precompressed bodies ---------------

#: A year: a hashed name never changes meaning, so a phone keeps the file until it is renamed.
IMMUTABLE = "public, max-age=31536000, immutable"
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".webmanifest", ".txt", ".md", ".ico"}


class StaticFiles:
    """Every file under static/ under a name carrying its content hash (`app.3f2a1b9c0d.css`).

    Names are computed once at start-up (a deploy restarts the workers). A hashed name is served
    `immutable` for a year, gzip or brotli compressed once and kept in memory; any other name
    is served as Flask would (revalidated).
    """

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.hashed: dict[str, str] = {}
        self.logical: dict[str, str] = {}
        self._bodies: dict[tuple[str, str], bytes] = {}
        for path in sorted(p for p in self.folder.rglob("*") if p.is_file()):
            name = path.relative_to(self.folder).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
            stem, dot, suffix = name.rpartition(".")
            hashed = f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"
            self.hashed[name], self.logical[hashed] = hashed, name

    def url_name(self, name: str) -> str:
        return self.hashed.get(name, name)

    def body(self, name: str, encoding: str) -> bytes:
        """The file's bytes in this encoding ("" for none), compressed on first use only."""
        key = (name, encoding)
        if key not in self._bodies:
            data = (self.folder / name).read_bytes()
            if encoding == "br":
                data = brotli.compress(data, quality=11)
            elif encoding == "gzip":
                data = gzip.compress(data, compresslevel=9, mtime=0)
            self._bodies[key] = data
        return self._bodies[key]

    def serve(self, filename: str) -> Response:
        logical = self.logical.get(filename)
        if logical is None:
            return send_from_directory(self.folder, filename)
        encoding = self._encoding(logical)
        response = Response(self.body(logical, encoding), mimetype=_mimetype(logical))
        if encoding:
            response.headers["Content-Encoding"] = encoding
        response.headers["Cache-Control"] = IMMUTABLE
        response.vary.add("Accept-Encoding")
        response.set_etag(f"{filename}-{encoding or 'identity'}")
        return response.make_conditional(request)

    @staticmethod
    def _encoding(name: str) -> str:
        if Path(name).suffix not in COMPRESSIBLE:
            return ""
        accepted = request.accept_encodings
        for encoding in ("br", "gzip"):
            if accepted[encoding]:
                return encoding
        return ""


def _mimetype(name: str) -> str:
    if name.endswith(".webmanifest"):
        return "application/manifest+json"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class SessionsSkippingStatic(SecureCookieSessionInterface):
    """No session cookie work on a static file: Flask-Login touches the session after every
    request, which would add `Vary: Cookie` and keep shared caches from keeping the file."""

    def save_session(self, app: Flask, session, response: Response) -> None:
        if request.endpoint != "static":
            super().save_session(app, session, response)


def static_files(app: Flask | None = None) -> StaticFiles:
    return (app or current_app).extensions["static_files"]


COMPRESSION = {
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 5,  # pages are built per request: fast brotli, still smaller than gzip
    "COMPRESS_MIN_SIZE": 500,
    "COMPRESS_STREAMS": False,  # an event stream must reach the phone event by event
    "COMPRESS_MIMETYPES": [
        "text/html",
        "application/json",
        "text/javascript",  # /sw.js, made per deploy
        "application/manifest+json",
    ],
}


def init_app(app: Flask) -> None:
    """Compressed pages; hashed names in every url_for('static'), and the view serving them."""
    for key, value in COMPRESSION.items():
        app.config.setdefault(key, value)
    compress.init_app(app)
    files = StaticFiles(app.static_folder)
    app.extensions["static_files"] = files

    @app.url_defaults
    def hashed_static_name(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = files.url_name(values["filename"])

    app.view_functions["static"] = files.serve
    app.session_interface = SessionsSkippingStatic()
