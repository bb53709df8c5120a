"""Tables the TMF machinery owns: the reference index, hub subscriptions, idempotency keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, UTCDateTime


class RefIndex(Base):
    """Values found under array paths such as ``relatedParty.id``, so filters on them use an
    index instead of scanning documents. Maintained by the store on every write."""

    __tablename__ = "tmf_ref_index"
    __table_args__ = (Index("ix_tmf_ref_index_lookup", "resource", "path", "value", "resource_pk"),)

    pk: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    resource: Mapped[str] = mapped_column(String(80))
    resource_pk: Mapped[int] = mapped_column(BigInteger, index=True)
    path: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(255))


class HubSubscription(Base):
    __tablename__ = "tmf_hub_subscription"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    api: Mapped[str] = mapped_column(String(80), index=True)
    callback: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text, default="")
    # The server's base URL when the subscriber registered: hrefs in its events start with it.
    base_url: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key`` on a POST and the resource it created, so a retried
    request returns that resource instead of creating a second one."""

    __tablename__ = "tmf_idempotency_key"
    __table_args__ = (UniqueConstraint("resource", "key"),)

    pk: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    resource: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the request body: the same key with another body is a client error.
    request_hash: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
