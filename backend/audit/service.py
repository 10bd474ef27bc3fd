"""Writing, searching and expiring audit entries.

Entries are only ever inserted; the one delete is the retention purge (等保 level 3 asks for at least six months).
Details never carry secrets: keys that look like one are dropped before the row is written.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection

from backend.audit.tables import AuditEntry

log = logging.getLogger("suishoupai.audit")

ACTIONS = {
    "auth.login": ("登录", "Log in"),
    "auth.login_failed": ("登录失败", "Failed login"),
    "auth.locked": ("账号锁定", "Account locked"),
    "auth.unlocked": ("账号解锁", "Account unlocked"),
    "auth.logout": ("退出登录", "Log out"),
    "auth.password_changed": ("修改密码", "Password changed"),
    "auth.password_reset": ("重置密码", "Password reset"),
    "auth.sessions_ended": ("会话终止", "Sessions ended"),
    "auth.device_created": ("匿名设备凭证", "Device credential created"),
    "user.created": ("创建用户", "User created"),
    "user.updated": ("修改用户", "User updated"),
    "user.deactivated": ("停用用户", "User deactivated"),
    "user.activated": ("启用用户", "User activated"),
    "user.role_changed": ("变更角色或单位", "Role or unit changed"),
    "user.grids_changed": ("变更责任网格", "Responsibility grids changed"),
    "user.deleted": ("注销账号", "Account deleted"),
    "data.exported": ("导出数据", "Data exported"),
    "audit.searched": ("查询审计日志", "Audit log searched"),
    "rules.changed": ("修改路由规则", "Routing rules changed"),
    "org.unit_changed": ("修改责任单位", "Unit changed"),
    "org.components_imported": ("导入部件", "Components imported"),
    "org.imported": ("导入组织数据", "Organisation data imported"),
    "users.imported": ("批量导入用户", "Users imported in bulk"),
    "settings.changed": ("修改设置", "Settings changed"),
    "jobs.retried": ("重新执行任务", "Failed job retried"),
    "calendar.changed": ("修改工作日历", "Working calendar changed"),
    "interop.client_created": ("新建外部系统", "API client created"),
    "interop.client_changed": ("修改外部系统", "API client changed"),
    "interop.webhook_created": ("新建回调订阅", "Webhook created"),
    "interop.webhook_changed": ("修改回调订阅", "Webhook changed"),
    "interop.webhook_replayed": ("重放回调", "Webhook events replayed"),
    "interop.delivery_retried": ("重发回调", "Webhook delivery sent again"),
    "interop.open311_request": ("外部系统提交上报", "Open311 request received"),
    "taxonomy.category_changed": ("修改案件类别", "Category changed"),
    "taxonomy.category_added": ("新增案件类别", "Category added"),
    "org.component_moved": ("移动部件位置", "Component moved"),
    "followup.recorded": ("记录回访", "Follow-up call recorded"),
    "followup.contacts_viewed": ("查看回访联系方式", "Follow-up contacts viewed"),
}
OUTCOMES = ("ok", "denied", "failed")
_SECRET_WORDS = ("password", "token", "secret", "authorization", "sig", "hash", "cookie")


def _clean(details: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (details or {}).items() if not any(w in k.lower() for w in _SECRET_WORDS)}


def request_meta(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[str, str]:
    """The caller's address (as the ASGI server resolved it, proxy headers included when trusted) and user agent."""
    ip = connection.client.host if connection.client else ""
    return ip, connection.headers.get("user-agent", "")[:256]


async def record(
    action: str,
    *,
    actor_id: int | None,
    actor_name: str,
    outcome: str = "ok",
    ip: str = "",
    user_agent: str = "",
    target: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry. An unknown action or outcome is a programming error, caught by the tests."""
    if action not in ACTIONS or outcome not in OUTCOMES:
        raise ValueError(f"unknown audit action/outcome: {action}/{outcome}")
    await AuditEntry.insert(
        AuditEntry(
            at=datetime.now(UTC), action=action, outcome=outcome, actor_id=actor_id, actor_name=actor_name[:64],
            ip=ip[:64], user_agent=user_agent[:256], target=target[:128], details=_clean(details),
        )
    )


async def record_request(
    request: ASGIConnection[Any, Any, Any, Any],
    action: str,
    *,
    actor_id: int | None,
    actor_name: str,
    outcome: str = "ok",
    target: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """``record`` with the caller's address and user agent taken from the request."""
    ip, agent = request_meta(request)
    await record(action, actor_id=actor_id, actor_name=actor_name, outcome=outcome, ip=ip, user_agent=agent,
                 target=target, details=details)


async def search(
    *,
    action: str | None = None,
    actor_id: int | None = None,
    actor_name: str | None = None,
    target: str | None = None,
    outcome: str | None = None,
    ip: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[dict[str, Any]]:
    """Newest first; page with ``before_id`` (the smallest id of the previous page)."""
    query = AuditEntry.select().output(load_json=True).order_by(AuditEntry.id, ascending=False).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if actor_name:
        query = query.where(AuditEntry.actor_name == actor_name)
    if target:
        query = query.where(AuditEntry.target == target)
    if outcome:
        query = query.where(AuditEntry.outcome == outcome)
    if ip:
        query = query.where(AuditEntry.ip == ip)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(await query)


async def purge(retention_days: int, now: datetime | None = None) -> int:
    """Remove entries older than the retention period; returns how many."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    old = await AuditEntry.count().where(AuditEntry.at < cutoff)
    if old:
        await AuditEntry.delete().where(AuditEntry.at < cutoff)
        log.info("audit: removed %d entries older than %d days", old, retention_days)
    return int(old)
