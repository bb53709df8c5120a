"""Users and API keys. Keyword-only; the caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.iam.domain import (
    CUSTOMER,
    DUMMY_HASH,
    MIN_PASSWORD_LENGTH,
    ROLES,
    digest,
    display_prefix,
    generate_key,
    hash_password,
    verify_password,
)
from ossbss.iam.models import ApiKey, User
from ossbss.kernel.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    # The customer a self-care login belongs to; None for staff.
    party_id: str | None = None

    @property
    def is_customer(self) -> bool:
        return self.role == CUSTOMER


def create_user(
    session: Session,
    *,
    username: str,
    role: str,
    now: datetime,
    password: str | None = None,
    party_id: str | None = None,
) -> Principal:
    """A staff user (a role of ROLES), or with role ``customer`` a subscriber's self-care login
    for the customer ``party_id`` (the caller checks that customer exists)."""
    if role not in ROLES | {CUSTOMER}:
        raise InvalidInput(
            "Unknown role",
            field="role",
            detail=f"must be one of {', '.join(sorted(ROLES | {CUSTOMER}))}",
        )
    if not username.strip():
        raise InvalidInput("Missing username", field="username", detail="is required")
    if (role == CUSTOMER) != bool(party_id):
        raise InvalidInput(
            "Customer login", field="party_id", detail="a customer login names its customer"
        )
    if session.scalar(select(User.pk).where(User.username == username)) is not None:
        raise Conflict("User exists", field="username", detail=f"{username} already exists")
    session.add(
        User(
            username=username,
            role=role,
            active=True,
            created_at=now,
            party_id=party_id,
            password_hash=None if password is None else _checked_hash(password),
        )
    )
    session.flush()
    return Principal(username=username, role=role, party_id=party_id)


def set_password(session: Session, *, username: str, password: str) -> None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user {username}", field="username")
    user.password_hash = _checked_hash(password)


def sign_in(session: Session, *, username: str, password: str) -> Principal | None:
    """The active user with this password, or None (an unknown name takes as long)."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    stored = user.password_hash if user is not None and user.password_hash else None
    matches = verify_password(password, stored or DUMMY_HASH)
    if user is None or stored is None or not matches:
        return None
    return Principal(username=user.username, role=user.role, party_id=user.party_id)


def principal_of(session: Session, *, username: str) -> Principal | None:
    """The active user ``username`` as they are now (a console session re-reads its role)."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    return None if user is None else Principal(user.username, user.role, user.party_id)


def _checked_hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "Password too short",
            field="password",
            detail=f"needs at least {MIN_PASSWORD_LENGTH} characters",
        )
    return hash_password(password)


def create_api_key(
    session: Session, *, username: str, name: str, now: datetime, key: str | None = None
) -> str:
    """Issue a key for ``username`` and return it in clear: the only time anyone sees it."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user {username}", field="username")
    if user.role == CUSTOMER:
        raise InvalidInput(
            "No API key for a customer", field="username", detail="self-care logins sign in only"
        )
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
        .where(
            ApiKey.digest == digest(key),
            ApiKey.revoked_at.is_(None),
            User.active.is_(True),
            User.role != CUSTOMER,
        )
    ).first()
    return None if row is None else Principal(username=row.username, role=row.role)
