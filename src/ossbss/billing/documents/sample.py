"""A sample invoice (about ten lines on three products) for the benchmark, the docs and tests."""

from __future__ import annotations

from datetime import UTC, datetime

from ossbss.billing.documents.view import (
    BillFacts,
    InvoiceView,
    LineFacts,
    Operator,
    Recipient,
    build_invoice_view,
)

PERIOD_START = datetime(2026, 10, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 11, 1, tzinfo=UTC)


def sample_lines(count: int = 10) -> list[LineFacts]:
    products = [("p-fibre", "Fibre 1000"), ("p-mobile", "Mobile M"), ("p-tv", "TV Plus")]
    kinds = [
        ("recurring", "Monthly fee", None, 3999),
        ("usage", "Data", "12.4 GB", 1240),
        ("usage", "Voice", "134 min", 804),
        ("oneTime", "Installation", None, 4900),
        ("discount", "Welcome discount", None, -500),
    ]
    lines = []
    for index in range(count):
        product_id, product_name = products[index % len(products)]
        kind, description, quantity, amount = kinds[index % len(kinds)]
        lines.append(
            LineFacts(
                line_no=index + 1,
                product_id=product_id,
                product_name=product_name,
                type=kind,
                description=description,
                period_start=PERIOD_START,
                period_end=PERIOD_END,
                quantity=quantity,
                amount_minor=amount,
                tax_rate="23" if index % 4 else "13.5",
                tax_minor=amount * 23 // 100 if index % 4 else amount * 135 // 1000,
            )
        )
    return lines


def sample_view(
    *,
    lines: int = 10,
    bill_no: str = "INV-2026-000042",
    state: str = "sent",
    customer_name: str = "Grace Hopper",
    currency: str = "EUR",
    operator: Operator | None = None,
) -> InvoiceView:
    facts = sample_lines(lines)
    excl = sum(line.amount_minor for line in facts)
    tax = sum(line.tax_minor for line in facts)
    bill = BillFacts(
        id="7a1d6c2e-0000-4000-8000-000000000042",
        bill_no=bill_no,
        kind="regular",
        state=state,
        currency=currency,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        bill_date=datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
        payment_due_date=datetime(2026, 11, 15, tzinfo=UTC),
        amount_excl_tax_minor=excl,
        tax_minor=tax,
        amount_incl_tax_minor=excl + tax,
    )
    recipient = Recipient(
        customer_name=customer_name,
        address=("12 Baggot Street", "Dublin D02 Y754", "IE"),
        account_id="ba-0001",
        account_name="Grace's account",
    )
    return build_invoice_view(
        operator=operator or Operator(), recipient=recipient, bill=bill, lines=facts
    )
