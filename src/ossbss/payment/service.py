"""Recording payments: validate, hold what cannot be applied, collect through the gateway,
allocate to the oldest open bills, keep the rest as credit, post the ledger. Keyword-only,
take ``session`` and ``now``, never commit (the edge owns the transaction).

One path for one payment and for a batch (a bank statement): the batch reads the accounts,
open bills and balances of all its payments in a few queries, then writes in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ossbss import account, billing
from ossbss.events.payment import PaymentAllocated
from ossbss.kernel import new_id
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.money import Money
from ossbss.kernel.outbox import publish_many
from ossbss.payment.domain import Due, allocate
from ossbss.payment.gateway import COLLECTED, METHODS, PaymentGateway
from ossbss.payment.models import Allocation, Payment, SuspenseItem, table

DONE = "done"
HELD = "held"
DENIED = "denied"
CANCELED = "canceled"
SOURCES = frozenset({"api", "csv", "cli"})


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """A payment to record. ``bills`` are bills the payer named (id or bill number, and the
    amount meant for it, or None for what it still owes): they are paid first."""

    billing_account_id: str | None
    amount: Money
    method: str
    received_at: datetime
    reference: str | None = None
    external_id: str | None = None
    source: str = "api"
    payer_name: str | None = None
    token: str | None = None
    bills: tuple[tuple[str, int | None], ...] = ()
    hold_reason: str | None = None  # the caller already knows it cannot be applied
    raw: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    payment_id: str
    status: str
    reason: str | None = None
    duplicate: bool = False  # the external id was seen before: this is the first payment


@dataclass
class _Ready:
    """A payment that passed every check, about to be applied."""

    payment_id: str
    billing_account_id: str
    currency: str
    amount_minor: int
    reference: str | None
    preferred: list[tuple[str, int | None]] = field(default_factory=list)
    unallocated_minor: int = 0


def record_payment(
    session: Session,
    *,
    billing_account_id: str | None,
    amount: Money,
    method: str,
    now: datetime,
    gateway: PaymentGateway,
    reference: str | None = None,
    external_id: str | None = None,
    received_at: datetime | None = None,
    token: str | None = None,
    bills: Sequence[tuple[str, int | None]] = (),
    source: str = "api",
    payer_name: str | None = None,
    raw: Mapping[str, Any] | None = None,
) -> Recorded:
    """Record one payment (see ``record_payments``)."""
    request = PaymentRequest(
        billing_account_id=billing_account_id,
        amount=amount,
        method=method,
        received_at=received_at or now,
        reference=reference,
        external_id=external_id,
        source=source,
        payer_name=payer_name,
        token=token,
        bills=tuple(bills),
        raw=raw,
    )
    return record_payments(session, requests=[request], now=now, gateway=gateway)[0]


def record_payments(
    session: Session,
    *,
    requests: Sequence[PaymentRequest],
    now: datetime,
    gateway: PaymentGateway,
) -> list[Recorded]:
    """Record payments, in order. A repeated external id returns the first payment (never
    applied twice); an unknown account or bill, or a currency other than the account's,
    holds the payment in suspense (nothing applied); a declined card is recorded denied."""
    for request in requests:
        check_request(request)
    seen = _known_external_ids(session, [r.external_id for r in requests if r.external_id])
    account_ids = sorted({r.billing_account_id for r in requests if r.billing_account_id})
    currencies = {
        account_id: terms.currency
        for account_id, terms in account.billing_terms(session, account_ids=account_ids).items()
    }
    named = _named_bills(session, {ref for r in requests for ref, _ in r.bills})
    results: list[Recorded] = []
    rows: list[dict[str, Any]] = []
    held: list[dict[str, Any]] = []
    ready: list[_Ready] = []
    for request in requests:
        if request.external_id is not None and request.external_id in seen:
            results.append(seen[request.external_id])
            continue
        payment_id = new_id()
        row = _row(payment_id, request, now)
        reason = request.hold_reason or _hold_reason(request, currencies, named)
        if reason:
            row |= {"status": HELD, "status_reason": reason}
            held.append(_suspense_row(payment_id, request, reason, now))
        elif request.method in COLLECTED:
            charged = gateway.charge(
                token=request.token or "",
                amount=request.amount,
                reference=request.reference or payment_id,
                idempotency_key=request.external_id or payment_id,
            )
            row["gateway_reference"] = charged.gateway_reference
            if not charged.approved:
                row |= {"status": DENIED, "status_reason": charged.decline_reason}
        if row["status"] == DONE:
            assert request.billing_account_id is not None
            ready.append(
                _Ready(
                    payment_id,
                    request.billing_account_id,
                    request.amount.currency,
                    request.amount.minor,
                    request.reference,
                    _preferred(request, named),
                )
            )
        rows.append(row)
        recorded = Recorded(payment_id, row["status"], row["status_reason"])
        if request.external_id is not None:
            seen[request.external_id] = Recorded(payment_id, row["status"], reason, True)
        results.append(recorded)
    apply_ready(session, ready=ready, now=now)
    unallocated = {r.payment_id: r.unallocated_minor for r in ready}
    for row in rows:
        row["unallocated_minor"] = unallocated.get(row["id"], 0)
    if rows:
        session.execute(insert(table(Payment)), rows)
    if held:
        session.execute(insert(table(SuspenseItem)), held)
    return results


def check_request(request: PaymentRequest) -> None:
    if request.method not in METHODS:
        raise InvalidInput(
            "Unsupported payment method",
            field="paymentMethod",
            detail=f"{request.method!r}: one of {', '.join(METHODS)}",
        )
    if request.amount.minor <= 0:
        raise InvalidInput("Invalid amount", field="totalAmount.value", detail="must be > 0")
    if request.source not in SOURCES:
        raise InvalidInput("Invalid source", field="source", detail=request.source)


def apply_ready(session: Session, *, ready: Sequence[_Ready], now: datetime) -> None:
    """Allocate checked payments to open bills (named bills first, then oldest due first),
    post one ledger 'payment' transaction each and publish PaymentAllocated. Sets each
    payment's ``unallocated_minor`` (the credit kept)."""
    if not ready:
        return
    account_ids = sorted({r.billing_account_id for r in ready})
    open_bills = billing.open_bills_for(session, account_ids=account_ids)
    balances = account.account_balances(session, account_ids=account_ids)
    remaining = {bill.id: bill.remaining_minor for bills in open_bills.values() for bill in bills}
    allocations: list[dict[str, Any]] = []
    transactions: list[account.Transaction] = []
    events: list[PaymentAllocated] = []
    for payment in ready:
        dues = [
            Due(bill.id, remaining[bill.id])
            for bill in open_bills.get(payment.billing_account_id, [])
            if bill.currency == payment.currency and remaining[bill.id] > 0
        ]
        parts, left = allocate(payment.amount_minor, dues, preferred=payment.preferred)
        for bill_id, amount in parts:
            remaining[bill_id] -= amount
            allocations.append(_allocation_row(payment.payment_id, bill_id, amount, now))
        payment.unallocated_minor = left
        transactions.append(_payment_transaction(payment))
        owed = balances.setdefault(payment.billing_account_id, {})
        owed[payment.currency] = owed.get(payment.currency, 0) - payment.amount_minor
        events.append(
            PaymentAllocated(
                payment_id=payment.payment_id,
                billing_account_id=payment.billing_account_id,
                currency=payment.currency,
                amount_minor=payment.amount_minor,
                bill_ids=tuple(bill_id for bill_id, _ in parts),
                balance_after_minor=owed[payment.currency],
                occurred_at=now,
            )
        )
    if allocations:
        billing.apply_payments(
            session,
            allocations=[(row["bill_id"], row["amount_minor"]) for row in allocations],
            now=now,
        )
        session.execute(insert(table(Allocation)), allocations)
    account.post_transactions(session, transactions=transactions, now=now)
    publish_many(session, events, now=now)


