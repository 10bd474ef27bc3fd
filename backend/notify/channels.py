"""The ways a notification leaves the server, behind one small interface.

``Channel.send`` answers with an ``Outcome``: ``SENT``; ``GONE`` (the address no longer exists: forget it); or
``RETRY`` (try again later). Web Push is the real one; SMS (Aliyun 短信服务 SendSms) and WeChat subscription messages
(订阅消息 subscribeMessage.send) follow the providers' published HTTP APIs and stay off unless configured;
``Recording`` is the in-memory twin tests use.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import httpx
from py_vapid import Vapid02
from pywebpush import WebPusher

from backend.notify.vapid import VapidKeys
from backend.settings import Settings


class Outcome(StrEnum):
    SENT = "sent"
    GONE = "gone"
    RETRY = "retry"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    status: int | None = None
    error: str = ""


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    tag: str  # one notification per case on the device: a newer one replaces it
    url: str  # the PWA route that opens the case
    case_id: int | None = None
    tracking_no: str = ""

    def as_json(self) -> str:
        return json.dumps({"title": self.title, "body": self.body, "tag": self.tag, "url": self.url,
                           "case_id": self.case_id, "tracking_no": self.tracking_no},
                          ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> Message:
        return cls(**json.loads(raw))


@dataclass(frozen=True)
class Address:
    endpoint: str  # push endpoint, WeChat openid, or phone number
    p256dh: str = ""
    auth: str = ""


class Channel(Protocol):
    name: str

    async def send(self, to: Address, message: Message) -> Result: ...


def is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified


async def resolves_private(host: str, port: int) -> bool:
    """Whether ``host`` points into our own network: a push endpoint is a user's input, never a way in (SSRF)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return any(is_private(str(info[4][0])) for info in infos)


def _by_status(status: int, text: str = "") -> Result:
    if 200 <= status < 300:
        return Result(Outcome.SENT, status)
    if status in (404, 410):
        return Result(Outcome.GONE, status)
    return Result(Outcome.RETRY, status, f"HTTP {status} {text[:200]}".strip())


class WebPush:
    """RFC 8030 delivery of an RFC 8291 (aes128gcm) encrypted payload, signed with VAPID (RFC 8292)."""

    name = "webpush"

    def __init__(self, keys: VapidKeys, subject: str, timeout: float, ttl: int, allow_private: bool = False) -> None:
        self.vapid = Vapid02.from_pem(keys.pem)
        self.allow_private = allow_private
        self.subject = subject
        self.timeout = timeout
        self.ttl = ttl

    async def send(self, to: Address, message: Message) -> Result:
        info = {"endpoint": to.endpoint, "keys": {"p256dh": to.p256dh, "auth": to.auth}}
        body = WebPusher(info).encode(message.as_json().encode(), "aes128gcm")["body"]
        parts = urlsplit(to.endpoint)
        try:
            if not self.allow_private and await resolves_private(parts.hostname or "", parts.port or 443):
                return Result(Outcome.GONE, None, "endpoint resolves to a private address")
        except OSError:
            return Result(Outcome.RETRY, None, "endpoint host does not resolve")
        claims = {"sub": self.subject, "aud": f"{parts.scheme}://{parts.netloc}", "exp": int(time.time()) + 12 * 3600}
        headers = {**self.vapid.sign(claims), "Content-Encoding": "aes128gcm", "TTL": str(self.ttl),
                   "Urgency": "normal", "Content-Type": "application/octet-stream",
                   # Topic (RFC 8030 §5.4): the push service keeps only the newest undelivered message per case.
                   "Topic": message.tag.replace("-", "")[:32]}
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as http:
                response = await http.post(to.endpoint, content=body, headers=headers)
        except httpx.TimeoutException:
            return Result(Outcome.RETRY, None, "timeout")
        except httpx.HTTPError as exc:
            return Result(Outcome.RETRY, None, type(exc).__name__)
        return _by_status(response.status_code, response.text)


def _pct(value: str) -> str:
    """Aliyun's RPC percent-encoding: RFC 3986 unreserved characters kept, everything else %XX (space as %20)."""
    return quote(value, safe="-_.~")


