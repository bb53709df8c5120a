"""TMF654 operations: top-up, adjustment, reservation (and its cancel or commit), and the
read side (buckets, accumulated balance, balance action history). Keyword-only, take
``session`` and ``now``, never commit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss import account
from ossbss.charging import balances, domain
from ossbss.charging.balances_view import BASE_PATH, notify, quantity, render_bucket
from ossbss.charging.models import BalanceAction, Bucket, Reservation
from ossbss.kernel import new_id
from ossbss.kernel.errors import Conflict, InvalidInput, NotFound
from ossbss.kernel.money import (
    UnknownCurrency,
    check_currency,
    decimal_from_json,
    minor_unit_exponent,
)
from ossbss.kernel.time import format_datetime, parse_datetime

Document = dict[str, Any]
TYPES = {
    "topupBalance": "TopupBalance",
    "adjustBalance": "AdjustBalance",
    "reserveBalance": "ReserveBalance",
}


# --- writes -------------------------------------------------------------------------------


def topup(session: Session, *, payload: Any, now: datetime) -> Document:
    body = _object(payload)
    bucket, amount = _target(session, body, now=now, create_money=True)
    if amount <= 0:
        raise InvalidInput("Invalid amount", field="amount.amount", detail="a top-up must be > 0")
    balances.credit(session, bucket=bucket, amount=amount, now=now)
    return _confirm(session, "topupBalance", body, bucket, amount, now)


def adjust(session: Session, *, payload: Any, now: datetime) -> Document:
    body = _object(payload)
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("Missing mandatory attribute", field="reason", detail="say why")
    bucket, amount = _target(session, body, now=now, create_money=True, signed=True)
    adjust_type = str(body.get("adjustType") or "").lower()
    if adjust_type in ("debit", "decrease", "minus"):
        amount = -abs(amount)
    if amount == 0:
        raise InvalidInput("Invalid amount", field="amount.amount", detail="must not be 0")
    if amount < 0 and -amount > balances.available(bucket):
        raise Conflict(
            "Insufficient balance",
            field="amount.amount",
            detail=f"only {balances.available(bucket)} {bucket.units} (minor units) available",
        )
    if amount > 0:
        balances.credit(session, bucket=bucket, amount=amount, now=now)
    else:
        balances.debit(session, bucket=bucket, amount=-amount, now=now, record=False)
    return _confirm(session, "adjustBalance", body, bucket, amount, now)


def reserve(session: Session, *, payload: Any, now: datetime) -> Document:
    body = _object(payload)
    bucket, amount = _target(session, body, now=now, create_money=False)
    if amount <= 0:
        raise InvalidInput("Invalid amount", field="amount.amount", detail="must be > 0")
    if amount > balances.available(bucket):
        balances.release_expired(session, account_id=bucket.billing_account_id, now=now)
    if amount > balances.available(bucket):
        raise Conflict(
            "Insufficient balance",
            field="amount.amount",
            detail=f"only {balances.available(bucket)} available in bucket {bucket.id}",
        )
    expires = _valid_until(body)
    reservation = balances.hold(
        session, bucket=bucket, amount=amount, units=amount, now=now, expires_at=expires
    )
    return _confirm(session, "reserveBalance", body, bucket, amount, now, action_id=reservation.id)


def change_reservation(
    session: Session, *, reservation_id: str, payload: Any, now: datetime
) -> Document:
    """PATCH ``status``: "cancelled" gives the hold back; "committed" debits it."""
    changes = _object(payload)
    action = _action(session, "reserveBalance", reservation_id)
    reservation = session.scalars(select(Reservation).where(Reservation.id == reservation_id)).one()
    balances.lock_account(session, account_id=reservation.billing_account_id, now=now)
    session.refresh(reservation)  # as it is now that the account is ours
    session.refresh(action)
    status = changes.get("status")
    unknown = set(changes) - {"status", "reason", "description"}
    if unknown:
        raise InvalidInput(
            "Not modifiable", field=sorted(unknown)[0], detail="only status may change"
        )
    if status not in ("cancelled", "committed"):
        raise InvalidInput(
            "Invalid status", field="status", detail="must be cancelled or committed"
        )
    if reservation.state != "active":
        raise Conflict(
            "Reservation not active", field="status", detail=f"it is {reservation.state}"
        )
    bucket = balances.get_bucket(session, bucket_id=reservation.bucket_id)
    balances.release(
        session,
        reservation=reservation,
        bucket=bucket,
        state="released" if status == "cancelled" else "committed",
    )
    if status == "committed":
        balances.debit(session, bucket=bucket, amount=reservation.amount, now=now)
    document = {**action.body, **changes, "status": status}
    action.body = document
    action.status = status
    notify(
        session,
        resource="reserveBalance",
        change="Cancel" if status == "cancelled" else "AttributeValueChange",
        document=document,
        now=now,
    )
    return document


def _confirm(
    session: Session,
    action: str,
    body: Document,
    bucket: Bucket,
    amount: int,
    now: datetime,
    action_id: str | None = None,
) -> Document:
    action_id = action_id or new_id()
    document = {
        **{k: v for k, v in body.items() if k not in ("id", "href", "status")},
        "id": action_id,
        "href": f"{BASE_PATH}/{action}/{action_id}",
        "status": "confirmed",
        "usageType": bucket.usage_type,
        "amount": quantity(amount, bucket.units),
        "bucket": {"id": bucket.id, "href": f"{BASE_PATH}/bucket/{bucket.id}"},
        "partyAccount": {"id": bucket.billing_account_id, "@referredType": "BillingAccount"},
        "requestedDate": body.get("requestedDate") or format_datetime(now),
        "confirmationDate": format_datetime(now),
        "@type": TYPES[action],
    }
    balances.record_action(
        session,
        action=action,
        bucket=bucket,
        amount=amount,
        body=document,
        now=now,
        action_id=action_id,
    )
    notify(session, resource=action, change="Create", document=document, now=now)
    return document


def _target(
    session: Session, body: Document, *, now: datetime, create_money: bool, signed: bool = False
) -> tuple[Bucket, int]:
    """The bucket an operation acts on (by ``bucket.id``, else the ``partyAccount``'s money
    bucket) and the amount in the bucket's integer units; takes the account's lock."""
    raw_amount = body.get("amount")
    if not isinstance(raw_amount, Mapping):
        raise InvalidInput(
            "Missing mandatory attribute",
            field="amount",
            detail='e.g. {"amount": 10, "units": "EUR"}',
        )
    value = decimal_from_json(raw_amount.get("amount"), field="amount.amount")
    if value < 0 and not signed:
        raise InvalidInput("Invalid amount", field="amount.amount", detail="must be > 0")
    units = raw_amount.get("units")
    bucket_id = _ref_id(body, "bucket")
    if bucket_id:
        bucket = (
            balances.get_bucket(session, bucket_id=bucket_id)
            if _exists(session, bucket_id)
            else None
        )
        if bucket is None:
            raise InvalidInput(
                "Unknown bucket", field="bucket.id", detail=f"no bucket with id {bucket_id}"
            )
        balances.lock_account(session, account_id=bucket.billing_account_id, now=now)
        session.refresh(bucket)
    else:
        account_id = _ref_id(body, "partyAccount")
        if not account_id:
            raise InvalidInput(
                "Missing mandatory attribute", field="partyAccount.id", detail="or bucket.id"
            )
        try:
            prepaid = balances.is_prepaid(session, account_id=account_id)
        except NotFound:
            raise InvalidInput(
                "Unknown billing account",
                field="partyAccount.id",
                detail=f"no billingAccount with id {account_id}",
            ) from None
        balances.lock_account(session, account_id=account_id, now=now, prepaid=prepaid)
        currency = _currency(units)
        bucket = balances.money_bucket(
            session, account_id=account_id, now=now, currency=currency if create_money else None
        )
        if bucket is None:
            raise Conflict(
                "No credit", field="partyAccount.id", detail="the account has no money bucket yet"
            )
    return bucket, _to_bucket_units(bucket, value, units)


def _exists(session: Session, bucket_id: str) -> bool:
    return (
        session.scalar(select(func.count()).select_from(Bucket).where(Bucket.id == bucket_id)) == 1
    )


def _currency(units: Any) -> str:
    try:
        return check_currency(str(units or "").upper())
    except UnknownCurrency:
        raise InvalidInput(
            "Unknown currency",
            field="amount.units",
            detail=f"{units!r} is not an ISO 4217 currency code",
        ) from None


def _to_bucket_units(bucket: Bucket, value: Decimal, units: Any) -> int:
    if bucket.usage_type == domain.MONEY:
        currency = _currency(units or bucket.units)
        if currency != bucket.units:
            raise InvalidInput(
                "Currency mismatch", field="amount.units", detail=f"the bucket is in {bucket.units}"
            )
        minor = value.scaleb(minor_unit_exponent(currency))
        if minor != minor.to_integral_value():
            raise InvalidInput(
                "Invalid amount",
                field="amount.amount",
                detail=f"{currency} has {minor_unit_exponent(currency)} decimal places",
            )
        return int(minor)
    kind, base = domain.to_base_units(abs(value), str(units or bucket.units))
    if kind != bucket.usage_type:
        raise InvalidInput(
            "Unit mismatch", field="amount.units", detail=f"the bucket counts {bucket.usage_type}"
        )
    return base if value >= 0 else -base


def _valid_until(body: Document) -> datetime | None:
    valid_for = body.get("validFor")
    if isinstance(valid_for, Mapping) and valid_for.get("endDateTime"):
        try:
            return parse_datetime(str(valid_for["endDateTime"]))
        except ValueError:
            raise InvalidInput(
                "Invalid date", field="validFor.endDateTime", detail="ISO 8601"
            ) from None
    return None


def _object(payload: Any) -> Document:
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    return payload


def _ref_id(body: Document, name: str) -> str | None:
    ref = body.get(name)
    if isinstance(ref, list):
        ref = ref[0] if ref else None
    if isinstance(ref, Mapping) and isinstance(ref.get("id"), str):
        return str(ref["id"])
    return None


# --- reads --------------------------------------------------------------------------------


def list_buckets(session: Session, *, filters: Mapping[str, str], now: datetime) -> list[Document]:
    query = select(Bucket).order_by(Bucket.pk)
    if "partyAccount.id" in filters:
        query = query.where(Bucket.billing_account_id == filters["partyAccount.id"])
    if "product.id" in filters:
        query = query.where(Bucket.product_id == filters["product.id"])
    if "usageType" in filters:
        query = query.where(Bucket.usage_type == filters["usageType"])
    rendered = [render_bucket(bucket, now) for bucket in session.scalars(query)]
    if "status" in filters:
        rendered = [b for b in rendered if b["status"] == filters["status"]]
    return rendered


def retrieve_bucket(session: Session, *, bucket_id: str, now: datetime) -> Document:
    return render_bucket(balances.get_bucket(session, bucket_id=bucket_id), now)


def list_actions(
    session: Session, *, action: str | None, filters: Mapping[str, str]
) -> list[Document]:
    query = select(BalanceAction).order_by(BalanceAction.pk)
    if action:
        query = query.where(BalanceAction.action == action)
    if "partyAccount.id" in filters:
        query = query.where(BalanceAction.billing_account_id == filters["partyAccount.id"])
    if "bucket.id" in filters:
        query = query.where(BalanceAction.bucket_id == filters["bucket.id"])
    return [_history(row) if action is None else row.body for row in session.scalars(query)]


def retrieve_action(session: Session, *, action: str | None, action_id: str) -> Document:
    row = _action(session, action, action_id)
    return _history(row) if action is None else row.body


def _action(session: Session, action: str | None, action_id: str) -> BalanceAction:
    query = select(BalanceAction).where(BalanceAction.id == action_id)
    if action:
        query = query.where(BalanceAction.action == action)
    row = session.scalars(query).first()
    if row is None:
        raise NotFound(f"No {action or 'balanceActionHistory'} with id {action_id}", field="id")
    return row


def _history(row: BalanceAction) -> Document:
    return {
        "id": row.id,
        "href": f"{BASE_PATH}/balanceActionHistory/{row.id}",
        "status": row.status,
        "reason": row.body.get("reason") or row.action,
        "amount": quantity(row.amount, row.units),
        "bucket": {"id": row.bucket_id, "href": f"{BASE_PATH}/bucket/{row.bucket_id}"},
        "partyAccount": {"id": row.billing_account_id, "@referredType": "BillingAccount"},
        "requestedDate": format_datetime(row.created_at),
        "confirmationDate": format_datetime(row.created_at),
        "actionType": row.action,
        "@type": "BalanceActionHistory",
    }


def accumulated_balance(session: Session, *, account_id: str, now: datetime) -> Document:
    """The account's balances summed: money remaining (less holds) and each unit allowance."""
    try:
        account.get_billing_account(session, account_id=account_id)
    except NotFound:
        raise NotFound(f"No accumulatedBalance with id {account_id}", field="id") from None
    buckets = [
        b
        for b in session.scalars(
            select(Bucket).where(Bucket.billing_account_id == account_id).order_by(Bucket.pk)
        )
        if balances.is_active(b, now)
    ]
    money = [b for b in buckets if b.usage_type == domain.MONEY]
    total = (
        quantity(sum(balances.available(b) for b in money), money[0].units)
        if money
        else {"amount": 0, "units": ""}
    )
    units: dict[str, int] = {}
    for bucket in buckets:
        if bucket.usage_type != domain.MONEY:
            units[bucket.usage_type] = units.get(bucket.usage_type, 0) + balances.available(bucket)
    return {
        "id": account_id,
        "href": f"{BASE_PATH}/accumulatedBalance/{account_id}",
        "name": f"balance of billing account {account_id}",
        "totalBalance": total,
        "unitBalance": [
            quantity(v, domain.BASE_UNIT[k]) | {"usageType": k} for k, v in units.items()
        ],
        "bucket": [{"id": b.id, "href": f"{BASE_PATH}/bucket/{b.id}"} for b in buckets],
        "partyAccount": {"id": account_id, "@referredType": "BillingAccount"},
        "@type": "AccumulatedBalance",
    }
