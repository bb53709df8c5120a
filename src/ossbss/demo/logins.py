"""The demo's console sign-ins: one staff user per role and a few subscribers' self-care
logins, all with the password DEMO_PASSWORD (printed by `make run`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ossbss import iam
from ossbss.bootstrap import Platform
from ossbss.kernel import DomainError

DEMO_PASSWORD = "ossbss-demo"
STAFF = (
    ("admin", "admin"),
    ("csr", "csr"),
    ("billing", "billing"),
    ("noc", "noc"),
    ("viewer", "readonly"),
)


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    who: str = ""


def create_logins(platform: Platform) -> list[Login]:
    """Staff users (the admin user gets a password too) and subscribers' logins; idempotent."""
    now = platform.clock.now()
    logins: list[Login] = []
    with platform.database.unit_of_work() as session:
        for username, role in STAFF:
            _ensure(session, username=username, role=role, now=now)
            logins.append(Login(username, role))
    return logins


def _ensure(
    session: Session, *, username: str, role: str, now: datetime, party_id: str | None = None
) -> None:
    try:
        iam.create_user(
            session,
            username=username,
            role=role,
            now=now,
            password=DEMO_PASSWORD,
            party_id=party_id,
        )
    except DomainError:
        iam.set_password(session, username=username, password=DEMO_PASSWORD)
