"""account tables: each holds the TMF document plus the columns people filter and sort on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from ossbss.account import domain
from ossbss.kernel.db import Base, UTCDateTime
from ossbss.tmf import DocumentTable


def _derived(compute: Callable[[Any], Any]) -> Callable[[DefaultExecutionContext], Any]:
    """A column value computed from the document being written.

    The generic store fills a column only where a TMF path leads to a scalar. The owner sits
    inside the ``relatedParty`` array and the credit limit is a decimal on the wire, so their
    columns are filled here, from the ``body`` the same INSERT/UPDATE writes.
    """

    def default(context: DefaultExecutionContext) -> Any:
        # SQLAlchemy leaves this method unannotated; it returns the statement's parameters.
        parameters = context.get_current_parameters()  # type: ignore[no-untyped-call]
        return compute(parameters.get("body"))

    return default


class AccountColumns:
    """Columns billing and party accounts share (TMF666 gives them the same attributes)."""

    name: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str | None] = mapped_column(String(40))
    account_type: Mapped[str | None] = mapped_column(String(80))
    payment_status: Mapped[str | None] = mapped_column(String(80))
    currency: Mapped[str | None] = mapped_column(String(3))
    bill_cycle_id: Mapped[str | None] = mapped_column(String(64))
    last_modified: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner_party_id: Mapped[str | None] = mapped_column(
        String(64),
        default=_derived(domain.owner_party_id),
        onupdate=_derived(domain.owner_party_id),
    )
    credit_limit_minor: Mapped[int | None] = mapped_column(
        BigInteger,
        default=_derived(domain.credit_limit_minor),
        onupdate=_derived(domain.credit_limit_minor),
    )

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Index, ...]:
        table = cls.__tablename__  # type: ignore[attr-defined]
        names = (
            "name",
            "state",
            "account_type",
            "payment_status",
            "currency",
            "bill_cycle_id",
            "last_modified",
            "owner_party_id",
            "credit_limit_minor",
        )
        # (column, pk): filtered listings page in pk order straight from the index.
        return tuple(Index(f"ix_{table}_{name}", name, "pk") for name in names)


class BillingAccount(AccountColumns, DocumentTable, Base):
    __tablename__ = "account_billing_account"


class PartyAccount(AccountColumns, DocumentTable, Base):
    __tablename__ = "account_party_account"


class BillingCycleSpecification(DocumentTable, Base):
    __tablename__ = "account_billing_cycle_specification"
    __table_args__ = (
        Index("ix_account_billing_cycle_specification_name", "name", "pk"),
        Index("ix_account_billing_cycle_specification_frequency", "frequency", "pk"),
        Index("ix_account_billing_cycle_specification_valid_from", "valid_from", "pk"),
    )

    name: Mapped[str | None] = mapped_column(String(200))
    frequency: Mapped[str | None] = mapped_column(String(40))
    billing_date_shift: Mapped[int | None] = mapped_column()
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LedgerEntry(Base):
    """One leg of a double-entry transaction (append-only: rows are never updated or deleted).

    An account's balance is the sum of its RECEIVABLE legs, so it can never drift from the
    money movements that make it up."""

    __tablename__ = "account_ledger_entry"
    __table_args__ = (
        Index("ix_account_ledger_entry_account", "billing_account_id", "ledger", "pk"),
        Index("ix_account_ledger_entry_reference", "reference_type", "reference_id"),
    )

    pk: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # charge, payment, credit, refund, writeOff, ...
    billing_account_id: Mapped[str] = mapped_column(String(64))
    ledger: Mapped[str] = mapped_column(String(20))  # RECEIVABLE, REVENUE, TAX, CASH, ...
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # debit positive, credit negative
    reference_type: Mapped[str] = mapped_column(String(40))
    reference_id: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(255), default="")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
