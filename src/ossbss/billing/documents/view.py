"""The invoice as its document shows it: everything the template prints, built by a pure
function from the bill's facts (no session, no clock), so it can be pickled to a rendering
process and tested without a database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ossbss.kernel import Settings

CREDIT_NOTE = "creditNote"
# Bills whose document is final: numbered on issue, never changed after. Any other state
# ("new", the draft; "validated") prints with a DRAFT watermark and is never stored.
ISSUED_STATES = ("sent", "partiallyPaid", "settled", "onHold")
USAGE = "usage"
# Lines that belong to no product (an adjustment on the account) are grouped under this title.
ACCOUNT_GROUP = "Account"


@dataclass(frozen=True, slots=True)
class Operator:
    """Who sends the invoice and where to pay (OSSBSS_OPERATOR_* settings)."""

    name: str = "ossbss Demo Telecom Ltd"
    address: tuple[str, ...] = ("1 Harbour Road", "Dublin D02 X285", "Ireland")
    vat_id: str = "IE6388047V"
    registration_id: str = "Company no. 123456"
    bank_name: str = "Demo Bank"
    iban: str = "IE29AIBK93115212345678"
    bic: str = "AIBKIE2D"
    support_email: str = "billing@ossbss.example"
    support_phone: str = "+353 1 555 0100"
    website: str = "https://ossbss.example"
    locale: str = "en_IE"

    @classmethod
    def from_settings(cls, settings: Settings) -> Operator:
        return cls(
            name=settings.operator_name,
            address=tuple(line.strip() for line in settings.operator_address.split("|") if line),
            vat_id=settings.operator_vat_id,
            registration_id=settings.operator_registration_id,
            bank_name=settings.operator_bank_name,
            iban=settings.operator_iban,
            bic=settings.operator_bic,
            support_email=settings.operator_support_email,
            support_phone=settings.operator_support_phone,
            website=settings.operator_website,
            locale=settings.operator_locale,
        )


@dataclass(frozen=True, slots=True)
class Recipient:
    """The customer the bill is addressed to and the billing account it is for."""

    customer_name: str
    address: tuple[str, ...]
    account_id: str
    account_name: str
    payment_method: str | None = None  # e.g. "BankAccountDebit": how the bill is paid


@dataclass(frozen=True, slots=True)
class BillFacts:
    id: str
    bill_no: str | None
    kind: str
    state: str
    currency: str
    period_start: datetime | None
    period_end: datetime | None
    bill_date: date | datetime | None
    payment_due_date: date | datetime | None
    amount_excl_tax_minor: int
    tax_minor: int
    amount_incl_tax_minor: int
    corrects_bill_no: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class LineFacts:
    line_no: int
    product_id: str | None
    product_name: str | None
    type: str
    description: str
    period_start: datetime | None
    period_end: datetime | None
    quantity: str | None
    amount_minor: int
    tax_rate: str
    tax_minor: int


@dataclass(frozen=True, slots=True)
class ProductGroup:
    title: str
    product_id: str | None
    lines: tuple[LineFacts, ...]
    subtotal_minor: int


@dataclass(frozen=True, slots=True)
class UsageRow:
    product: str
    description: str
    quantity: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class TaxRow:
    rate: str
    base_minor: int
    tax_minor: int


@dataclass(frozen=True, slots=True)
class InvoiceView:
    operator: Operator
    recipient: Recipient
    bill: BillFacts
    groups: tuple[ProductGroup, ...]
    usage: tuple[UsageRow, ...]
    taxes: tuple[TaxRow, ...]
    draft: bool
    credit_note: bool
    title: str
    reference: str
    amount_due_minor: int
    instructions: tuple[str, ...] = field(default=())

    @property
    def currency(self) -> str:
        return self.bill.currency

    @property
    def locale(self) -> str:
        return self.operator.locale


def build_invoice_view(
    *, operator: Operator, recipient: Recipient, bill: BillFacts, lines: Sequence[LineFacts]
) -> InvoiceView:
    ordered = sorted(lines, key=lambda line: line.line_no)
    draft = bill.state not in ISSUED_STATES
    credit_note = bill.kind == CREDIT_NOTE
    # A draft has no number yet: its id is the only reference it can be quoted by.
    reference = bill.bill_no or bill.id
    amount_due = bill.amount_incl_tax_minor
    return InvoiceView(
        operator=operator,
        recipient=recipient,
        bill=bill,
        groups=group_by_product(ordered),
        usage=usage_summary(ordered),
        taxes=taxes_per_rate(ordered),
        draft=draft,
        credit_note=credit_note,
        title="Credit note" if credit_note else "Invoice",
        reference=reference,
        amount_due_minor=amount_due,
        instructions=payment_instructions(
            operator=operator,
            recipient=recipient,
            reference=reference,
            amount_due_minor=amount_due,
            credit_note=credit_note,
        ),
    )


def group_by_product(lines: Sequence[LineFacts]) -> tuple[ProductGroup, ...]:
    """One group per product, in the order the products first appear on the bill."""
    groups: dict[str | None, list[LineFacts]] = {}
    for line in lines:
        groups.setdefault(line.product_id, []).append(line)
    return tuple(
        ProductGroup(
            title=next((line.product_name for line in members if line.product_name), None)
            or (ACCOUNT_GROUP if product_id is None else product_id),
            product_id=product_id,
            lines=tuple(members),
            subtotal_minor=sum(line.amount_minor for line in members),
        )
        for product_id, members in groups.items()
    )


def usage_summary(lines: Sequence[LineFacts]) -> tuple[UsageRow, ...]:
    """The usage lines per product and kind (the charges already sum them per kind)."""
    rows: dict[tuple[str, str], tuple[list[str], int]] = {}
    for line in lines:
        if line.type != USAGE:
            continue
        key = (line.product_name or line.product_id or ACCOUNT_GROUP, line.description)
        quantities, amount = rows.get(key, ([], 0))
        if line.quantity:
            quantities.append(line.quantity)
        rows[key] = (quantities, amount + line.amount_minor)
    return tuple(
        UsageRow(product=product, description=kind, quantity=" + ".join(q), amount_minor=amount)
        for (product, kind), (q, amount) in sorted(rows.items())
    )


def taxes_per_rate(lines: Sequence[LineFacts]) -> tuple[TaxRow, ...]:
    """Base and tax per rate, lowest rate first; equal rates written differently ("20",
    "20.0") are one rate."""
    sums: dict[Decimal, tuple[str, int, int]] = {}
    for line in lines:
        rate = Decimal(line.tax_rate or "0")
        shown, base, tax = sums.get(rate, (line.tax_rate or "0", 0, 0))
        sums[rate] = (shown, base + line.amount_minor, tax + line.tax_minor)
    return tuple(
        TaxRow(rate=shown, base_minor=base, tax_minor=tax)
        for _, (shown, base, tax) in sorted(sums.items())
    )


# Payment methods that collect the money themselves: the customer need not transfer anything.
COLLECTED = {"BankAccountDebit": "direct debit", "BankCard": "card", "DirectDebit": "direct debit"}


def payment_instructions(
    *,
    operator: Operator,
    recipient: Recipient,
    reference: str,
    amount_due_minor: int,
    credit_note: bool,
) -> tuple[str, ...]:
    if credit_note or amount_due_minor <= 0:
        return ("This amount is credited to your account and set against your next bills.",)
    collected = COLLECTED.get(recipient.payment_method or "")
    if collected:
        return (
            f"This amount will be collected by {collected} on or after the due date.",
            f"Reference: {reference}",
        )
    return (
        "Please transfer the amount due by the due date to:",
        f"{operator.name}, {operator.bank_name}",
        f"IBAN {operator.iban} · BIC {operator.bic}",
        f"Reference: {reference} (quote it so your payment finds this bill)",
    )