class AliyunSms:
    """Aliyun 短信服务 ``SendSms`` (API version 2017-05-25, RPC style, HMAC-SHA1 signature) with one template whose
    parameters are ``title`` and ``body``."""

    name = "sms"

    def __init__(self, settings: Settings) -> None:
        self.endpoint = settings.sms_endpoint
        self.key_id = settings.sms_access_key_id
        self.secret = settings.sms_access_key_secret
        self.sign_name = settings.sms_sign_name
        self.template = settings.sms_template_code
        self.timeout = settings.push_timeout_seconds

    def signed(self, params: dict[str, str]) -> dict[str, str]:
        query = "&".join(f"{_pct(k)}={_pct(v)}" for k, v in sorted(params.items()))
        to_sign = "POST&%2F&" + _pct(query)
        digest = hmac.new((self.secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
        return {**params, "Signature": base64.b64encode(digest).decode()}

    async def send(self, to: Address, message: Message) -> Result:
        params = {
            "AccessKeyId": self.key_id, "Action": "SendSms", "Format": "JSON", "PhoneNumbers": to.endpoint,
            "RegionId": "cn-hangzhou", "SignName": self.sign_name, "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0", "TemplateCode": self.template,
            "TemplateParam": json.dumps({"title": message.title[:20], "body": message.body[:35]}, ensure_ascii=False),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": "2017-05-25",
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as http:
                response = await http.post(self.endpoint, data=self.signed(params))
        except httpx.HTTPError as exc:
            return Result(Outcome.RETRY, None, type(exc).__name__)
        if response.status_code != 200:
            return _by_status(response.status_code)
        code = str(response.json().get("Code", ""))
        if code == "OK":
            return Result(Outcome.SENT, 200)
        if code in ("isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT"):
            return Result(Outcome.GONE, 200, code)
        return Result(Outcome.RETRY, 200, code)


class WeChatSubscribe:
    """WeChat mini-program subscription messages: an access token from ``cgi-bin/token`` (cached until shortly
    before it expires), then ``cgi-bin/message/subscribe/send`` with the template's ``thing1`` / ``thing2`` fields."""

    name = "wechat"

    def __init__(self, settings: Settings) -> None:
        self.api = settings.wechat_api.rstrip("/")
        self.appid = settings.wechat_appid
        self.secret = settings.wechat_secret
        self.template = settings.wechat_template_id
        self.timeout = settings.push_timeout_seconds
        self._token: tuple[str, float] = ("", 0.0)

    async def _access_token(self, http: httpx.AsyncClient) -> str:
        token, until = self._token
        if token and time.monotonic() < until:
            return token
        r = await http.get(f"{self.api}/cgi-bin/token",
                           params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
        data = r.json()
        if "access_token" not in data:
            raise httpx.HTTPError(f"token errcode {data.get('errcode')}")
        self._token = (data["access_token"], time.monotonic() + int(data.get("expires_in", 7200)) - 300)
        return str(data["access_token"])

    async def send(self, to: Address, message: Message) -> Result:
        body: dict[str, Any] = {"touser": to.endpoint, "template_id": self.template,
                                "page": f"pages/case/index?id={message.case_id or ''}",
                                "data": {"thing1": {"value": message.title[:20]}, "thing2": {"value": message.body[:20]}}}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as http:
                token = await self._access_token(http)
                r = await http.post(f"{self.api}/cgi-bin/message/subscribe/send", params={"access_token": token},
                                    json=body)
        except httpx.HTTPError as exc:
            return Result(Outcome.RETRY, None, str(exc)[:200])
        code = int(r.json().get("errcode", -1)) if r.status_code == 200 else r.status_code
        if code == 0:
            return Result(Outcome.SENT, 200)
        if code == 43101:  # the user has not (or no longer) subscribed to this template
            return Result(Outcome.GONE, 200, "errcode 43101")
        if code in (40001, 42001):
            self._token = ("", 0.0)  # the token expired early: fetch a new one on the retry
        return Result(Outcome.RETRY, r.status_code, f"errcode {code}")


@dataclass
class Recording:
    """The twin: remembers what it was asked to send and answers from a script (then ``SENT``)."""

    name: str
    sent: list[tuple[Address, Message]] = field(default_factory=list)
    script: list[Result] = field(default_factory=list)

    async def send(self, to: Address, message: Message) -> Result:
        self.sent.append((to, message))
        return self.script.pop(0) if self.script else Result(Outcome.SENT, 201)


def build(settings: Settings, keys: VapidKeys) -> dict[str, Channel]:
    channels: dict[str, Channel] = {"webpush": WebPush(keys, settings.push_subject, settings.push_timeout_seconds,
                                                       settings.push_ttl_seconds, settings.push_allow_http)}
    if settings.sms_provider == "aliyun":
        channels["sms"] = AliyunSms(settings)
    if settings.wechat_appid:
        channels["wechat"] = WeChatSubscribe(settings)
    return channels
