"""Vendored htmx files are the pinned ones; the CDN option carries SRI."""

import hashlib
import re
from pathlib import Path

from frontline.assets import SCRIPTS

STATIC = Path(__file__).resolve().parents[2] / "static"


def test_vendored_files_match_their_pins():
    for script in SCRIPTS:
        data = (STATIC / script.vendored).read_bytes()
        assert hashlib.sha256(data).hexdigest() == script.sha256, script.vendored


def test_pages_use_vendored_copies_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    # content-hashed names (frontline/assets.StaticFiles)
    assert re.search(r'src="/static/vendor/htmx-2\.0\.11\.min\.[0-9a-f]{10}\.js"', html)
    assert re.search(r'src="/static/vendor/htmx-ext-sse-2\.2\.4\.min\.[0-9a-f]{10}\.js"', html)
    assert "cdn.jsdelivr.net" not in html


def test_cdn_option_adds_integrity(app, client):
    app.config["HTMX_FROM_CDN"] = True
    html = client.get("/login").get_data(as_text=True)
    for script in SCRIPTS:
        assert f'src="{script.cdn}" integrity="{script.sri}" crossorigin="anonymous"' in html
