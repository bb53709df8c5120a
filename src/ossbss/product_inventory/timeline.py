"""The charge timeline: what each product was, charge-wise, and since when.

A product document says only what it is now; billing must know what it was over a whole
period (activated on the 12th, suspended on the 20th, upgraded on the 25th). Every write that
changes what a product costs closes the product's open row at ``now`` and opens a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ossbss.kernel.time import Period, parse_datetime
from ossbss.product_inventory import domain
from ossbss.product_inventory.models import ChargePeriod as Row
from ossbss.product_inventory.models import Product
from ossbss.tmf import Document

ACTIVE = "active"
_IN_CHUNK = 900  # below SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class ChargePeriod:
    """A product over ``[valid_from, valid_to)`` (``valid_to`` None: still so)."""

    product_id: str
    billing_account_id: str | None
    offering_id: str | None
    name: str | None
    status: str
    prices: tuple[dict[str, Any], ...]  # the product's productPrice list
    activated_at: datetime | None  # the product's first activation, if any yet
    valid_from: datetime
    valid_to: datetime | None


def _terms(document: Document) -> tuple[Any, ...]:
    """What, in a product, changes what it costs."""
    return (
        document.get("status"),
        document.get("productPrice") or [],
        domain.ref_id(document, "productOffering"),
        domain.ref_id(document, "billingAccount"),
    )


def record_created(session: Session, *, document: Document, now: datetime) -> None:
    _open(
        session, document, activated_at=now if document.get("status") == ACTIVE else None, now=now
    )


def record_updated(session: Session, *, old: Document, new: Document, now: datetime) -> None:
    if _terms(old) == _terms(new):
        return
    product_id = str(new["id"])
    current = session.scalars(
        select(Row).where(Row.product_id == product_id, Row.valid_to.is_(None))
    ).first()
    activated_at = current.activated_at if current is not None else None
    if activated_at is None and new.get("status") == ACTIVE:
        activated_at = now
    if current is not None:
        if current.valid_from >= now:
            session.delete(current)  # an instant-long state (created and activated at once)
        else:
            current.valid_to = now
        session.flush()
    _open(session, new, activated_at=activated_at, now=now)


def _open(
    session: Session, document: Document, *, activated_at: datetime | None, now: datetime
) -> None:
    _open_at(session, document, activated_at=activated_at, since=now)
    session.flush()


def _open_at(
    session: Session, document: Document, *, activated_at: datetime | None, since: datetime
) -> None:
    session.add(
        Row(
            product_id=str(document["id"]),
            billing_account_id=domain.ref_id(document, "billingAccount"),
            offering_id=domain.ref_id(document, "productOffering"),
            name=document.get("name"),
            status=str(document.get("status")),
            prices=list(document.get("productPrice") or []),
            activated_at=activated_at,
            valid_from=since,
            valid_to=None,
        )
    )


def charge_periods(
    session: Session, *, account_ids: Sequence[str], period: Period
) -> list[ChargePeriod]:
    """Every timeline row of the accounts' products that overlaps ``period``, ordered by
    product then time: one query per 900 accounts."""
    found: list[ChargePeriod] = []
    for start in range(0, len(account_ids), _IN_CHUNK):
        chunk = list(account_ids[start : start + _IN_CHUNK])
        query = select(
            Row.product_id,
            Row.billing_account_id,
            Row.offering_id,
            Row.name,
            Row.status,
            Row.prices,
            Row.activated_at,
            Row.valid_from,
            Row.valid_to,
        ).where(
            Row.billing_account_id.in_(chunk),
            or_(Row.valid_to.is_(None), Row.valid_to > period.start),
        )
        if period.end is not None:
            query = query.where(Row.valid_from < period.end)
        for row in session.execute(query):
            found.append(
                ChargePeriod(
                    product_id=row[0],
                    billing_account_id=row[1],
                    offering_id=row[2],
                    name=row[3],
                    status=row[4],
                    prices=tuple(row[5] or ()),
                    activated_at=row[6],
                    valid_from=row[7],
                    valid_to=row[8],
                )
            )
    found.sort(key=lambda p: (p.product_id, p.valid_from))
    return found


def seed_charge_periods(session: Session, *, now: datetime) -> int:
    """One open row for each product that has none (products from before the timeline):
    from its startDate (else ``now``), its first activation taken as that date when it is or
    was active. For a migration or ``ossbss`` maintenance; returns the rows added."""
    known = select(Row.product_id).distinct()
    added = 0
    for product_id, body in session.execute(
        select(Product.id, Product.body).where(Product.id.not_in(known))
    ):
        document = {**body, "id": product_id}
        started = document.get("startDate")
        since = parse_datetime(str(started)) if started else now
        status = str(document.get("status"))
        was_active = status in ("active", "suspended", "pendingTerminate")
        if status in ("terminated", "cancelled", domain.ABORTED):
            continue  # nothing left to charge
        _open_at(session, document, activated_at=since if was_active else None, since=since)
        added += 1
    session.flush()
    return added
