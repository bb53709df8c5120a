"""payment tables: narrow rows; the TMF676 documents are rendered from them on read. Amounts
are integers in minor units of the row's currency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, JSONDocument, UTCDateTime

_PK = BigInteger().with_variant(Integer, "sqlite")


class Payment(Base):
    """Money received (or collected through the gateway) from a customer.

    status: done (applied: allocated to bills, the rest kept as credit), held (in suspense,
    nothing applied), denied (the gateway declined), canceled (a held item dismissed)."""

    __tablename__ = "payment_payment"
    __table_args__ = (
        Index("ix_payment_payment_account", "billing_account_id", "currency", "unallocated_minor"),
    )

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    # The payer's idempotency key (TMF676 correlatorId, a bank transaction id): one payment each.
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    billing_account_id: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    unallocated_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # credit kept
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str | None] = mapped_column(String(255))
    reference: Mapped[str | None] = mapped_column(String(140))
    source: Mapped[str] = mapped_column(String(10))  # api, csv, cli
    payer_name: Mapped[str | None] = mapped_column(String(140))
    method_token: Mapped[str | None] = mapped_column(String(128))  # a PSP token, never a PAN
    gateway_reference: Mapped[str | None] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Allocation(Base):
    """Part of a payment applied to a bill (append-only: a refund taken back from a bill is a
    negative row)."""

    __tablename__ = "payment_allocation"

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(String(64), index=True)
    bill_id: Mapped[str] = mapped_column(String(64), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Refund(Base):
    __tablename__ = "payment_refund"

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    payment_id: Mapped[str | None] = mapped_column(String(64), index=True)
    billing_account_id: Mapped[str] = mapped_column(String(64), index=True)
    method: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))  # done
    gateway_reference: Mapped[str | None] = mapped_column(String(128))
    # bill id -> minor units put back on it
    bills: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SuspenseItem(Base):
    """Money that could not be applied, held for a person to review: applied to an account
    they choose, or dismissed. Its payment (status held) carries the money."""

    __tablename__ = "payment_suspense"

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    payment_id: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(10))  # api, csv, cli
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    reason: Mapped[str] = mapped_column(String(255))
    billing_account_id: Mapped[str | None] = mapped_column(String(64))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(String(140))
    status: Mapped[str] = mapped_column(String(12), index=True)  # held, applied, dismissed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BankStatementLine(Base):
    """A bank statement line once imported: its hash (and the bank's transaction id, when the
    statement gives one) make a re-imported line a duplicate."""

    __tablename__ = "payment_bank_statement_line"

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    line_hash: Mapped[str] = mapped_column(String(64), unique=True)
    bank_transaction_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    payment_id: Mapped[str | None] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


def table(model: type[Base]) -> Table:
    """The model's Core table: batch inserts go through Core, without ORM bookkeeping per row."""
    found = model.__table__
    assert isinstance(found, Table)
    return found
