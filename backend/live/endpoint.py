"""The ``/ws`` endpoint: authenticate with ``?token=``, then subscribe, unsubscribe and ping.

Close codes: 4401 not authenticated, 4403 topic not yours, 4429 too slow or stalled (resume with
``details.resume_since``). Each close is preceded by an ``error`` message ``{code, message_zh, message_en, details}``.
A malformed message only gets an ``error`` (code ``ws.bad_message``); the connection stays open.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from backend.accounts.auth import bearer_token
from backend.accounts.services import Actor, actor_for_token
from backend.errors import AppError
from backend.live.connection import PONG, REPLY, Connection
from backend.live.messages import ErrorOut, Ping, Subscribe, Unsubscribe, Welcome, client_decoder, text
from backend.live.service import LiveService
from backend.live.topics import natural_topics, refused_topics

log = logging.getLogger("suishoupai.live")

UNAUTHENTICATED, FORBIDDEN = 4401, 4403
MAX_MESSAGE_CHARS = 8192
MAX_TOPICS = 200


async def _authenticate(socket: WebSocket[Any, Any, Any]) -> Actor | ErrorOut:
    token = bearer_token(socket)
    if not token:
        return ErrorOut("auth.required", "请先登录", "Please log in")
    if len(token) > 200:
        return ErrorOut("auth.invalid", "登录凭证无效", "Invalid credential")
    try:
        return await actor_for_token(token)
    except AppError as exc:
        return ErrorOut(exc.code, exc.message_zh, exc.message_en)


def _bad(message_en: str) -> ErrorOut:
    return ErrorOut("ws.bad_message", "消息格式有误", message_en)


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
        refused = await refused_topics(conn.actor, topics)
        if refused:
            conn.refuse(FORBIDDEN, ErrorOut("ws.topic_forbidden", "无权订阅：" + "、".join(refused),
                                            "Not yours to watch: " + ", ".join(refused), {"topics": refused}))
            return
        conn.subscribe(topics, message.since)


@websocket("/ws", name="live", include_in_schema=False)
async def live_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """Live case events for the topics the caller may see (protocol: backend/live/messages.py, README)."""
    await socket.accept()
    live: LiveService = socket.app.state.live
    actor = await _authenticate(socket)
    if isinstance(actor, ErrorOut):
        await socket.send_text(text(actor))
        await socket.close(UNAUTHENTICATED, actor.code)
        return
    await live.hub.ensure_started()
    conn = Connection(socket, actor, live.hub, live.settings.ws_queue_limit)
    live.hub.add(conn)
    conn.start()
    conn.push((REPLY, 0, text(Welcome(actor.role.value, natural_topics(actor), live.settings.ws_heartbeat_seconds))))
    try:
        while not conn.closing:
            await _handle(conn, await socket.receive_text())
    except WebSocketDisconnect:
        pass
    finally:
        await conn.finish()
