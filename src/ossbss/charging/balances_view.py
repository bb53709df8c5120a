"""Buckets and balance actions as TMF654 shows them, and their hub notifications."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ossbss.charging import domain
from ossbss.charging.models import Bucket
from ossbss.kernel import publish
from ossbss.kernel.money import minor_unit_exponent
from ossbss.kernel.time import format_datetime
from ossbss.tmf import ResourceChanged

API_NAME = "prepayBalanceManagement"
BASE_PATH = f"/tmf-api/{API_NAME}/v4"


def quantity(amount: int, units: str) -> dict[str, Any]:
    """A TMF Quantity; money in major units (the wire's number; kept as integers inside)."""
    if units in domain.BASE_UNIT.values():
        return {"amount": amount, "units": units}
    value = Decimal(amount).scaleb(-minor_unit_exponent(units))
    number: int | float = int(value) if value == value.to_integral_value() else float(value)
    return {"amount": number, "units": units}


def bucket_status(bucket: Bucket, now: datetime) -> str:
    if bucket.valid_to is not None and now >= bucket.valid_to:
        return "expired"
    if now < bucket.valid_from:
        return "pending"
    return "active"


def render_bucket(bucket: Bucket, now: datetime) -> dict[str, Any]:
    valid_for = {"startDateTime": format_datetime(bucket.valid_from)}
    if bucket.valid_to is not None:
        valid_for["endDateTime"] = format_datetime(bucket.valid_to)
    body: dict[str, Any] = {
        "id": bucket.id,
        "href": f"{BASE_PATH}/bucket/{bucket.id}",
        "name": _name(bucket),
        "usageType": bucket.usage_type,
        "remainingValue": quantity(bucket.remaining, bucket.units),
        "reservedValue": quantity(bucket.reserved, bucket.units),
        "remainingValueName": _remaining_name(bucket),
        "status": bucket_status(bucket, now),
        "validFor": valid_for,
        "partyAccount": {
            "id": bucket.billing_account_id,
            "@referredType": "BillingAccount",
        },
        "@type": "Bucket",
    }
    if bucket.product_id:
        body["product"] = {"id": bucket.product_id, "@referredType": "Product"}
        body["initialValue"] = quantity(bucket.initial, bucket.units)
        body["rolloverValue"] = quantity(bucket.rollover, bucket.units)
        body["fairUsagePolicy"] = bucket.policy
    return body


def _name(bucket: Bucket) -> str:
    return (
        "prepaid credit" if bucket.usage_type == domain.MONEY else f"{bucket.usage_type} allowance"
    )


def _remaining_name(bucket: Bucket) -> str:
    if bucket.usage_type == domain.MONEY:
        return f"{bucket.remaining} minor units of {bucket.units}"
    return f"{bucket.remaining} {bucket.units}s"


def notify_bucket_changed(session: Session, *, bucket: Bucket, now: datetime) -> None:
    """Hub subscribers of TMF654 hear of the change (threshold crossings, top-ups)."""
    notify(
        session,
        resource="bucket",
        change="AttributeValueChange",
        document=render_bucket(bucket, now),
        now=now,
    )


def notify(
    session: Session, *, resource: str, change: str, document: dict[str, Any], now: datetime
) -> None:
    publish(
        session,
        ResourceChanged(
            api=API_NAME,
            resource=resource,
            resource_id=document["id"],
            change=change,
            document=document,
            occurred_at=now,
        ),
        now=now,
    )
