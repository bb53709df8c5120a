"""usage tables: records (TMF635 document + narrow hot columns), quarantine, CDR files,
subscriber identities."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, UTCDateTime
from ossbss.tmf import DocumentTable

_PK = BigInteger().with_variant(Integer, "sqlite")


class UsageRecord(DocumentTable, Base):
    """One usage record. The narrow columns carry what ingestion, rating and billing read
    and write in bulk; ``body`` is the TMF635 document the API serves, kept in step by the
    same bulk statements."""

    __tablename__ = "usage_record"
    __table_args__ = (
        Index("ix_usage_record_status_started", "status", "started_at"),
        Index("ix_usage_record_subscriber_status", "subscriber", "status"),
    )

    record_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    subscriber: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_up: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_down: Mapped[int] = mapped_column(BigInteger, default=0)
    events: Mapped[int] = mapped_column(BigInteger, default=0)
    destination: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    # Why a record waits in suspense or was rejected; None when all is well.
    reason: Mapped[str | None] = mapped_column(String(255))
    recycled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    product_id: Mapped[str | None] = mapped_column(String(64), index=True)
    billing_account_id: Mapped[str | None] = mapped_column(String(64), index=True)
    offering_id: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    # The rating: an integer amount at a fine fixed scale (catalog RATE_DIGITS), never float.
    amount: Mapped[int | None] = mapped_column(BigInteger)
    scale: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    price_id: Mapped[str | None] = mapped_column(String(64))
    rated_quantity: Mapped[int | None] = mapped_column(BigInteger)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    billed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UsageSpecification(DocumentTable, Base):
    __tablename__ = "usage_specification"

    name: Mapped[str | None] = mapped_column(String(200), index=True)


class QuarantinedRecord(Base):
    """Input that could not become a usage record, kept with the reason (never dropped)."""

    __tablename__ = "usage_quarantine"

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16), index=True)
    source_ref: Mapped[str | None] = mapped_column(String(255))
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CdrFile(Base):
    """A CDR file seen by its content hash; ``rows_done`` is the committed progress, written in
    the same transaction as the records of each chunk (a restart resumes there)."""

    __tablename__ = "usage_cdr_file"

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    feed: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # "importing" | "processed"
    rows_done: Mapped[int] = mapped_column(BigInteger, default=0)
    accepted: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)
    suspended: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubscriberIdentity(Base):
    """What the network calls a subscriber (username, MSISDN, IMSI) -> the product it uses,
    over a half-open validity period."""

    __tablename__ = "usage_subscriber"
    __table_args__ = (Index("ix_usage_subscriber_lookup", "identifier", "valid_from"),)

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    identifier: Mapped[str] = mapped_column(String(128))
    product_id: Mapped[str] = mapped_column(String(64), index=True)
    billing_account_id: Mapped[str] = mapped_column(String(64))
    offering_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
