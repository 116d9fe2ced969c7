"""A push service on 127.0.0.1 for tests: it checks what a real one checks and decrypts what
only the phone could.

Each POST to /push/<device> must carry a VAPID JWT (RFC 8292) signed by the key in `k=`, for
this origin, not expired; its body must be aes128gcm (RFC 8188/8291). The service decrypts it
with the device's private key and auth secret (made by `device()`, as a browser would) and keeps
the plain text. A device named in `gone` answers 410, as a push service does for an
unsubscribed phone.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Device:
    """A phone's side of a subscription: its ECDH key pair and auth secret."""

    name: str
    key: ec.EllipticCurvePrivateKey
    auth: bytes

    def p256dh(self) -> str:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64encode(point)


@dataclass
class Delivery:
    device: str
    payload: dict
    claims: dict
    ttl: int


@dataclass
class PushService:
    vapid_public_key: str  # base64url, as the server's config holds it
    devices: dict[str, Device] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    delivered: list[Delivery] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def device(self, name: str) -> Device:
        found = Device(name, ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        self.devices[name] = found
        return found

    def endpoint(self, name: str) -> str:
        return f"{self.url}/push/{name}"

    def __enter__(self) -> PushService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = service.receive(self.path, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def receive(self, path: str, headers, body: bytes) -> int:
        name = path.rsplit("/", 1)[-1]
        if name in self.gone:
            return 410
        try:
            claims = self.check_vapid(headers.get("Authorization", ""))
            device = self.devices[name]
            if headers.get("Content-Encoding") != "aes128gcm":
                raise ValueError(f"Content-Encoding {headers.get('Content-Encoding')!r}")
            plain = http_ece.decrypt(
                body, private_key=device.key, auth_secret=device.auth, version="aes128gcm"
            )
        except (ValueError, KeyError, InvalidSignature) as error:
            self.refused.append(f"{name}: {error!r}")
            return 400
        ttl = int(headers.get("TTL", "0"))
        self.delivered.append(Delivery(name, json.loads(plain), claims, ttl))
        return 201

    def check_vapid(self, authorization: str) -> dict:
        """`vapid t=<jwt>, k=<key>`: k is our server's key, and it signed t for this origin."""
        scheme, _, params = authorization.partition(" ")
        if scheme != "vapid":
            raise ValueError(f"Authorization scheme {scheme!r}")
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        if fields["k"] != self.vapid_public_key:
            raise ValueError("k is not the server's VAPID public key")
        header, payload, signature = fields["t"].split(".")
        if json.loads(b64decode(header)) != {"typ": "JWT", "alg": "ES256"}:
            raise ValueError("JWT header")
        raw = b64decode(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64decode(fields["k"]))
        key.verify(der, f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
        claims = json.loads(b64decode(payload))
        if claims["aud"] != self.url:
            raise ValueError(f"aud {claims['aud']!r} is not this push service")
        if not time.time() < claims["exp"] <= time.time() + 24 * 3600:
            raise ValueError("exp is not within the next 24 hours")
        if not claims.get("sub", "").startswith(("mailto:", "https:")):
            raise ValueError("sub is not a contact URL")
        return claims
