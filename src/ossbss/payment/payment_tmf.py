"""TMF676 payments and refunds on the wire: parse a create body into a payment request,
render rows as documents, list with filters. Keyword-only, take ``session``, never commit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ossbss import account
from ossbss.kernel import publish
from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.kernel.money import (
    Money,
    UnknownCurrency,
    check_currency,
    decimal_from_json,
    minor_unit_exponent,
)
from ossbss.kernel.time import format_datetime, parse_datetime
from ossbss.payment import refunds, service
from ossbss.payment.gateway import BANK_TRANSFER, CARD, CASH, DIRECT_DEBIT, PaymentGateway
from ossbss.payment.models import Allocation, Payment, Refund
from ossbss.tmf import ResourceChanged
from ossbss.tmf.specs import load_spec

API_NAME = "paymentManagement"
BASE_PATH = f"/tmf-api/{API_NAME}/v4"
SPEC_FILE = "TMF676-Payment-v4.0.0.swagger.json"
Document = dict[str, Any]
# TMF676 / TMF666 / TMF670 payment-method types -> our methods (case-insensitive).
METHOD_TYPES = {
    "card": CARD,
    "bankcard": CARD,
    "creditcard": CARD,
    "banktransfer": BANK_TRANSFER,
    "directdebit": DIRECT_DEBIT,
    "bankaccountdebit": DIRECT_DEBIT,
    "cash": CASH,
}
METHOD_NAMES = {
    CARD: "BankCard",
    BANK_TRANSFER: "BankTransfer",
    DIRECT_DEBIT: "BankAccountDebit",
    CASH: "Cash",
}


# --- parsing -------------------------------------------------------------------------------


def _object(payload: Any, definition: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="a JSON object is expected")
    load_spec(SPEC_FILE).validate(definition, payload)
    return payload


def money(value: Any, *, field: str) -> Money:
    """A TMF676 Money ({unit, value}) in exact minor units; more decimals than the currency
    has is refused, never rounded."""
    if not isinstance(value, Mapping):
        raise InvalidInput("Missing mandatory attribute", field=field, detail="{unit, value}")
    unit = value.get("unit")
    try:
        currency = check_currency(str(unit)) if unit is not None else None
    except UnknownCurrency:
        currency = None
    if currency is None:
        raise InvalidInput("Invalid currency", field=f"{field}.unit", detail=f"{unit!r}: ISO 4217")
    amount = decimal_from_json(value.get("value"), field=f"{field}.value")
    minor = amount.scaleb(minor_unit_exponent(currency))
    if minor != minor.to_integral_value():
        raise InvalidInput(
            "Invalid amount", field=f"{field}.value", detail=f"too many decimals for {currency}"
        )
    return Money(currency, int(minor))


def _ref_id(body: Mapping[str, Any], name: str) -> str:
    ref = body.get(name)
    if not isinstance(ref, Mapping) or not isinstance(ref.get("id"), str) or not ref["id"]:
        raise InvalidInput("Missing mandatory attribute", field=f"{name}.id", detail="required")
    return str(ref["id"])


def _method(session: Session, body: Mapping[str, Any], account_id: str) -> tuple[str, str | None]:
    """(method, PSP token) from ``paymentMethod``: its @type, or the account's own method
    (TMF666 extension) when the body refers to it by id or gives no type."""
    given = body.get("paymentMethod")
    if not isinstance(given, Mapping):
        raise InvalidInput("Missing mandatory attribute", field="paymentMethod", detail="required")
    kind = given.get("@type")
    token = given.get("token")
    if kind is None:
        try:
            own = account.get_billing_account(session, account_id=account_id).get("paymentMethod")
        except NotFound:
            own = None
        if not isinstance(own, Mapping):
            raise InvalidInput(
                "Unknown payment method",
                field="paymentMethod.@type",
                detail="give the @type (card, bankTransfer, directDebit, cash)",
            )
        kind, token = own.get("@type"), token or own.get("token")
    method = METHOD_TYPES.get(str(kind).lower())
    if method is None:
        raise InvalidInput(
            "Unsupported payment method",
            field="paymentMethod.@type",
            detail=f"{kind!r}: card, bankTransfer, directDebit or cash",
        )
    return method, str(token) if token is not None else None


def _items(body: Mapping[str, Any], currency: str) -> tuple[tuple[str, int | None], ...]:
    items = body.get("paymentItem") or []
    bills: list[tuple[str, int | None]] = []
    for index, item in enumerate(items):
        field = f"paymentItem[{index}]"
        bill_id = _ref_id(item, "item") if isinstance(item, Mapping) else None
        if bill_id is None:
            raise InvalidInput("Invalid payment item", field=field, detail="an object")
        cap = None
        amount = item.get("totalAmount") or item.get("amount")
        if amount is not None:
            part = money(amount, field=f"{field}.totalAmount")
            if part.currency != currency or part.minor <= 0:
                raise InvalidInput(
                    "Invalid payment item", field=f"{field}.totalAmount", detail="> 0, same unit"
                )
            cap = part.minor
        bills.append((bill_id, cap))
    return tuple(bills)


def create_payment(
    session: Session, *, payload: Any, now: datetime, gateway: PaymentGateway
) -> Document:
    body = _object(payload, "Payment_Create")
    account_id = _ref_id(body, "account")
    amount = money(body.get("totalAmount"), field="totalAmount")
    method, token = _method(session, body, account_id)
    correlator = body.get("correlatorId")
    paid_at = body.get("paymentDate")
    recorded = service.record_payment(
        session,
        billing_account_id=account_id,
        amount=amount,
        method=method,
        now=now,
        gateway=gateway,
        reference=body.get("description") or body.get("name"),
        external_id=str(correlator) if correlator else None,
        received_at=_instant(paid_at, "paymentDate") if paid_at else now,
        token=token,
        bills=_items(body, amount.currency),
        raw=body,
    )
    document = retrieve_payment(session, payment_id=recorded.payment_id)
    if not recorded.duplicate:
        _notify(session, "payment", document, now)
    return document


def create_refund(
    session: Session, *, payload: Any, now: datetime, gateway: PaymentGateway
) -> Document:
    body = _object(payload, "Refund_Create")
    amount = money(body.get("totalAmount"), field="totalAmount")
    payment_ref = body.get("payment")
    payment_id = _ref_id(body, "payment") if payment_ref is not None else None
    account_id = _ref_id(body, "account")
    if payment_id is not None:
        owner = session.scalars(
            select(Payment.billing_account_id).where(Payment.id == payment_id)
        ).first()
        if owner is None:  # 400, not 404: the spec's POST /refund has no 404
            raise InvalidInput("Unknown payment", field="payment.id", detail=payment_id)
        if owner != account_id:
            raise InvalidInput(
                "Payment of another account", field="account.id", detail=f"the payer is {owner}"
            )
    correlator = body.get("correlatorId")
    refund_id = refunds.refund(
        session,
        amount=amount,
        reason=str(body.get("description") or body.get("name") or "refund"),
        now=now,
        gateway=gateway,
        payment_id=payment_id,
        billing_account_id=account_id,
        external_id=str(correlator) if correlator else None,
    )
    document = retrieve_refund(session, refund_id=refund_id)
    _notify(session, "refund", document, now)
    return document


def _instant(value: Any, field: str) -> datetime:
    try:
        return parse_datetime(str(value))
    except ValueError:
        raise InvalidInput("Invalid date-time", field=field, detail=str(value)) from None


# --- rendering -----------------------------------------------------------------------------


def wire_money(minor: int, currency: str) -> dict[str, Any]:
    value = Decimal(minor).scaleb(-minor_unit_exponent(currency))
    number: int | float = int(value) if value == value.to_integral_value() else float(value)
    return {"unit": currency, "value": number}


def _account_ref(account_id: str | None) -> dict[str, Any]:
    return {
        "id": account_id or "",
        "href": f"/tmf-api/accountManagement/v4/billingAccount/{account_id}",
        "@referredType": "BillingAccount",
    }


def render_payment(payment: Payment, allocations: list[tuple[str, int]]) -> Document:
    document: Document = {
        "id": payment.id,
        "href": f"{BASE_PATH}/payment/{payment.id}",
        "@type": "Payment",
        "status": payment.status,
        "statusDate": format_datetime(payment.updated_at),
        "paymentDate": format_datetime(payment.received_at),
        "account": _account_ref(payment.billing_account_id),
        "totalAmount": wire_money(payment.amount_minor, payment.currency),
        "amount": wire_money(payment.amount_minor, payment.currency),
        "paymentMethod": {"@type": METHOD_NAMES[payment.method], "name": payment.method},
        "paymentItem": [
            {
                "item": {
                    "id": bill_id,
                    "href": f"/tmf-api/customerBillManagement/v4/customerBill/{bill_id}",
                    "@referredType": "CustomerBill",
                },
                "totalAmount": wire_money(amount, payment.currency),
            }
            for bill_id, amount in allocations
        ],
        # extensions: what is kept as credit, what was refunded, why it is held or denied
        "unallocatedAmount": wire_money(payment.unallocated_minor, payment.currency),
        "refundedAmount": wire_money(payment.refunded_minor, payment.currency),
    }
    if payment.external_id:
        document["correlatorId"] = payment.external_id
    if payment.reference:
        document["description"] = payment.reference
    if payment.status_reason:
        document["statusReason"] = payment.status_reason
    if payment.gateway_reference:
        document["authorizationCode"] = payment.gateway_reference
    return document


def render_refund(refund: Refund) -> Document:
    document: Document = {
        "id": refund.id,
        "href": f"{BASE_PATH}/refund/{refund.id}",
        "@type": "Refund",
        "status": refund.status,
        "statusDate": format_datetime(refund.created_at),
        "refundDate": format_datetime(refund.created_at),
        "account": _account_ref(refund.billing_account_id),
        "totalAmount": wire_money(refund.amount_minor, refund.currency),
        "amount": wire_money(refund.amount_minor, refund.currency),
        "paymentMethod": {"@type": METHOD_NAMES[refund.method], "name": refund.method},
        "description": refund.reason,
    }
    if refund.payment_id:
        document["payment"] = {
            "id": refund.payment_id,
            "href": f"{BASE_PATH}/payment/{refund.payment_id}",
            "@referredType": "Payment",
        }
    if refund.external_id:
        document["correlatorId"] = refund.external_id
    if refund.gateway_reference:
        document["authorizationCode"] = refund.gateway_reference
    return document


def _allocations(session: Session, payment_ids: list[str]) -> dict[str, list[tuple[str, int]]]:
    totals: dict[str, dict[str, int]] = {}
    for start in range(0, len(payment_ids), 500):
        query = (
            select(Allocation.payment_id, Allocation.bill_id, Allocation.amount_minor)
            .where(Allocation.payment_id.in_(payment_ids[start : start + 500]))
            .order_by(Allocation.pk)
        )
        for payment_id, bill_id, amount in session.execute(query):
            per_bill = totals.setdefault(payment_id, {})
            per_bill[bill_id] = per_bill.get(bill_id, 0) + amount
    return {
        payment_id: [(bill, amount) for bill, amount in per_bill.items() if amount > 0]
        for payment_id, per_bill in totals.items()
    }


def retrieve_payment(session: Session, *, payment_id: str) -> Document:
    payment = session.scalars(select(Payment).where(Payment.id == payment_id)).one_or_none()
    if payment is None:
        raise NotFound("Payment not found", field="id", detail=payment_id)
    return render_payment(payment, _allocations(session, [payment_id]).get(payment_id, []))


def retrieve_refund(session: Session, *, refund_id: str) -> Document:
    refund = session.scalars(select(Refund).where(Refund.id == refund_id)).one_or_none()
    if refund is None:
        raise NotFound("Refund not found", field="id", detail=refund_id)
    return render_refund(refund)


PAYMENT_FILTERS = {
    "account.id": Payment.billing_account_id,
    "status": Payment.status,
    "correlatorId": Payment.external_id,
}
REFUND_FILTERS = {
    "account.id": Refund.billing_account_id,
    "status": Refund.status,
    "payment.id": Refund.payment_id,
    "correlatorId": Refund.external_id,
}


def _filtered(query: Select[Any], columns: Mapping[str, Any], filters: Mapping[str, str]) -> Any:
    for name, value in filters.items():
        if name in columns:
            query = query.where(columns[name].in_(value.split(",")))
    return query


def list_payments(
    session: Session, *, filters: Mapping[str, str], offset: int, limit: int
) -> tuple[int, list[Document]]:
    query = _filtered(select(Payment), PAYMENT_FILTERS, filters)
    method = filters.get("paymentMethod") or filters.get("paymentMethod.@type")
    if method:
        wanted = {METHOD_TYPES.get(kind.lower(), kind) for kind in method.split(",")}
        query = query.where(Payment.method.in_(sorted(wanted)))
    page = list(session.scalars(query.order_by(Payment.pk).offset(offset).limit(limit)))
    allocations = _allocations(session, [p.id for p in page])
    return _count(session, query), [render_payment(p, allocations.get(p.id, [])) for p in page]


def list_refunds(
    session: Session, *, filters: Mapping[str, str], offset: int, limit: int
) -> tuple[int, list[Document]]:
    query = _filtered(select(Refund), REFUND_FILTERS, filters)
    page = session.scalars(query.order_by(Refund.pk).offset(offset).limit(limit))
    return _count(session, query), [render_refund(r) for r in page]


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _notify(session: Session, resource: str, document: Document, now: datetime) -> None:
    publish(
        session,
        ResourceChanged(
            api=API_NAME,
            resource=resource,
            resource_id=document["id"],
            change="Create",
            document=document,
            occurred_at=now,
        ),
        now=now,
    )
