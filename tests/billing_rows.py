"""Bills written straight as rows (what a bill run leaves behind), with the ledger charge an
issued bill carries: the shape tests of TMF678, credit notes and the comparison need bills,
not the run that makes them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss import account
from ossbss.billing.models import Bill, BillLine, BillRun
from ossbss.bootstrap import Platform

JANUARY = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
FEBRUARY = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))


@dataclass(frozen=True)
class Line:
    product_id: str | None
    type: str
    amount_minor: int
    tax_rate: str = "20"
    quantity: str | None = None
    period: tuple[datetime, datetime] | None = None
    product_name: str | None = None

    @property
    def tax_minor(self) -> int:
        # half up, as a bill run would round it
        exact = Decimal(self.amount_minor) * Decimal(self.tax_rate) / 100
        return int(exact.to_integral_value(rounding=ROUND_HALF_UP))


def run(session: Session, *, period: tuple[datetime, datetime], state: str = "draft") -> str:
    run_id = str(uuid.uuid4())
    session.add(
        BillRun(
            id=run_id,
            cycle_id="default",
            period_start=period[0],
            period_end=period[1],
            state=state,
            accounts_total=0,
            accounts_done=0,
            accounts_failed=0,
            created_at=period[1],
            updated_at=period[1],
        )
    )
    session.flush()
    return run_id


def bill(
    session: Session,
    *,
    account_id: str,
    lines: list[Line],
    state: str = "sent",
    period: tuple[datetime, datetime] = JANUARY,
    run_id: str | None = None,
    bill_no: str | None = None,
    currency: str = "EUR",
    **extra: Any,
) -> str:
    """An issued (``state`` sent) or draft (``new``) cycle bill with ``lines``; its id."""
    bill_id = str(uuid.uuid4())
    excl = sum(line.amount_minor for line in lines)
    tax = sum(line.tax_minor for line in lines)
    issued = state != "new"
    when = period[1]
    session.add(
        Bill(
            id=bill_id,
            bill_no=bill_no if issued else None,
            kind="regular",
            billing_account_id=account_id,
            bill_run_id=run_id,
            state=state,
            currency=currency,
            period_start=period[0],
            period_end=period[1],
            bill_date=when,
            payment_due_date=when + timedelta(days=14),
            amount_excl_tax_minor=excl,
            tax_minor=tax,
            amount_incl_tax_minor=excl + tax,
            remaining_minor=excl + tax,
            created_at=when,
            issued_at=when if issued else None,
            updated_at=when,
            **extra,
        )
    )
    session.flush()
    session.add_all(
        BillLine(
            id=str(uuid.uuid4()),
            bill_id=bill_id,
            line_no=number,
            product_id=line.product_id,
            product_name=line.product_name or (line.product_id and f"Product {line.product_id}"),
            offering_id=None,
            type=line.type,
            description=f"{line.type} {line.product_id}",
            period_start=(line.period or period)[0],
            period_end=(line.period or period)[1],
            quantity=line.quantity,
            amount_minor=line.amount_minor,
            tax_category="telecom",
            tax_rate=line.tax_rate,
            tax_minor=line.tax_minor,
        )
        for number, line in enumerate(lines, start=1)
    )
    if issued:
        account.post_transaction(
            session,
            kind="charge",
            currency=currency,
            postings=[
                account.Posting(account_id, account.RECEIVABLE, excl + tax),
                account.Posting(account_id, account.REVENUE, -excl),
                account.Posting(account_id, account.TAX, -tax),
            ],
            reference_type="customerBill",
            reference_id=bill_id,
            now=when,
        )
    session.flush()
    return bill_id


# --- seeds for the schemathesis conformance test ------------------------------------------


def seed_customer_bill(_client: TestClient, platform: Platform) -> str:
    with platform.database.unit_of_work() as session:
        return bill(session, account_id="A", lines=[Line("f", "recurring", 3000)], bill_no="S-1")


def seed_bill_line(client: TestClient, platform: Platform) -> str:
    bill_id = seed_customer_bill(client, platform)
    with platform.database.unit_of_work() as session:
        return str(session.scalars(select(BillLine.id).where(BillLine.bill_id == bill_id)).one())


def seed_on_demand(client: TestClient, _platform: Platform) -> str:
    from tmf_cases import ACCOUNT, _billing_account, create

    account_id = create(client, f"{ACCOUNT}/billingAccount", _billing_account(client, 0))["id"]
    body = {"billingAccount": {"id": account_id}}
    return str(
        create(client, "/tmf-api/customerBillManagement/v4/customerBillOnDemand", body)["id"]
    )
