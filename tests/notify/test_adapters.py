"""The SMS and WeChat adapters against local stand-ins for the providers' HTTP APIs: what they send, how they sign
it, and how each answer maps to sent / gone / retry."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from backend.notify.channels import Address, AliyunSms, Message, Outcome, WeChatSubscribe
from tests.conftest import base_settings


class Provider:
    """A loopback server answering each request with the next scripted JSON body."""

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, bytes]] = []  # method, path with query, body
        box = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                box.requests.append((self.command, self.path, body))
                data = json.dumps(box.answers.pop(0)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider()
    yield p
    p.server.shutdown()


MESSAGE = Message(title="您的上报 SSP1：已受理", body="点此查看办理进度。", tag="case-1", url="/#/case/1", case_id=1)


def test_aliyun_sms_signs_the_request_and_reads_the_code(provider: Provider, tmp_path: Any) -> None:
    sms = AliyunSms(base_settings(tmp_path, sms_provider="aliyun", sms_endpoint=provider.url + "/",
                                  sms_access_key_id="testid", sms_access_key_secret="testsecret",
                                  sms_sign_name="随手拍", sms_template_code="SMS_1"))
    provider.answers = [{"Code": "OK"}, {"Code": "isv.BUSINESS_LIMIT_CONTROL"}, {"Code": "isv.MOBILE_NUMBER_ILLEGAL"}]
    outcomes = [asyncio.run(sms.send(Address("13800000001"), MESSAGE)).outcome for _ in range(3)]
    assert outcomes == [Outcome.SENT, Outcome.RETRY, Outcome.GONE]
    method, _, body = provider.requests[0]
    params = dict(parse_qsl(body.decode()))
    assert method == "POST" and params["Action"] == "SendSms" and params["PhoneNumbers"] == "13800000001"
    assert json.loads(params["TemplateParam"]) == {"title": MESSAGE.title, "body": MESSAGE.body}
    # The signature as Aliyun's RPC docs define it, recomputed here from the received parameters.
    signature = params.pop("Signature")
    canonical = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params.items()))
    expected = hmac.new(b"testsecret&", ("POST&%2F&" + quote(canonical, safe="-_.~")).encode(), hashlib.sha1).digest()
    assert signature == base64.b64encode(expected).decode()


def test_wechat_caches_its_token_and_a_withdrawn_consent_is_gone(provider: Provider, tmp_path: Any) -> None:
    wechat = WeChatSubscribe(base_settings(tmp_path, wechat_appid="wx1", wechat_secret="s", wechat_template_id="T1",
                                           wechat_api=provider.url))
    provider.answers = [{"access_token": "TOKEN", "expires_in": 7200}, {"errcode": 0}, {"errcode": 43101}]

    async def twice() -> list[Outcome]:
        return [(await wechat.send(Address("openid-1"), MESSAGE)).outcome for _ in range(2)]

    assert asyncio.run(twice()) == [Outcome.SENT, Outcome.GONE]
    paths = [urlsplit(path) for _, path, _ in provider.requests]
    assert [p.path for p in paths] == ["/cgi-bin/token", "/cgi-bin/message/subscribe/send",
                                       "/cgi-bin/message/subscribe/send"]  # one token for both sends
    assert dict(parse_qsl(paths[1].query)) == {"access_token": "TOKEN"}
    sent = json.loads(provider.requests[1][2])
    assert sent["touser"] == "openid-1" and sent["template_id"] == "T1"
    assert sent["data"]["thing1"]["value"] == MESSAGE.title
