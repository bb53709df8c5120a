"""Suspense: payments held for review (unknown account or bill, wrong currency, unmatched or
duplicate bank line). A person applies one to an account they choose, or dismisses it;
until then nothing of it is applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss import account
from ossbss.kernel.errors import Conflict, InvalidInput, NotFound
from ossbss.kernel.money import Money
from ossbss.payment.gateway import COLLECTED, PaymentGateway
from ossbss.payment.models import Payment, SuspenseItem
from ossbss.payment.service import CANCELED, DENIED, DONE, HELD, _Ready, apply_ready

APPLIED = "applied"
DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class HeldItem:
    id: str
    payment_id: str
    source: str
    reason: str
    billing_account_id: str | None
    amount: Money
    reference: str | None
    status: str
    created_at: datetime


def suspense_items(session: Session, *, status: str | None = HELD) -> list[HeldItem]:
    query = select(SuspenseItem).order_by(SuspenseItem.pk)
    if status is not None:
        query = query.where(SuspenseItem.status == status)
    return [
        HeldItem(
            item.id,
            item.payment_id,
            item.source,
            item.reason,
            item.billing_account_id,
            Money(item.currency, item.amount_minor),
            item.reference,
            item.status,
            item.created_at,
        )
        for item in session.scalars(query)
    ]


def _held(session: Session, item_id: str) -> tuple[SuspenseItem, Payment]:
    item = session.scalars(
        select(SuspenseItem).where(SuspenseItem.id == item_id).with_for_update()
    ).one_or_none()
    if item is None:
        raise NotFound("Suspense item not found", detail=item_id)
    if item.status != HELD:
        raise Conflict(
            "Suspense item already resolved", detail=f"{item_id} is already resolved: {item.status}"
        )
    payment = session.scalars(
        select(Payment).where(Payment.id == item.payment_id).with_for_update()
    ).one()
    return item, payment


def apply_suspense(
    session: Session,
    *,
    item_id: str,
    billing_account_id: str,
    now: datetime,
    gateway: PaymentGateway,
) -> str:
    """Apply a held payment to ``billing_account_id`` (allocated oldest first, the rest kept
    as credit). The account's currency must be the payment's. Returns the payment id."""
    item, payment = _held(session, item_id)
    terms = account.billing_terms(session, account_ids=[billing_account_id])
    if billing_account_id not in terms:
        raise NotFound("Billing account not found", field="account", detail=billing_account_id)
    if terms[billing_account_id].currency != payment.currency:
        raise InvalidInput(
            "Currency differs from the account's",
            field="account",
            detail=f"the payment is in {payment.currency}, the account in "
            f"{terms[billing_account_id].currency}",
        )
    payment.billing_account_id = billing_account_id
    payment.updated_at = now
    item.status, item.resolved_at, item.billing_account_id = APPLIED, now, billing_account_id
    if payment.method in COLLECTED:
        charged = gateway.charge(
            token=payment.method_token or "",
            amount=Money(payment.currency, payment.amount_minor),
            reference=payment.reference or payment.id,
            idempotency_key=payment.external_id or payment.id,
        )
        payment.gateway_reference = charged.gateway_reference
        if not charged.approved:
            payment.status, payment.status_reason = DENIED, charged.decline_reason
            return payment.id
    ready = _Ready(
        payment.id, billing_account_id, payment.currency, payment.amount_minor, payment.reference
    )
    apply_ready(session, ready=[ready], now=now)
    payment.status, payment.status_reason = DONE, None
    payment.unallocated_minor = ready.unallocated_minor
    return payment.id


def dismiss_suspense(session: Session, *, item_id: str, now: datetime) -> str:
    """Dismiss a held item (returned to the payer outside, or a true duplicate)."""
    item, payment = _held(session, item_id)
    item.status, item.resolved_at = DISMISSED, now
    payment.status, payment.updated_at = CANCELED, now
    return payment.id
