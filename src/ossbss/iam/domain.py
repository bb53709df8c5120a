"""Roles and keys: pure rules."""

from __future__ import annotations

import hashlib
import secrets

ROLES = frozenset({"admin", "csr", "billing", "noc", "readonly"})
KEY_PREFIX = "ossbss_"


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def digest(key: str) -> str:
    """Keys are 256-bit random tokens, so a fast hash is enough (no password stretching)."""
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[: len(KEY_PREFIX) + 6]


def may(role: str, allowed: frozenset[str] | None) -> bool:
    """Admin may do anything; otherwise the role must be among the allowed ones."""
    return allowed is None or role == "admin" or role in allowed
