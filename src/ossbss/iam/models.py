from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, UTCDateTime


class User(Base):
    __tablename__ = "iam_user"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # scrypt hash for console sign-in ("scrypt$n$r$p$salt$hash"); None: API keys only.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # A self-care login (role "customer") belongs to one customer (TMF629 id).
    party_id: Mapped[str | None] = mapped_column(String(64), index=True)


class ApiKey(Base):
    """An API key, stored only as its SHA-256 digest; the prefix lets people tell keys apart."""

    __tablename__ = "iam_api_key"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("iam_user.pk", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
