"""Roles and keys: pure rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# Staff roles. A subscriber's self-care login has the role CUSTOMER, which is not a staff role:
# it never gets an API key and reaches only its own customer's data.
ROLES = frozenset({"admin", "csr", "billing", "noc", "readonly"})
CUSTOMER = "customer"
KEY_PREFIX = "ossbss_"
# scrypt cost (RFC 7914): n=2**14, r=8 is the interactive-login setting (~16 MiB, tens of ms).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 8


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


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A self-describing scrypt hash (hashlib's, from OpenSSL: no extra dependency)."""
    salt = salt or secrets.token_bytes(16)
    derived = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    parts = (SCRYPT_N, SCRYPT_R, SCRYPT_P, *(base64.b64encode(b).decode() for b in (salt, derived)))
    return "$".join(("scrypt", *map(str, parts)))


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except ValueError:
        return False
    return hmac.compare_digest(derived, base64.b64decode(expected))


# Compared against when the user does not exist, so an unknown name costs as long as a wrong
# password (no user enumeration by timing).
DUMMY_HASH = hash_password("not a password", salt=b"0" * 16)
