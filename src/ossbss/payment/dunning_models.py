"""Dunning tables: one case per episode of debt of a billing account, and the audit trail of
every step taken in it (notified, requested of ordering, and what ordering did)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ossbss.kernel.db import Base, UTCDateTime

_PK = BigInteger().with_variant(Integer, "sqlite")


class DunningCase(Base):
    """From the first overdue bill acted on to the payment (or termination) that ends it."""

    __tablename__ = "payment_dunning_case"
    __table_args__ = (
        # At most one open case per account, whoever runs dunning at the same time.
        Index(
            "uq_payment_dunning_case_open",
            "billing_account_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        Index("ix_payment_dunning_case_account", "billing_account_id", "opened_at"),
    )

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    billing_account_id: Mapped[str] = mapped_column(String(64))
    account_class: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    oldest_bill_id: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The last policy step taken (None: the case is open, no step taken yet) and its action.
    step_reached: Mapped[str | None] = mapped_column(String(64))
    action_reached: Mapped[str | None] = mapped_column(String(16))
    # Dunning suspended the account's products: paying resumes them.
    suspended: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_reason: Mapped[str | None] = mapped_column(String(32))  # paid
    # Declared so one flush writes new cases before their actions (the foreign key's order).
    actions: Mapped[list[DunningAction]] = relationship(
        order_by="DunningAction.pk", lazy="raise", viewonly=False
    )


class DunningAction(Base):
    """One step of a case: what was done, when, on what facts, and how it turned out."""

    __tablename__ = "payment_dunning_action"

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("payment_dunning_case.id"), index=True)
    step: Mapped[str] = mapped_column(String(64))
    # reminder, suspend, terminate (policy steps) or resume (the debt was paid)
    action: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    days_overdue: Mapped[int | None] = mapped_column(Integer)
    overdue_minor: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(String(500))
    # notified | requested (ordering asked) | ordered (order placed) | superseded | nothing
    # to do | failed
    outcome: Mapped[str] = mapped_column(String(32))
    outcome_detail: Mapped[str | None] = mapped_column(String(500))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
