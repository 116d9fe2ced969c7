"""Web Push (RFC 8030, payloads encrypted per RFC 8291, VAPID per RFC 8292): a phone in a pocket
with its screen locked still hears of a new card.

The issuing path only hands user ids to `announce()` after its commit; one sender thread per
process reads each person's newest open card and sends it to their devices, so an arrival never
waits on a push service. A device its push service no longer knows (404/410) is forgotten.
"""

from __future__ import annotations

import atexit
import base64
import json
import logging
import queue
import threading
import time
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, select

from ..extensions import db
from ..tables import CardStatus, Guest, IssuedCard, PushSubscription

log = logging.getLogger(__name__)

#: Where tapping the notification goes, by the card's audience.
CARD_SCREENS = {"host": "host.card", "rep": "rep.card"}
#: A push older than this is not worth delivering (the inbox has it anyway).
TTL_SECONDS = 300
#: The push services of the browsers hosts and reps carry (host suffixes; https only).
PUSH_SERVICES = (
    "fcm.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
)
GONE = (404, 410)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def generate_keys() -> dict[str, str]:
    """A new VAPID key pair: the raw private scalar and the public point, base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {"private_key": b64url(private), "public_key": b64url(public)}


def enabled(app: Flask | None = None) -> bool:
    config = (app or current_app).config
    return bool(config.get("VAPID_PRIVATE_KEY") and config.get("VAPID_PUBLIC_KEY"))


def check_endpoint(endpoint: str) -> str:
    """The endpoint if it is a push service's https URL; else ValueError saying why."""
    parts = urlsplit(endpoint)
    allowed = current_app.config.get("WEBPUSH_SERVICES", PUSH_SERVICES)
    host = parts.hostname or ""
    schemes = ("https", "http") if current_app.config.get("WEBPUSH_ALLOW_HTTP") else ("https",)
    if parts.scheme not in schemes:
        raise ValueError("the push endpoint must be an https URL")
    if not any(host == name or host.endswith("." + name) for name in allowed):
        raise ValueError(f"{host or 'the endpoint'} is not a known push service")
    if len(endpoint) > 1024:
        raise ValueError("the push endpoint is longer than 1,024 characters")
    return endpoint


def announce(user_ids: set[int]) -> None:
    """Queue a push of each person's newest open card (call after the commit)."""
    app = current_app._get_current_object()
    if user_ids and enabled(app):
        app.extensions["webpush"].put(sorted(user_ids))


class Sender:
    """One daemon thread per process sending queued pushes, in its own app context."""

    def __init__(self, app: Flask):
        self.app = app
        self.jobs: queue.Queue[list[int]] = queue.Queue(maxsize=10_000)
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def put(self, user_ids: list[int]) -> None:
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="webpush", daemon=True)
                self._thread.start()
                # A command (`guidance refresh`) or a stopping worker sends what it queued first.
                atexit.register(self.wait, timeout=10)
        try:
            self.jobs.put_nowait(user_ids)
        except queue.Full:
            log.warning("web push: queue full, dropped a push to %s", user_ids)

    def wait(self, timeout: float = 30) -> bool:
        """Until everything queued so far has been sent (tests, a clean stop), or `timeout`."""
        deadline = time.monotonic() + timeout
        while self.jobs.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.jobs.unfinished_tasks

    def _run(self) -> None:
        while True:
            user_ids = self.jobs.get()
            try:
                with self.app.app_context():
                    for user_id in user_ids:
                        push_newest_card(user_id)
            except Exception:
                log.exception("web push to %s failed", user_ids)
            finally:
                self.jobs.task_done()


def push_newest_card(user_id: int) -> int:
    """Send the person's newest open card to each of their devices; return how many took it."""
    card = db.session.scalar(
        select(IssuedCard)
        .where(
            IssuedCard.assignee_id == user_id,
            IssuedCard.status.in_([s for s in CardStatus if s.is_open]),
        )
        .order_by(IssuedCard.created_at.desc(), IssuedCard.id.desc())
        .limit(1)
    )
    devices = db.session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == user_id)
    )
    if card is None:
        return 0
    payload = json.dumps(notification(card))
    delivered = sum(send(device, payload) for device in devices.all())
    db.session.commit()  # the devices found gone
    return delivered


def notification(card: IssuedCard) -> dict[str, str]:
    """What the lock screen shows and where a tap leads."""
    guest = db.session.get(Guest, card.subject_id) if card.subject_type == "guest" else None
    title = guest.name if guest else "New alert"
    if card.escalation_level:
        title += " · passed on to you"
    urls = current_app.url_map.bind("")
    url = urls.build(CARD_SCREENS.get(card.audience, "auth.index"), {"card_id": card.id})
    return {"title": title, "body": card.headline, "url": url, "tag": f"card-{card.id}"}


def send(device: PushSubscription, payload: str) -> bool:
    """One encrypted push; a device its service calls gone is deleted (committed by the caller)."""
    config = current_app.config
    try:
        webpush(
            subscription_info=device.keys(),
            data=payload,
            vapid_private_key=Vapid.from_raw(config["VAPID_PRIVATE_KEY"].encode()),
            vapid_claims={"sub": config.get("VAPID_SUBJECT", "mailto:ops@frontline.invalid")},
            content_encoding="aes128gcm",
            ttl=TTL_SECONDS,
            timeout=10,
        )
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        if status in GONE:
            db.session.execute(delete(PushSubscription).where(PushSubscription.id == device.id))
            log.info("web push: device %s is gone (%s), forgotten", device.id, status)
        else:
            log.warning("web push to device %s failed: %s", device.id, error)
        return False
    return True


def init_app(app: Flask) -> None:
    app.extensions["webpush"] = Sender(app)
