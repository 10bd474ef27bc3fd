"""Fixtures for the notification tests: a device's push keys, a local push endpoint, and the app that sends to it."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from litestar.testing import TestClient

from backend.jobs import queue
from tests.interop.conftest import Receiver, receiver  # noqa: F401 - the local push endpoint is the same server


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Device:
    """What a browser keeps for one subscription: its ECDH key pair and auth secret (RFC 8291)."""

    private: ec.EllipticCurvePrivateKey
    auth: bytes

    @classmethod
    def new(cls) -> Device:
        return cls(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64(self.private.public_key().public_bytes(serialization.Encoding.X962,
                                                          serialization.PublicFormat.UncompressedPoint))

    def subscription(self, endpoint: str, lang: str = "zh") -> dict[str, Any]:
        return {"endpoint": endpoint, "keys": {"p256dh": self.p256dh, "auth": b64(self.auth)}, "lang": lang}

    def read(self, body: bytes) -> dict[str, Any]:
        return dict(json.loads(http_ece.decrypt(body, private_key=self.private, auth_secret=self.auth,
                                                version="aes128gcm")))


@pytest.fixture
def pushing(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient[Any]]:
    """The app with plain-http push endpoints allowed, short timeouts and quick retries, its feed's cursor set."""
    from backend.app import create_app
    from backend.notify import service
    from backend.notify.runtime import CHANNELS

    monkeypatch.setattr(queue, "backoff", lambda attempts: timedelta(milliseconds=50))
    app = create_app(settings.with_(push_allow_http=True, push_timeout_seconds=0.5, push_poll_seconds=0.05))
    with TestClient(app) as client:
        ctx = client.app.state.ctx
        client.blocking_portal.call(service.feed_once, ctx, ctx.extras[CHANNELS])  # cursor at the log's end
        yield client
