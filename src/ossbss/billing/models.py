"""billing tables: narrow rows (a bill run writes them in bulk); the TMF678 documents are
rendered from them on read. Amounts are integers in minor units of the bill's currency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, JSONDocument, UTCDateTime

_PK = BigInteger().with_variant(Integer, "sqlite")


class BillRun(Base):
    __tablename__ = "billing_bill_run"
    __table_args__ = (
        # One run per cycle and period that is not discarded: a second start finds the first.
        Index(
            "uq_billing_bill_run_cycle_period",
            "cycle_id",
            "period_start",
            "period_end",
            unique=True,
            sqlite_where=text("state <> 'discarded'"),
            postgresql_where=text("state <> 'discarded'"),
        ),
    )

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    cycle_id: Mapped[str] = mapped_column(String(64), index=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    # running -> draft -> approving -> issued; failed; discarded (a draft thrown away)
    state: Mapped[str] = mapped_column(String(20))
    accounts_total: Mapped[int] = mapped_column(Integer, default=0)
    accounts_done: Mapped[int] = mapped_column(Integer, default=0)
    accounts_failed: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Bill(Base):
    __tablename__ = "billing_bill"
    __table_args__ = (
        # A run bills an account once, whatever happens to the process running it.
        UniqueConstraint("bill_run_id", "billing_account_id"),
        Index("ix_billing_bill_account", "billing_account_id", "state", "payment_due_date"),
        Index("ix_billing_bill_state", "state", "payment_due_date"),
        # The console's invoice list: the newest first, a page at a time.
        Index("ix_billing_bill_date", "bill_date", "pk"),
        # billed revenue by month (the console's dashboard): an index-only range of the months
        Index(
            "ix_billing_bill_revenue",
            "bill_date",
            "currency",
            "kind",
            "amount_excl_tax_minor",
            "issued_at",
        ),
    )

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    bill_no: Mapped[str | None] = mapped_column(String(32), unique=True)  # given on issue
    kind: Mapped[str] = mapped_column(String(16))  # regular, onDemand, creditNote
    billing_account_id: Mapped[str] = mapped_column(String(64))
    bill_run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # TMF678 states: new (a draft), validated, sent (issued), partiallyPaid, settled, onHold
    state: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bill_date: Mapped[datetime] = mapped_column(UTCDateTime)
    payment_due_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    amount_excl_tax_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    amount_incl_tax_minor: Mapped[int] = mapped_column(BigInteger)
    remaining_minor: Mapped[int] = mapped_column(BigInteger)
    corrects_bill_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BillLine(Base):
    """An appliedCustomerBillingRate: one charge on a bill, tax excluded, with its tax."""

    __tablename__ = "billing_bill_line"

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    bill_id: Mapped[str] = mapped_column(ForeignKey("billing_bill.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str | None] = mapped_column(String(64), index=True)
    product_name: Mapped[str | None] = mapped_column(String(200))
    offering_id: Mapped[str | None] = mapped_column(String(64))
    # recurring, oneTime, usage, discount, adjustment, credit
    type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(255))
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quantity: Mapped[str | None] = mapped_column(String(64))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    tax_category: Mapped[str | None] = mapped_column(String(80))
    tax_rate: Mapped[str] = mapped_column(String(16), default="0")  # percent, a decimal string
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class RunFailure(Base):
    """An account a bill run could not bill, and why (the run goes on without it)."""

    __tablename__ = "billing_run_failure"
    __table_args__ = (UniqueConstraint("bill_run_id", "billing_account_id"),)

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    bill_run_id: Mapped[str] = mapped_column(String(64))
    billing_account_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BillDocument(Base):
    """The rendered invoice of an issued bill (a draft is rendered on demand, never stored)."""

    __tablename__ = "billing_bill_document"

    bill_id: Mapped[str] = mapped_column(ForeignKey("billing_bill.id"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(64), default="application/pdf")
    size: Mapped[int] = mapped_column(Integer)
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Adjustment(Base):
    """A signed amount (a goodwill or SLA credit, a fee) waiting for the account's next bill,
    where it becomes an 'adjustment' line; ``billed_on_bill_id`` says which bill took it."""

    __tablename__ = "billing_adjustment"
    __table_args__ = (
        Index("ix_billing_adjustment_pending", "billing_account_id", "billed_on_bill_id"),
    )

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    billing_account_id: Mapped[str] = mapped_column(String(64))
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # tax excluded; negative = a credit
    currency: Mapped[str] = mapped_column(String(3))
    tax_rate: Mapped[str] = mapped_column(String(16), default="0")
    reason: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(64))  # manual, sla, ...
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    billed_on_bill_id: Mapped[str | None] = mapped_column(String(64))


class BillOnDemand(Base):
    """A TMF678 customerBillOnDemand request and its outcome (the bill it produced, or why not)."""

    __tablename__ = "billing_bill_on_demand"

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    billing_account_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(24))  # inProgress, done, terminatedWithError
    reason: Mapped[str | None] = mapped_column(String(500))
    bill_id: Mapped[str | None] = mapped_column(String(64))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
