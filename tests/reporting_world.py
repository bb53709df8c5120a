"""Rows for the reporting tests: issued bills written straight into the billing tables (the
bill run is another room's work), products through product_inventory's door."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ossbss import product_inventory
from ossbss.billing.models import Bill, BillLine
from ossbss.kernel.time import Period, format_datetime

JANUARY = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
FEBRUARY = Period(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
_numbers = iter(range(1, 10**6))


def day(month: int, number: int, hour: int = 0) -> datetime:
    return datetime(2026, month, number, hour, tzinfo=UTC)


def add_bill(
    session: Session,
    *,
    account: str,
    bill_date: datetime,
    lines: list[tuple[str, str | None, str | None, int]],
    kind: str = "regular",
    period: Period | None = JANUARY,
    paid: int = 0,
    due: datetime | None = None,
    state: str | None = None,
    created_at: datetime | None = None,
    issued: bool = True,
    tax_rate: int = 20,
    corrects: str | None = None,
) -> str:
    """An issued bill (or credit note, or draft with ``issued=False``): ``lines`` are
    (type, product id, offering id, amount excl. tax in minor units); tax at ``tax_rate``%."""
    bill_id = str(uuid.uuid4())
    taxes = [amount * tax_rate // 100 for *_rest, amount in lines]
    excl = sum(amount for *_rest, amount in lines)
    incl = excl + sum(taxes)
    remaining = incl - paid if kind != "creditNote" else 0
    if state is None:
        state = "settled" if issued and remaining == 0 else "partiallyPaid" if paid else "sent"
    number = next(_numbers)
    session.add(
        Bill(
            id=bill_id,
            bill_no=f"INV-2026-{number:06d}" if issued else None,
            kind=kind,
            billing_account_id=account,
            bill_run_id=None,
            state=state if issued else "new",
            currency="EUR",
            period_start=period.start if period else None,
            period_end=period.end if period else None,
            bill_date=bill_date,
            payment_due_date=due or bill_date + timedelta(days=14),
            amount_excl_tax_minor=excl,
            tax_minor=sum(taxes),
            amount_incl_tax_minor=incl,
            remaining_minor=remaining,
            corrects_bill_id=corrects,
            reason=None,
            created_at=created_at or bill_date,
            issued_at=bill_date if issued else None,
            updated_at=bill_date,
        )
    )
    session.flush()
    for line_no, ((kind_, product_id, offering_id, amount), tax) in enumerate(
        zip(lines, taxes, strict=True), start=1
    ):
        session.add(
            BillLine(
                id=str(uuid.uuid4()),
                bill_id=bill_id,
                line_no=line_no,
                product_id=product_id,
                product_name=f"name of {offering_id}" if offering_id else None,
                offering_id=offering_id,
                type=kind_,
                description=kind_,
                period_start=period.start if period else None,
                period_end=period.end if period else None,
                quantity=None,
                amount_minor=amount,
                tax_category="standard",
                tax_rate=str(tax_rate),
                tax_minor=tax,
            )
        )
    session.flush()
    return bill_id


def recurring(value: Any, period: str = "month", currency: str = "EUR") -> dict[str, Any]:
    return {
        "name": f"{value} a {period}",
        "priceType": "recurring",
        "recurringChargePeriod": period,
        "price": {"dutyFreeAmount": {"unit": currency, "value": value}},
    }


def add_product(
    session: Session,
    *,
    account: str,
    offering: str,
    start: datetime,
    prices: list[dict[str, Any]],
    status: str = "active",
    name: str = "Fibre 300",
) -> str:
    document = {
        "name": name,
        "status": status,
        "productOffering": {"id": offering},
        "billingAccount": {"id": account},
        "startDate": format_datetime(start),
        "productPrice": prices,
    }
    created = product_inventory.create_product(session, document=document, now=start)
    return str(created["id"])


def terminate(session: Session, *, product_id: str, at: datetime) -> None:
    product_inventory.update_product(
        session, product_id=product_id, changes={"status": "terminated"}, now=at
    )
