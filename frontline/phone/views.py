"""What makes Frontline an installable app: its manifest, service worker and offline page,
and the device subscriptions Web Push sends to."""

from __future__ import annotations

import hashlib
import json

from flask import Response, abort, current_app, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import delete, select

from ..assets import static_files
from ..extensions import db
from ..push import web
from ..rendering import render
from ..tables import PushSubscription, UserSession
from . import bp

#: Cached by the service worker when it installs: enough to draw any page offline.
SHELL = (
    "css/app.css",
    "js/app.js",
    "js/offline.js",
    "vendor/htmx-2.0.11.min.js",
    "vendor/htmx-ext-sse-2.2.4.min.js",
    "icons/icon-192.png",
)


@bp.get("/manifest.webmanifest")
def manifest():
    icon = lambda name, size, purpose="any": {  # noqa: E731
        "src": url_for("static", filename=f"icons/{name}"),
        "sizes": size,
        "type": "image/png",
        "purpose": purpose,
    }
    body = {
        "name": "Frontline",
        "short_name": "Frontline",
        "description": "Next best actions for hosts and cargo sales reps.",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0f2a3d",
        "icons": [
            icon("icon-192.png", "192x192"),
            icon("icon-512.png", "512x512"),
            icon("maskable-512.png", "512x512", "maskable"),
        ],
    }
    response = current_app.response_class(json.dumps(body), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/sw.js")
def service_worker():
    """The worker at the root (its scope is the whole app), its version the shell's hashes."""
    shell = [url_for("static", filename=name) for name in SHELL]
    shell.append(url_for("phone.offline"))
    version = hashlib.sha256(" ".join(shell).encode()).hexdigest()[:12]
    source = static_files().body("js/sw.js", "").decode()
    source = source.replace("__VERSION__", version).replace("__SHELL__", json.dumps(shell))
    response = Response(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, no-cache"  # a deploy reaches phones at once
    return response


@bp.get("/offline")
def offline():
    """What a link shows with no network and no copy of its page on the phone."""
    return render("phone/offline.html")


@bp.get("/favicon.ico")
def favicon():
    return static_files().serve(static_files().url_name("icons/favicon.ico"))


@bp.post("/phone/push-subscription")
@login_required
def subscribe():
    """This device wants lock-screen alerts (the browser's PushSubscription, as form fields)."""
    if not web.enabled():
        abort(404, description="Lock-screen alerts are not set up on this server.")
    form = request.form
    try:
        endpoint = web.check_endpoint(form.get("endpoint", ""))
    except ValueError as error:
        abort(400, description=f"Not subscribed: {error}.")
    p256dh, auth = form.get("p256dh", ""), form.get("auth", "")
    if not (80 <= len(p256dh) <= 128 and 16 <= len(auth) <= 64):
        abort(400, description="Not subscribed: the keys p256dh and auth are missing or malformed.")
    db.session.execute(delete(PushSubscription).where(PushSubscription.endpoint == endpoint))
    session = UserSession.find(current_user.session_token)
    db.session.add(
        PushSubscription(
            user_id=current_user.id,
            session_id=session.id if session else None,
            endpoint=endpoint,
            p256dh=p256dh,
            auth=auth,
            user_agent=request.user_agent.string[:256],
        )
    )
    db.session.commit()
    return "", 204


@bp.post("/phone/push-subscription/delete")
@login_required
def unsubscribe():
    endpoint = request.form.get("endpoint", "")
    mine = select(PushSubscription.id).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == current_user.id
    )
    db.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(mine)))
    db.session.commit()
    return "", 204
