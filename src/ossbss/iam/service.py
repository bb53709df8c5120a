"""Users and API keys. Keyword-only; the caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.iam.domain import ROLES, digest, display_prefix, generate_key
from ossbss.iam.models import ApiKey, User
from ossbss.kernel.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class Principal:
    username: str
    role: str


def create_user(session: Session, *, username: str, role: str, now: datetime) -> Principal:
    if role not in ROLES:
        raise InvalidInput(
            "Unknown role", field="role", detail=f"must be one of {', '.join(sorted(ROLES))}"
        )
    if not username.strip():
        raise InvalidInput("Missing username", field="username", detail="is required")
    if session.scalar(select(User.pk).where(User.username == username)) is not None:
        raise Conflict("User exists", field="username", detail=f"{username} already exists")
    session.add(User(username=username, role=role, active=True, created_at=now))
    session.flush()
    return Principal(username=username, role=role)


def create_api_key(
    session: Session, *, username: str, name: str, now: datetime, key: str | None = None
) -> str:
    """Issue a key for ``username`` and return it in clear: the only time anyone sees it."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user {username}", field="username")
    key = key or generate_key()
    session.add(
        ApiKey(
            user_pk=user.pk,
            name=name,
            prefix=display_prefix(key),
            digest=digest(key),
            created_at=now,
        )
    )
    return key


def revoke_api_key(session: Session, *, prefix: str, now: datetime) -> int:
    keys = session.scalars(
        select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
    ).all()
    for key in keys:
        key.revoked_at = now
    return len(keys)


def ensure_admin_key(session: Session, *, key: str, now: datetime) -> None:
    """Make ``key`` a valid admin key (creating the ``admin`` user if needed); idempotent."""
    if session.scalar(select(User.pk).where(User.username == "admin")) is None:
        create_user(session, username="admin", role="admin", now=now)
    if session.scalar(select(ApiKey.pk).where(ApiKey.digest == digest(key))) is None:
        create_api_key(session, username="admin", name="bootstrap", now=now, key=key)


def authenticate(session: Session, *, key: str) -> Principal | None:
    row = session.execute(
        select(User.username, User.role)
        .join(ApiKey, ApiKey.user_pk == User.pk)
        .where(ApiKey.digest == digest(key), ApiKey.revoked_at.is_(None), User.active.is_(True))
    ).first()
    return None if row is None else Principal(username=row.username, role=row.role)
