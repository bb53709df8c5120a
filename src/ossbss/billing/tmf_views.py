"""Bills and their lines as TMF678 shows them, rendered from the narrow rows on read, and
their hub notifications. Amounts stay integers in minor units until the wire, where a TMF
Money value is the exact decimal (an int when whole)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ossbss.billing.models import Bill, BillLine, BillOnDemand
from ossbss.kernel import publish
from ossbss.kernel.money import minor_unit_exponent
from ossbss.kernel.time import format_datetime
from ossbss.tmf import ResourceChanged

API_NAME = "customerBillManagement"
BASE_PATH = f"/tmf-api/{API_NAME}/v4"
CATEGORY = {"regular": "normal", "onDemand": "normal", "creditNote": "creditNote"}
RUN_TYPE = {"regular": "onCycle", "onDemand": "offCycle", "creditNote": "offCycle"}


def money(amount_minor: int, currency: str) -> dict[str, Any]:
    """A TMF Money from minor units: the exact decimal at the currency's digits."""
    value = Decimal(amount_minor).scaleb(-minor_unit_exponent(currency))
    number: int | float = int(value) if value == value.to_integral_value() else float(value)
    return {"unit": currency, "value": number}


def _period(start: datetime | None, end: datetime | None) -> dict[str, str] | None:
    if start is None and end is None:
        return None
    period = {}
    if start is not None:
        period["startDateTime"] = format_datetime(start)
    if end is not None:
        period["endDateTime"] = format_datetime(end)
    return period


def _rate(text: str) -> int | float:
    rate = Decimal(text)
    return int(rate) if rate == rate.to_integral_value() else float(rate)


def tax_items(lines: Iterable[BillLine], currency: str) -> list[dict[str, Any]]:
    """One TaxItem per (category, rate) used on the bill."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for line in lines:
        totals[(line.tax_category or "", Decimal(line.tax_rate).normalize().to_eng_string())] += (
            line.tax_minor
        )
    items = []
    for (category, rate), amount in sorted(totals.items()):
        item: dict[str, Any] = {
            "taxRate": _rate(rate),
            "taxAmount": money(amount, currency),
            "@type": "TaxItem",
        }
        if category:
            item["taxCategory"] = category
        items.append(item)
    return items


def bill_href(bill_id: str) -> str:
    return f"{BASE_PATH}/customerBill/{bill_id}"


def render_bill(bill: Bill, lines: Sequence[BillLine]) -> dict[str, Any]:
    currency = bill.currency
    body: dict[str, Any] = {
        "id": bill.id,
        "href": bill_href(bill.id),
        "billDate": format_datetime(bill.bill_date),
        "category": CATEGORY.get(bill.kind, bill.kind),
        "runType": RUN_TYPE.get(bill.kind, "offCycle"),
        "lastUpdate": format_datetime(bill.updated_at),
        "state": bill.state,
        "billingAccount": {
            "id": bill.billing_account_id,
            "href": f"/tmf-api/accountManagement/v4/billingAccount/{bill.billing_account_id}",
            "@referredType": "BillingAccount",
        },
        "relatedParty": [
            {
                "id": bill.billing_account_id,
                "role": "payer",
                "@referredType": "BillingAccount",
            }
        ],
        "taxExcludedAmount": money(bill.amount_excl_tax_minor, currency),
        "taxIncludedAmount": money(bill.amount_incl_tax_minor, currency),
        "amountDue": money(bill.amount_incl_tax_minor, currency),
        "remainingAmount": money(bill.remaining_minor, currency),
        "taxItem": tax_items(lines, currency),
        "@type": "CustomerBill",
    }
    if bill.bill_no is not None:
        body["billNo"] = bill.bill_no
    if bill.payment_due_date is not None:
        body["paymentDueDate"] = format_datetime(bill.payment_due_date)
    period = _period(bill.period_start, bill.period_end)
    if period:
        body["billingPeriod"] = period
    if bill.issued_at is not None:
        # Only an issued bill has a document of record (a draft is previewed, never stored).
        body["billDocument"] = [
            {
                "id": bill.id,
                "href": f"{bill_href(bill.id)}/document",
                "url": f"{bill_href(bill.id)}/document",
                "name": f"{bill.bill_no or bill.id}.pdf",
                "mimeType": "application/pdf",
                "attachmentType": "invoice",
                "@referredType": "Attachment",
            }
        ]
    if bill.corrects_bill_id is not None:
        # The corrected bill travels as an extension attribute (TMF678 has no such link).
        body["correctsBill"] = {
            "id": bill.corrects_bill_id,
            "href": bill_href(bill.corrects_bill_id),
        }
    if bill.reason:
        body["description"] = bill.reason
    return body


def render_line(line: BillLine, bill: Bill) -> dict[str, Any]:
    currency = bill.currency
    body: dict[str, Any] = {
        "id": line.id,
        "href": f"{BASE_PATH}/appliedCustomerBillingRate/{line.id}",
        "name": line.product_name or line.description,
        "description": line.description,
        "type": line.type,
        "date": format_datetime(bill.bill_date),
        "isBilled": bill.issued_at is not None,
        "bill": {"id": bill.id, "href": bill_href(bill.id)},
        "billingAccount": {"id": bill.billing_account_id, "@referredType": "BillingAccount"},
        "taxExcludedAmount": money(line.amount_minor, currency),
        "taxIncludedAmount": money(line.amount_minor + line.tax_minor, currency),
        "appliedTax": [
            {
                "taxRate": _rate(line.tax_rate),
                "taxAmount": money(line.tax_minor, currency),
                **({"taxCategory": line.tax_category} if line.tax_category else {}),
                "@type": "AppliedBillingTaxRate",
            }
        ],
        "@type": "AppliedCustomerBillingRate",
    }
    period = _period(line.period_start, line.period_end)
    if period:
        body["periodCoverage"] = period
    if line.product_id:
        body["product"] = {"id": line.product_id, "@referredType": "Product"}
        if line.product_name:
            body["product"]["name"] = line.product_name
    if line.quantity:
        body["characteristic"] = [{"name": "quantity", "value": line.quantity}]
    return body


def render_on_demand(request: BillOnDemand) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": request.id,
        "href": f"{BASE_PATH}/customerBillOnDemand/{request.id}",
        "state": request.state,
        "lastUpdate": format_datetime(request.updated_at),
        "billingAccount": {"id": request.billing_account_id, "@referredType": "BillingAccount"},
        "billingPeriod": _period(request.period_start, request.period_end),
        "@type": "CustomerBillOnDemand",
    }
    if request.name:
        body["name"] = request.name
    if request.description:
        body["description"] = request.description
    if request.bill_id:
        body["customerBill"] = {"id": request.bill_id, "href": bill_href(request.bill_id)}
    if request.reason:
        body["reason"] = request.reason  # why it ended in terminatedWithError (an extension)
    return body


def notify(
    session: Session, *, resource: str, change: str, document: dict[str, Any], now: datetime
) -> None:
    """Hub subscribers of TMF678 hear of it (CustomerBillCreateEvent, ...StateChangeEvent)."""
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
