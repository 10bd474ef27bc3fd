"""The ``/ws`` endpoint: authenticate with the first message, then subscribe, unsubscribe and ping.

The credential travels in the first message (``{"type":"auth","token":…}`` within ``AUTH_SECONDS``), never in the
URL: access logs, browser history and proxies keep URLs. ``?token=`` is refused with 4400.

Close codes: 4400 token in the URL, 4401 not authenticated (or the session ended), 4403 topic not yours (or
``auth.password_change_required``: the account must change its initial password first, as over HTTP), 4429 too
slow or stalled (resume with ``details.resume_since``) or too many connections (``ws.too_many_connections``). Each
close is preceded by an ``error`` message ``{code, message_zh, message_en, details}``. A malformed message after auth
only gets an ``error`` (code ``ws.bad_message``); the connection stays open.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from backend.accounts.services import Actor, actor_for_token
from backend.errors import AppError
from backend.live.connection import FORBIDDEN, PONG, REPLY, TOO_SLOW, UNAUTHENTICATED, Connection
from backend.live.messages import (
    ErrorOut,
    Ping,
    Subscribe,
    Unsubscribe,
    Welcome,
    auth_decoder,
    client_decoder,
    text,
)
from backend.live.service import LiveService
from backend.live.topics import natural_topics

log = logging.getLogger("suishoupai.live")

TOKEN_IN_URL = 4400
AUTH_SECONDS = 5.0
MAX_MESSAGE_CHARS = 8192
MAX_TOPICS = 200
SEND_AUTH_ZH = '连接后请在第一条消息中发送 {"type":"auth","token":"…"}'
SEND_AUTH_EN = 'Send {"type":"auth","token":"…"} as the first message after connecting'


async def _token(socket: WebSocket[Any, Any, Any]) -> str | ErrorOut:
    """The credential from the client's first message."""
    try:
        raw = await asyncio.wait_for(socket.receive_text(), AUTH_SECONDS)
    except TimeoutError:
        return ErrorOut("auth.timeout", "未及时登录：" + SEND_AUTH_ZH, "No credential in time. " + SEND_AUTH_EN)
    if len(raw) <= MAX_MESSAGE_CHARS:
        try:
            return auth_decoder.decode(raw).token
        except msgspec.DecodeError:  # ValidationError is a DecodeError
            pass
    return ErrorOut("auth.required", "请先登录：" + SEND_AUTH_ZH, "Please log in. " + SEND_AUTH_EN)


async def _authenticate(token: str) -> Actor | ErrorOut:
    if not token or len(token) > 200:
        return ErrorOut("auth.invalid", "登录凭证无效", "Invalid credential")
    try:
        return await actor_for_token(token)
    except AppError as exc:
        return ErrorOut(exc.code, exc.message_zh, exc.message_en)


async def _close(socket: WebSocket[Any, Any, Any], code: int, error: ErrorOut) -> None:
    await socket.send_text(text(error))
    await socket.close(code, error.code)


def _bad(message_en: str) -> ErrorOut:
    return ErrorOut("ws.bad_message", "消息格式有误", message_en)


async def _subscribe(conn: Connection, topics: list[str], since: int | None) -> None:
    mark = conn.hub.seq
    refused = await conn.hub.rules.refused(conn.actor, topics)
    # A case that changed hands while we checked is checked again: the hub re-checked only those already watching.
    while not refused and (moved := conn.hub.owner_changed_since(mark, topics)):
        mark = conn.hub.seq
        refused = await conn.hub.rules.refused(conn.actor, moved)
    if refused:
        conn.refuse(FORBIDDEN, ErrorOut("ws.topic_forbidden", "无权订阅：" + "、".join(refused),
                                        "Not yours to watch: " + ", ".join(refused), {"topics": refused}))
        return
    conn.subscribe(topics, since)


async def _handle(conn: Connection, raw: str) -> None:
    if len(raw) > MAX_MESSAGE_CHARS:
        conn.push((REPLY, 0, text(_bad(f"Message longer than {MAX_MESSAGE_CHARS} characters"))))
        return
    try:
        message = client_decoder.decode(raw)
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
        conn.push((REPLY, 0, text(_bad(str(exc)))))
        return
    if isinstance(message, Ping):
        conn.push((PONG, 0, None))
    elif isinstance(message, Unsubscribe):
        conn.unsubscribe(message.topics)
    elif isinstance(message, Subscribe):
        topics = sorted(set(message.topics or natural_topics(conn.actor)))
        if len(topics) > MAX_TOPICS:
            conn.push((REPLY, 0, text(_bad(f"At most {MAX_TOPICS} topics"))))
            return
        await _subscribe(conn, topics, message.since)


@websocket("/ws", name="live", include_in_schema=False)
async def live_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """Live case events for the topics the caller may see (protocol: backend/live/messages.py, README)."""
    await socket.accept()
    if "token" in socket.query_params:
        # Not even looked at: it is in the access log already. The client must be told how to do it right.
        await _close(socket, TOKEN_IN_URL, ErrorOut("ws.token_in_url", "登录凭证不能放在网址中：" + SEND_AUTH_ZH,
                                                    "Never put the credential in the URL. " + SEND_AUTH_EN))
        return
    live: LiveService = socket.app.state.live
    # Started first, so the hub hears every end_sessions published while this connection is being checked.
    await live.hub.ensure_started()
    try:
        token = await _token(socket)
    except WebSocketDisconnect:
        return
    if isinstance(token, ErrorOut):
        await _close(socket, UNAUTHENTICATED, token)
        return
    checked_at = time.monotonic()
    actor = await _authenticate(token)
    if isinstance(actor, ErrorOut):
        await _close(socket, UNAUTHENTICATED, actor)
        return
    if actor.must_change_password:
        # A temporary password (admin-created or reset) reads nothing, over HTTP or here, until it is changed.
        await _close(socket, FORBIDDEN, ErrorOut("auth.password_change_required", "请先修改初始密码",
                                                 "Please change your initial password first"))
        return
    limit = live.settings.ws_max_per_user
    if live.hub.count(actor.id) >= limit:
        await _close(socket, TOO_SLOW, ErrorOut(
            "ws.too_many_connections", f"同一账号最多同时保持 {limit} 个实时连接，请关闭其他页面后重试",
            f"At most {limit} live connections per account; close other tabs and try again", {"limit": limit},
        ))
        return
    conn = Connection(socket, actor, live.hub, live.settings.ws_queue_limit)
    live.hub.add(conn)
    conn.start()
    try:
        if live.hub.touched_since(actor.id, checked_at):
            # The session ended or the rights changed while we checked: check again, now that later messages reach
            # this connection.
            again = await _authenticate(token)
            if isinstance(again, ErrorOut):
                conn.refuse(UNAUTHENTICATED, again)
            else:
                conn.actor = again
        conn.push((REPLY, 0, text(Welcome(conn.actor.role.value, natural_topics(conn.actor),
                                          live.settings.ws_heartbeat_seconds))))
        while not conn.closing:
            await _handle(conn, await socket.receive_text())
    except WebSocketDisconnect:
        pass
    finally:
        await conn.finish()
