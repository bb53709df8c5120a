"""Balances: buckets of money or units, holds (reservations), debits, top-ups, thresholds.

Every change runs under the account's lock (``lock_account``): the lock row is taken with
SELECT ... FOR UPDATE on PostgreSQL; on SQLite a writer already holds the database's write
lock (BEGIN IMMEDIATE, one writer). Available = remaining - reserved is read and held in the
same locked transaction, so no two holders can take the same units.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ossbss import account
from ossbss.charging import domain
from ossbss.charging.balances_view import notify_bucket_changed
from ossbss.charging.models import BalanceAction, Bucket, ChargingAccount, Reservation
from ossbss.charging.ports import Pricer, Subscriber
from ossbss.charging.wiring import wiring
from ossbss.events.charging import AllowanceThresholdReached, LowBalance
from ossbss.kernel import new_id, publish
from ossbss.kernel.db import UTCDateTime
from ossbss.kernel.errors import NotFound
from ossbss.kernel.time import Period

PREPAID_TYPES = frozenset({"prepaid", "prepay", "pre-paid"})


# --- the account lock ---------------------------------------------------------------------


# Built once: these run on every online charging request.
_NOW = bindparam("now", type_=UTCDateTime)
_LOCK = (
    select(ChargingAccount.billing_account_id)
    .where(ChargingAccount.billing_account_id == bindparam("account"))
    .with_for_update()
)
_ALLOWANCE = (
    select(Bucket)
    .where(
        Bucket.billing_account_id == bindparam("account"),
        Bucket.product_id == bindparam("product"),
        Bucket.usage_type == bindparam("kind"),
        Bucket.valid_from <= _NOW,
        Bucket.valid_to > _NOW,
    )
    .limit(1)
)
_MONEY = (
    select(Bucket)
    .where(Bucket.billing_account_id == bindparam("account"), Bucket.usage_type == domain.MONEY)
    .order_by(Bucket.pk)
    .limit(1)
)


def lock_account(
    session: Session, *, account_id: str, now: datetime, prepaid: bool | None = None
) -> None:
    """Take the account's charging lock for the rest of the transaction, creating its row
    on first sight (and recording ``prepaid`` when given).

    On SQLite the writer already holds the database's write lock (BEGIN IMMEDIATE), which
    is stronger; on PostgreSQL the account's row is locked (the upsert's row lock, or
    SELECT ... FOR UPDATE)."""
    if prepaid is not None:
        values = {"billing_account_id": account_id, "prepaid": prepaid, "created_at": now}
        insert = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
        statement = insert(ChargingAccount).values(**values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[ChargingAccount.billing_account_id], set_={"prepaid": prepaid}
            )
        )
        return
    if _dialect(session) == "postgresql":
        session.execute(_LOCK, {"account": account_id})


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def is_prepaid(session: Session, *, account_id: str) -> bool:
    """An account is prepaid when its TMF666 ``accountType`` says so ("prepaid"); anything
    else is postpaid (usage is billed later, not limited by money). NotFound if unknown."""
    document = account.get_billing_account(session, account_id=account_id)
    kind = document.get("accountType")
    return isinstance(kind, str) and kind.strip().lower() in PREPAID_TYPES


# --- buckets ------------------------------------------------------------------------------


def available(bucket: Bucket) -> int:
    return max(bucket.remaining - bucket.reserved, 0)


def is_active(bucket: Bucket, at: datetime) -> bool:
    return Period(bucket.valid_from, bucket.valid_to).contains(at)


def money_bucket(
    session: Session, *, account_id: str, now: datetime, currency: str | None = None
) -> Bucket | None:
    """The account's prepaid credit (one per account); created when ``currency`` is given."""
    bucket = session.scalars(_MONEY, {"account": account_id}).first()
    if bucket is None and currency is not None:
        bucket = _new_bucket(
            account_id=account_id,
            product_id="",
            usage_type=domain.MONEY,
            units=currency,
            initial=0,
            period=Period(now),
            now=now,
        )
        session.add(bucket)
        session.flush()
    return bucket


