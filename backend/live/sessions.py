"""Which websocket credentials still hold: the hub's periodic sweep, behind the instant ``end_sessions`` message."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from backend.accounts.tables import AuthToken

CHUNK = 500


async def session_expiries(sessions: Iterable[str]) -> dict[str, datetime]:
    """The absolute expiry of each session (SHA-256 of a credential) whose token exists and whose user is active;
    ended sessions (logout, password change, deactivation) are missing from the answer."""
    wanted = sorted(set(sessions))
    found: dict[str, datetime] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = await AuthToken.select(AuthToken.token_hash, AuthToken.expires_at).where(
            AuthToken.token_hash.is_in(wanted[start:start + CHUNK]) & (AuthToken.user.active == True)
        )
        found.update((row["token_hash"], _aware(row["expires_at"])) for row in rows)
    return found


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for what was written as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
