"""Password hashing off the event loop, and the password policy for accounts that are not the demo city's.

argon2 is deliberately slow and memory-hard (64 MiB per hash): it runs in a small dedicated thread pool so a burst of
logins neither blocks the event loop nor takes unbounded memory. An unknown username is checked against a dummy hash,
so it costs the same as a known one and usernames cannot be probed by timing.
"""

from __future__ import annotations

import asyncio
import functools
import string
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from backend.errors import InvalidInput

# The demo city's shared password: accepted only in demo mode (see Settings.demo_mode), refused by the policy.
DEMO_PASSWORD = "ssp-demo-2026"
MIN_LENGTH = 10
MIN_CLASSES = 3  # of lower case, upper case, digits, symbols: the usual 等保 complexity rule
MIN_STRENGTH = 3  # zxcvbn score 0–4; its packaged lists hold the 30,000 most common passwords
HASH_THREADS = 2

_hasher = PasswordHasher()
_pool = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="argon2")


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("no such user: this hash only makes the timing equal")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; an empty hash (unknown user, device account) is checked against a dummy."""
    return await asyncio.get_running_loop().run_in_executor(_pool, _verify, password_hash, password)


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_pool, _hasher.hash, password)


def hash_password_sync(password: str) -> str:
    """For seeding and the CLI, where no event loop is busy serving requests."""
    return _hasher.hash(password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def _classes(password: str) -> int:
    groups = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    counted = sum(any(c in g for c in password) for g in groups)
    return counted + any(not c.isalnum() for c in password)


def check_policy(password: str, username: str, display_name: str = "") -> None:
    """Raise ``InvalidInput`` with every reason the password is refused, in Chinese and English."""
    reasons: list[tuple[str, str, str]] = []
    if len(password) < MIN_LENGTH:
        reasons.append(("too_short", f"至少 {MIN_LENGTH} 个字符", f"at least {MIN_LENGTH} characters"))
    if _classes(password) < MIN_CLASSES:
        reasons.append(("too_simple", "须包含大写字母、小写字母、数字、符号中的至少三类",
                        "at least three of: upper case, lower case, digits, symbols"))
    if username and username.lower() in password.lower():
        reasons.append(("contains_username", "不能包含用户名", "must not contain the username"))
    if password == DEMO_PASSWORD:
        reasons.append(("demo_password", "不能使用演示密码", "must not be the demo password"))
    if not reasons and zxcvbn(password[:64], user_inputs=[username, display_name])["score"] < MIN_STRENGTH:
        reasons.append(("too_common", "过于常见或容易猜到", "too common or easy to guess"))
    if reasons:
        raise InvalidInput(
            "密码不符合要求：" + "；".join(r[1] for r in reasons),
            "The password is not accepted: " + "; ".join(r[2] for r in reasons),
            code="password.policy",
            details={"reasons": [r[0] for r in reasons], "min_length": MIN_LENGTH},
        )