def allowance_bucket(
    session: Session, *, subscriber: Subscriber, kind: str, now: datetime, pricer: Pricer
) -> Bucket | None:
    """The product's allowance for ``kind`` in the billing period containing ``now``,
    created on first use from the price's included quantity (plus rollover). The caller
    holds the account lock."""
    found = {
        "account": subscriber.billing_account_id,
        "product": subscriber.product_id,
        "kind": kind,
        "now": now,
    }
    bucket = session.scalars(_ALLOWANCE, found).first()
    if bucket is not None:
        return bucket
    allowance = pricer.allowance(session, subscriber=subscriber, kind=kind, at=now)
    if allowance is None:
        return None
    billing_day, months = _cycle(session, subscriber.billing_account_id)
    period = domain.billing_period(now, billing_day=billing_day, months=months)
    carried = 0
    if allowance.rollover:
        previous = domain.previous_period(period, billing_day=billing_day, months=months)
        before = _bucket_at(session, subscriber, kind, previous.start)
        if before is not None:
            carried = domain.rollover_quantity(before.remaining, allowance.rollover_max)
    bucket = _new_bucket(
        account_id=subscriber.billing_account_id,
        product_id=subscriber.product_id,
        usage_type=kind,
        units=domain.BASE_UNIT[kind],
        initial=allowance.quantity + carried,
        period=period,
        now=now,
    )
    bucket.rollover = carried
    bucket.policy = allowance.policy
    bucket.throttle_down_kbps = allowance.throttle_down_kbps
    bucket.throttle_up_kbps = allowance.throttle_up_kbps
    session.add(bucket)
    session.flush()
    return bucket


def _bucket_at(
    session: Session, subscriber: Subscriber, kind: str, start: datetime
) -> Bucket | None:
    return session.scalars(
        select(Bucket).where(
            Bucket.billing_account_id == subscriber.billing_account_id,
            Bucket.product_id == subscriber.product_id,
            Bucket.usage_type == kind,
            Bucket.valid_from == start,
        )
    ).first()


def _cycle(session: Session, account_id: str) -> tuple[int, int]:
    try:
        cycle = account.bill_cycle_for(session, account_id=account_id)
    except NotFound:
        cycle = None
    return (cycle.billing_day, cycle.months) if cycle else (1, 1)


def _new_bucket(
    *,
    account_id: str,
    product_id: str,
    usage_type: str,
    units: str,
    initial: int,
    period: Period,
    now: datetime,
) -> Bucket:
    return Bucket(
        id=new_id(),
        billing_account_id=account_id,
        product_id=product_id,
        usage_type=usage_type,
        units=units,
        initial=initial,
        rollover=0,
        remaining=initial,
        reserved=0,
        valid_from=period.start,
        valid_to=period.end,
        policy="charge",
        notified_percent=0,
        created_at=now,
        updated_at=now,
    )


def get_bucket(session: Session, *, bucket_id: str) -> Bucket:
    bucket = session.scalars(select(Bucket).where(Bucket.id == bucket_id)).first()
    if bucket is None:
        raise NotFound(f"No bucket with id {bucket_id}", field="id")
    return bucket


# --- holds and debits ---------------------------------------------------------------------


def hold(
    session: Session,
    *,
    bucket: Bucket,
    amount: int,
    units: int,
    now: datetime,
    expires_at: datetime | None,
    session_ref: str | None = None,
    rating_group: int | None = None,
) -> Reservation:
    """Hold ``amount`` of the bucket (the caller checked it is available, under the lock)."""
    bucket.reserved += amount
    bucket.updated_at = now
    reservation = Reservation(
        id=new_id(),
        billing_account_id=bucket.billing_account_id,
        bucket_id=bucket.id,
        session_ref=session_ref,
        rating_group=rating_group,
        units=units,
        amount=amount,
        state="active",
        created_at=now,
        expires_at=expires_at,
    )
    session.add(reservation)
    return reservation


