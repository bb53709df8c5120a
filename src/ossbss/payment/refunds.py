"""Refunds: money given back, from a payment (its unallocated credit first, then the bills
it paid, which are due again) or from an account's credit. Never more than was paid."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ossbss import account, billing
from ossbss.kernel import new_id
from ossbss.kernel.errors import Conflict, InvalidInput, NotFound
from ossbss.kernel.money import Money
from ossbss.payment.domain import take_back
from ossbss.payment.gateway import BANK_TRANSFER, COLLECTED, PaymentGateway
from ossbss.payment.models import Allocation, Payment, Refund
from ossbss.payment.service import DONE, net_allocations


def refund(
    session: Session,
    *,
    amount: Money,
    reason: str,
    now: datetime,
    gateway: PaymentGateway,
    payment_id: str | None = None,
    billing_account_id: str | None = None,
    external_id: str | None = None,
) -> str:
    """Refund ``amount`` of a payment, or of an account's credit; the refund id. A repeated
    ``external_id`` returns the first refund."""
    if external_id is not None:
        first = session.scalars(select(Refund.id).where(Refund.external_id == external_id)).first()
        if first is not None:
            return first
    if amount.minor <= 0:
        raise InvalidInput("Invalid amount", field="totalAmount.value", detail="must be > 0")
    if not reason.strip():
        raise InvalidInput("Missing reason", field="reason", detail="say why")
    if payment_id is not None:
        return _refund_payment(session, payment_id, amount, reason, now, gateway, external_id)
    if billing_account_id is None:
        raise InvalidInput("Missing payment or account", field="payment", detail="name one")
    return _refund_credit(session, billing_account_id, amount, reason, now, external_id)


def _refund_payment(
    session: Session,
    payment_id: str,
    amount: Money,
    reason: str,
    now: datetime,
    gateway: PaymentGateway,
    external_id: str | None,
) -> str:
    payment = session.scalars(
        select(Payment).where(Payment.id == payment_id).with_for_update()
    ).one_or_none()
    if payment is None:
        raise NotFound("Payment not found", field="payment.id", detail=payment_id)
    if payment.status != DONE or payment.billing_account_id is None:
        raise Conflict("Payment not applied", detail=f"{payment_id} is {payment.status}")
    if amount.currency != payment.currency:
        raise InvalidInput(
            "Currency differs from the payment's", field="totalAmount.unit", detail=payment.currency
        )
    refundable = payment.amount_minor - payment.refunded_minor
    if amount.minor > refundable:
        raise Conflict(
            "Refund exceeds the payment",
            field="totalAmount.value",
            detail=f"{refundable} minor units of payment {payment_id} can still be refunded",
        )
    refund_id = new_id()
    gateway_reference = None
    if payment.method in COLLECTED and payment.gateway_reference:
        answer = gateway.refund(
            gateway_reference=payment.gateway_reference,
            amount=amount,
            idempotency_key=external_id or refund_id,
        )
        if not answer.approved:
            raise Conflict("Refund declined by the gateway", detail=answer.decline_reason)
        gateway_reference = answer.gateway_reference
    from_credit, from_bills = take_back(
        amount.minor, payment.unallocated_minor, net_allocations(session, payment_id=payment_id)
    )
    for bill_id, minor in from_bills:
        billing.reopen(session, bill_id=bill_id, amount_minor=minor, now=now)
    if from_bills:
        session.execute(
            insert(Allocation),
            [
                {"payment_id": payment_id, "bill_id": b, "amount_minor": -m, "created_at": now}
                for b, m in from_bills
            ],
        )
    payment.unallocated_minor -= from_credit
    payment.refunded_minor += amount.minor
    payment.updated_at = now
    return _record(
        session,
        refund_id,
        payment.billing_account_id,
        payment_id,
        payment.method,
        amount,
        reason,
        gateway_reference,
        dict(from_bills),
        now,
        external_id,
    )


def _refund_credit(
    session: Session,
    billing_account_id: str,
    amount: Money,
    reason: str,
    now: datetime,
    external_id: str | None,
) -> str:
    """Pay an account's credit back (by bank transfer), taken from its newest credits."""
    credits = list(
        session.scalars(
            select(Payment)
            .where(
                Payment.billing_account_id == billing_account_id,
                Payment.currency == amount.currency,
                Payment.status == DONE,
                Payment.unallocated_minor > 0,
            )
            .order_by(Payment.received_at.desc(), Payment.pk.desc())
            .with_for_update()
        )
    )
    available = sum(p.unallocated_minor for p in credits)
    if amount.minor > available:
        raise Conflict(
            "Refund exceeds the credit",
            field="totalAmount.value",
            detail=f"the account has {available} minor units of {amount.currency} credit",
        )
    left = amount.minor
    for payment in credits:
        taken = min(left, payment.unallocated_minor)
        payment.unallocated_minor -= taken
        payment.refunded_minor += taken
        payment.updated_at = now
        left -= taken
        if left == 0:
            break
    return _record(
        session,
        new_id(),
        billing_account_id,
        None,
        BANK_TRANSFER,
        amount,
        reason,
        None,
        {},
        now,
        external_id,
    )


def _record(
    session: Session,
    refund_id: str,
    billing_account_id: str,
    payment_id: str | None,
    method: str,
    amount: Money,
    reason: str,
    gateway_reference: str | None,
    bills: dict[str, int],
    now: datetime,
    external_id: str | None,
) -> str:
    session.add(
        Refund(
            id=refund_id,
            external_id=external_id,
            payment_id=payment_id,
            billing_account_id=billing_account_id,
            method=method,
            currency=amount.currency,
            amount_minor=amount.minor,
            reason=reason[:255],
            status="done",
            gateway_reference=gateway_reference,
            bills=bills,
            created_at=now,
        )
    )
    account.post_transaction(
        session,
        kind="refund",
        currency=amount.currency,
        postings=[
            account.Posting(billing_account_id, account.RECEIVABLE, amount.minor),
            account.Posting(billing_account_id, account.CASH, -amount.minor),
        ],
        reference_type="refund",
        reference_id=refund_id,
        now=now,
        description=reason,
    )
    return refund_id