def _payment_transaction(payment: _Ready) -> account.Transaction:
    return account.Transaction(
        "payment",
        payment.currency,
        (
            account.Posting(payment.billing_account_id, account.CASH, payment.amount_minor),
            account.Posting(payment.billing_account_id, account.RECEIVABLE, -payment.amount_minor),
        ),
        "payment",
        payment.payment_id,
        payment.reference or "",
    )


def _hold_reason(
    request: PaymentRequest,
    currencies: Mapping[str, str],
    named: Mapping[str, billing.OpenBill | None],
) -> str | None:
    account_id = request.billing_account_id
    if account_id is None:
        return "no billing account matches the payment"
    if account_id not in currencies:
        return f"unknown billing account {account_id}"
    if currencies[account_id] != request.amount.currency:
        return (
            f"currency {request.amount.currency} differs from the account's "
            f"{currencies[account_id]}"
        )
    for ref, _ in request.bills:
        bill = named.get(ref)
        if bill is None:
            return f"unknown bill {ref}"
        if bill.billing_account_id != account_id:
            return f"bill {ref} belongs to another billing account"
        if bill.currency != request.amount.currency:
            return f"bill {ref} is in {bill.currency}"
    return None


def _preferred(
    request: PaymentRequest, named: Mapping[str, billing.OpenBill | None]
) -> list[tuple[str, int | None]]:
    found = [(named.get(ref), cap) for ref, cap in request.bills]
    return [(bill.id, cap) for bill, cap in found if bill is not None]


