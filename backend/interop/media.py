"""Fetching an Open311 ``media_url``: only from allow-listed hosts, size-capped, then checked like any upload."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from backend.context import AppContext
from backend.errors import Unavailable
from backend.interop.wire import bad_request
from backend.photos.service import Checked, check_upload

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def allowed_hosts(setting: str) -> frozenset[str]:
    return frozenset(h.strip().lower() for h in setting.split(",") if h.strip())


def check_url(url: str, hosts: frozenset[str]) -> str:
    """The URL if its host (or host:port) is allow-listed; a plain ``http(s)`` URL without credentials."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    netloc = f"{host}:{parts.port}" if parts.port else host
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise bad_request("media_url 应为 http(s) 网址", "media_url must be an http(s) URL", "open311.bad_media_url")
    if host not in hosts and netloc not in hosts:
        raise bad_request(f"不接受来自该主机的 media_url：{host}", f"media_url host is not allowed: {host}",
                          "open311.media_host_refused")
    return url


async def fetch(ctx: AppContext, url: str) -> Checked:
    """Download at most the upload limit (no redirects: they could leave the allow-list), then sniff the bytes."""
    check_url(url, allowed_hosts(ctx.settings.open311_media_hosts))
    limit = ctx.settings.max_upload_bytes
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as http, \
                http.stream("GET", url, headers={"Accept": "image/*"}) as response:
            if response.status_code >= 500:
                raise Unavailable("无法获取 media_url，请稍后重试", "Could not fetch media_url, please retry",
                                  code="open311.media_unavailable", retry_after=30)
            if response.status_code != 200:
                raise bad_request(f"media_url 返回 {response.status_code}",
                                  f"media_url answered {response.status_code}", "open311.media_unreadable")
            declared = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if not declared.startswith("image/"):
                raise bad_request(f"media_url 不是图片（{declared or '未知类型'}）",
                                  f"media_url is not an image ({declared or 'no type'})", "open311.media_not_image")
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > limit:
                    break
    except httpx.HTTPError:
        raise Unavailable("无法获取 media_url，请稍后重试", "Could not fetch media_url, please retry",
                          code="open311.media_unavailable", retry_after=30) from None
    # The bytes decide, never the header: a non-image or a too large file is refused here like any upload.
    return await check_upload(ctx, bytes(data))