def release(session: Session, *, reservation: Reservation, bucket: Bucket, state: str) -> None:
    """End a hold: ``released`` (nothing used), ``committed`` (debited separately) or
    ``expired``. Releasing twice changes nothing."""
    if reservation.state != "active":
        return
    bucket.reserved = max(bucket.reserved - reservation.amount, 0)
    reservation.state = state


def release_expired(session: Session, *, account_id: str, now: datetime) -> int:
    """Give back holds whose validity ran out (a session that never reported back)."""
    expired = session.scalars(
        select(Reservation).where(
            Reservation.billing_account_id == account_id,
            Reservation.state == "active",
            Reservation.expires_at <= now,
        )
    ).all()
    for reservation in expired:
        release(
            session,
            reservation=reservation,
            bucket=get_bucket(session, bucket_id=reservation.bucket_id),
            state="expired",
        )
    return len(expired)


def debit(
    session: Session,
    *,
    bucket: Bucket,
    amount: int,
    now: datetime,
    reason: str = "usage",
    record: bool = True,
) -> None:
    """Take ``amount`` from the bucket and publish what crossing a threshold means."""
    before = bucket.remaining
    bucket.remaining -= amount
    bucket.updated_at = now
    if record:
        record_action(session, action=reason, bucket=bucket, amount=-amount, body={}, now=now)
    if bucket.usage_type == domain.MONEY:
        _check_low_balance(session, bucket=bucket, before=before, now=now)
    else:
        _check_allowance(session, bucket=bucket, before=before, now=now)


def credit(session: Session, *, bucket: Bucket, amount: int, now: datetime) -> None:
    bucket.remaining += amount
    bucket.updated_at = now


def _check_low_balance(session: Session, *, bucket: Bucket, before: int, now: datetime) -> None:
    threshold = wiring().low_balance_minor
    if before >= threshold > bucket.remaining:
        publish(
            session,
            LowBalance(
                billing_account_id=bucket.billing_account_id,
                bucket_id=bucket.id,
                currency=bucket.units,
                remaining_minor=bucket.remaining,
                threshold_minor=threshold,
                occurred_at=now,
            ),
            now=now,
        )


def _check_allowance(session: Session, *, bucket: Bucket, before: int, now: datetime) -> None:
    for percent in domain.crossed_thresholds(bucket.initial, before, bucket.remaining):
        if percent <= bucket.notified_percent:
            continue  # once per bucket (= period) and threshold
        bucket.notified_percent = percent
        publish(
            session,
            AllowanceThresholdReached(
                product_id=bucket.product_id,
                billing_account_id=bucket.billing_account_id,
                bucket_id=bucket.id,
                kind=bucket.usage_type,
                percent=percent,
                policy=bucket.policy,
                period_start=bucket.valid_from,
                period_end=bucket.valid_to,
                occurred_at=now,
                throttle_down_kbps=bucket.throttle_down_kbps,
                throttle_up_kbps=bucket.throttle_up_kbps,
            ),
            now=now,
        )
        notify_bucket_changed(session, bucket=bucket, now=now)


def record_action(
    session: Session,
    *,
    action: str,
    bucket: Bucket,
    amount: int,
    body: dict[str, Any],
    now: datetime,
    status: str = "confirmed",
    action_id: str | None = None,
) -> BalanceAction:
    """One line of balance action history (the TMF654 operations' documents live here)."""
    row = BalanceAction(
        id=action_id or new_id(),
        action=action,
        billing_account_id=bucket.billing_account_id,
        bucket_id=bucket.id,
        amount=amount,
        units=bucket.units,
        status=status,
        body=body,
        created_at=now,
    )
    session.add(row)
    return row