def _named_bills(session: Session, refs: set[str]) -> dict[str, billing.OpenBill | None]:
    """Bills the payers named, by id or by printed number."""
    return {
        ref: billing.find_bill(session, bill_id=ref) or billing.find_bill(session, bill_no=ref)
        for ref in refs
    }


def _known_external_ids(session: Session, external_ids: list[str]) -> dict[str, Recorded]:
    known: dict[str, Recorded] = {}
    for start in range(0, len(external_ids), 500):
        chunk = external_ids[start : start + 500]
        query = select(Payment.external_id, Payment.id, Payment.status, Payment.status_reason)
        for external_id, payment_id, status, reason in session.execute(
            query.where(Payment.external_id.in_(chunk))
        ):
            known[str(external_id)] = Recorded(payment_id, status, reason, True)
    return known


def _row(payment_id: str, request: PaymentRequest, now: datetime) -> dict[str, Any]:
    return {
        "id": payment_id,
        "external_id": request.external_id,
        "billing_account_id": request.billing_account_id,
        "method": request.method,
        "currency": request.amount.currency,
        "amount_minor": request.amount.minor,
        "unallocated_minor": 0,
        "refunded_minor": 0,
        "status": DONE,
        "status_reason": None,
        "reference": request.reference,
        "source": request.source,
        "payer_name": request.payer_name,
        "method_token": request.token,
        "gateway_reference": None,
        "received_at": request.received_at,
        "created_at": now,
        "updated_at": now,
    }


def _suspense_row(
    payment_id: str, request: PaymentRequest, reason: str, now: datetime
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "payment_id": payment_id,
        "source": request.source,
        "raw": dict(request.raw) if request.raw is not None else None,
        "reason": reason[:255],
        "billing_account_id": request.billing_account_id,
        "amount_minor": request.amount.minor,
        "currency": request.amount.currency,
        "reference": request.reference,
        "status": HELD,
        "created_at": now,
        "resolved_at": None,
    }


def _allocation_row(payment_id: str, bill_id: str, amount: int, now: datetime) -> dict[str, Any]:
    return {"payment_id": payment_id, "bill_id": bill_id, "amount_minor": amount, "created_at": now}


def net_allocations(session: Session, *, payment_id: str) -> list[tuple[str, int]]:
    """(bill id, amount still applied) of a payment, in the order they were allocated."""
    totals: dict[str, int] = defaultdict(int)
    for bill_id, amount in session.execute(
        select(Allocation.bill_id, Allocation.amount_minor)
        .where(Allocation.payment_id == payment_id)
        .order_by(Allocation.pk)
    ):
        totals[bill_id] += amount
    return [(bill_id, amount) for bill_id, amount in totals.items() if amount > 0]
