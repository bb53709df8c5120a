"""charging tables: accounts' charging state (the lock row), buckets, reservations, the
balance action history and online charging sessions. Amounts are integers in the bucket's
unit: minor units of its currency, or bytes, seconds, events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, JSONDocument, UTCDateTime

Amount = BigInteger


class ChargingAccount(Base):
    """One row per billing account charging has seen. Every balance change of the account
    locks this row first (SELECT ... FOR UPDATE), so two sessions of one account never
    reserve the same money."""

    __tablename__ = "charging_account"

    billing_account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    prepaid: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Bucket(Base):
    __tablename__ = "charging_bucket"
    __table_args__ = (
        # One allowance bucket per product, kind and period (created lazily, so racing
        # creators meet here); money buckets have no product and start at creation.
        UniqueConstraint("billing_account_id", "product_id", "usage_type", "valid_from"),
        Index("ix_charging_bucket_account", "billing_account_id", "usage_type"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    billing_account_id: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[str] = mapped_column(String(64), default="")  # "" for money
    usage_type: Mapped[str] = mapped_column(String(20))  # monetary, data, voice, sms
    units: Mapped[str] = mapped_column(String(10))  # currency code, byte, second, event
    initial: Mapped[int] = mapped_column(Amount)  # allowance granted for the period
    rollover: Mapped[int] = mapped_column(Amount, default=0)  # of initial, carried over
    remaining: Mapped[int] = mapped_column(Amount)
    reserved: Mapped[int] = mapped_column(Amount, default=0)  # sum of active reservations
    # Allowance buckets: units used beyond the allowance in the period, priced; the tiers of
    # the next online charge continue from here, as the rating run's do.
    beyond_used: Mapped[int] = mapped_column(Amount, default=0)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    policy: Mapped[str] = mapped_column(String(20), default="charge")
    throttle_down_kbps: Mapped[int | None] = mapped_column(Integer)
    throttle_up_kbps: Mapped[int | None] = mapped_column(Integer)
    notified_percent: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Reservation(Base):
    """Units or money held for someone: a TMF654 reserveBalance or an online session's grant
    for one rating group. ``amount`` is held on the bucket; released or committed once."""

    __tablename__ = "charging_reservation"
    __table_args__ = (
        Index("ix_charging_reservation_session", "session_ref", "rating_group", "state"),
        Index("ix_charging_reservation_bucket", "bucket_id", "state"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    billing_account_id: Mapped[str] = mapped_column(String(64), index=True)
    bucket_id: Mapped[str] = mapped_column(String(64))
    session_ref: Mapped[str | None] = mapped_column(String(64))
    rating_group: Mapped[int | None] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Amount)  # service units granted (bytes, seconds, ...)
    amount: Mapped[int] = mapped_column(Amount)  # held on the bucket, in its units
    state: Mapped[str] = mapped_column(String(20))  # active, committed, released, expired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BalanceAction(Base):
    """The history (TMF654 balanceActionHistory): every top-up, adjustment, reservation
    and usage debit. ``body`` is the TMF654 document of top-ups, adjustments and reservations."""

    __tablename__ = "charging_balance_action"
    __table_args__ = (Index("ix_charging_balance_action_account", "billing_account_id", "pk"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    action: Mapped[str] = mapped_column(
        String(30)
    )  # topupBalance, adjustBalance, reserveBalance, usage
    billing_account_id: Mapped[str] = mapped_column(String(64))
    bucket_id: Mapped[str | None] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column(Amount)
    units: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    body: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChargingSession(Base):
    """One Nchf charging session (a ChargingDataRef) and the last answer it got."""

    __tablename__ = "charging_session"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    # consumer|chargingId|subscriber: a retransmitted create finds the session it made.
    create_key: Mapped[str] = mapped_column(String(300), unique=True)
    subscriber: Mapped[str] = mapped_column(String(200))
    billing_account_id: Mapped[str] = mapped_column(String(64), index=True)
    product_id: Mapped[str] = mapped_column(String(64))
    offering_id: Mapped[str] = mapped_column(String(64))
    prepaid: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(20))  # open, released
    last_sequence: Mapped[int] = mapped_column(BigInteger)
    last_response: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
