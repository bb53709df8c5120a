"""The facts of a bill as its document needs them, read from billing's tables and from the
account and party rooms (names and the postal address)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss import account, party
from ossbss.billing.documents.view import BillFacts, LineFacts, Recipient

__all__ = ["LineFacts", "bill_facts", "find_bill_row", "lines_of", "postal_address", "recipient"]
from ossbss.billing.models import Bill, BillLine
from ossbss.kernel.errors import DomainError, NotFound
from ossbss.tmf import get_resource

ADDRESS_FIELDS = ("street1", "street2", ("postCode", "city"), "stateOrProvince", "country")


def find_bill_row(session: Session, *, bill_id_or_no: str) -> Bill:
    """A bill by its id or by its printed number; NotFound otherwise."""
    bill = session.scalars(select(Bill).where(Bill.id == bill_id_or_no)).one_or_none()
    if bill is None:
        bill = session.scalars(select(Bill).where(Bill.bill_no == bill_id_or_no)).one_or_none()
    if bill is None:
        raise NotFound("Bill not found", detail=bill_id_or_no)
    return bill


def bill_facts(session: Session, bill: Bill) -> BillFacts:
    corrects = None
    if bill.corrects_bill_id:
        corrected = session.scalars(select(Bill.bill_no).where(Bill.id == bill.corrects_bill_id))
        corrects = corrected.one_or_none() or bill.corrects_bill_id
    return BillFacts(
        id=bill.id,
        bill_no=bill.bill_no,
        kind=bill.kind,
        state=bill.state,
        currency=bill.currency,
        period_start=bill.period_start,
        period_end=bill.period_end,
        bill_date=bill.bill_date,
        payment_due_date=bill.payment_due_date,
        amount_excl_tax_minor=bill.amount_excl_tax_minor,
        tax_minor=bill.tax_minor,
        amount_incl_tax_minor=bill.amount_incl_tax_minor,
        corrects_bill_no=corrects,
        reason=bill.reason,
    )


def lines_of(session: Session, bill_ids: Sequence[str]) -> dict[str, list[LineFacts]]:
    """The lines of many bills in one query, per bill."""
    lines: dict[str, list[LineFacts]] = {bill_id: [] for bill_id in bill_ids}
    query = select(BillLine).where(BillLine.bill_id.in_(list(bill_ids))).order_by(BillLine.pk)
    for line in session.scalars(query):
        lines[line.bill_id].append(
            LineFacts(
                line_no=line.line_no,
                product_id=line.product_id,
                product_name=line.product_name,
                type=line.type,
                description=line.description,
                period_start=line.period_start,
                period_end=line.period_end,
                quantity=line.quantity,
                amount_minor=line.amount_minor,
                tax_rate=line.tax_rate or "0",
                tax_minor=line.tax_minor,
            )
        )
    return lines


def recipient(session: Session, *, billing_account_id: str) -> Recipient:
    """Who the bill is addressed to: the account owner's name and postal address (the
    account's billing contact first, then the customer's party), and the account itself."""
    try:
        billing_account = account.get_billing_account(session, account_id=billing_account_id)
    except NotFound:
        return Recipient(billing_account_id, (), billing_account_id, billing_account_id)
    owner = _owner(billing_account)
    customer = _customer(session, owner)
    engaged = _engaged_party(session, customer)
    name = (
        (customer or {}).get("name")
        or (owner or {}).get("name")
        or _party_name(engaged)
        or billing_account.get("name")
        or billing_account_id
    )
    contacts = [
        medium
        for contact in billing_account.get("contact") or []
        for medium in contact.get("contactMedium") or []
    ]
    address = (
        postal_address(contacts)
        or postal_address((customer or {}).get("contactMedium") or [])
        or postal_address((engaged or {}).get("contactMedium") or [])
    )
    method = billing_account.get("paymentMethod")
    return Recipient(
        customer_name=str(name),
        address=address,
        account_id=billing_account_id,
        account_name=str(billing_account.get("name") or billing_account_id),
        payment_method=method.get("@type") if isinstance(method, dict) else None,
    )


def postal_address(media: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    """The lines of the first postal address among contact media (the preferred one first)."""
    postal = [m for m in media if m.get("mediumType") == "postalAddress"]
    postal.sort(key=lambda medium: not medium.get("preferred"))
    for medium in postal:
        fields = medium.get("characteristic") or {}
        lines = []
        for name in ADDRESS_FIELDS:
            if isinstance(name, tuple):
                text = " ".join(str(fields[part]) for part in name if fields.get(part))
            else:
                text = str(fields.get(name) or "")
            if text:
                lines.append(text)
        if lines:
            return tuple(lines)
    return ()


def _owner(billing_account: dict[str, Any]) -> dict[str, Any] | None:
    related = billing_account.get("relatedParty") or []
    owners = [p for p in related if (p.get("role") or "").lower() in ("owner", "customer")]
    chosen = (owners or related or [None])[0]
    return chosen if isinstance(chosen, dict) else None


def _customer(session: Session, owner: dict[str, Any] | None) -> dict[str, Any] | None:
    if not owner or owner.get("@referredType") not in (None, "Customer"):
        return None
    try:
        return party.get_customer(session, customer_id=owner["id"])
    except DomainError:
        return None


def _engaged_party(session: Session, customer: dict[str, Any] | None) -> dict[str, Any] | None:
    engaged = (customer or {}).get("engagedParty")
    if not isinstance(engaged, dict) or "id" not in engaged:
        return None
    organization = engaged.get("@referredType") == "Organization"
    kind = party.ORGANIZATION if organization else party.INDIVIDUAL
    try:
        return get_resource(session, resource=kind, resource_id=engaged["id"])
    except DomainError:
        return None


def _party_name(document: dict[str, Any] | None) -> str | None:
    if not document:
        return None
    name = document.get("formattedName") or document.get("tradingName") or document.get("name")
    if name:
        return str(name)
    given, family = document.get("givenName"), document.get("familyName")
    return " ".join(part for part in (given, family) if part) or None
