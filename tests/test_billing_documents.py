"""Invoice documents of bills in the database: the PDF prints what the bill says (totals,
number, customer, address, due date), issued bills keep their document, drafts never do, the
download over HTTP, the background renderer and the CLI. Bills are written through billing's
tables (the bill run writes them the same way)."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select
from typer.testing import CliRunner

from ossbss import billing, cli
from ossbss.billing.documents import get_document, render_on_demand, render_pending
from ossbss.billing.models import Bill, BillDocument, BillLine
from ossbss.bootstrap import Platform
from ossbss.kernel import FixedClock, new_id
from tmf_cases import create

DOCUMENT = "/tmf-api/customerBillManagement/v4/customerBill/{id}/document"
OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
LINES = [
    # product, type, description, quantity, amount, rate, tax
    ("Fibre 1000", "recurring", "Monthly fee", None, 3999, "20", 800),
    ("Fibre 1000", "oneTime", "Installation", None, 4900, "20", 980),
    ("Mobile M", "recurring", "Monthly fee", None, 1500, "20", 300),
    ("Mobile M", "usage", "Data", "12.4 GB", 1240, "20", 248),
    ("Mobile M", "usage", "Voice", "134 min", 804, "20", 161),
    ("Mobile M", "discount", "Loyalty discount", None, -300, "20", -60),
    ("TV Plus", "recurring", "Monthly fee", None, 1000, "5.5", 55),
]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def customer_account(client: TestClient, name: str = "Grace Hopper") -> str:
    individual = create(
        client,
        "/tmf-api/party/v4/individual",
        {
            "givenName": "Grace",
            "familyName": "Hopper",
            "contactMedium": [
                {
                    "mediumType": "postalAddress",
                    "characteristic": {
                        "street1": "12 Baggot Street",
                        "postCode": "D02 Y754",
                        "city": "Dublin",
                        "country": "IE",
                    },
                }
            ],
        },
    )
    customer = create(
        client,
        "/tmf-api/customerManagement/v4/customer",
        {
            "name": name,
            "status": "Active",
            "engagedParty": {"id": individual["id"], "@referredType": "Individual"},
        },
    )
    account = create(
        client,
        "/tmf-api/accountManagement/v4/billingAccount",
        {
            "name": "Grace's account",
            "currency": "EUR",
            "relatedParty": [
                {
                    "id": customer["id"],
                    "role": "owner",
                    "@referredType": "Customer",
                    "name": "Grace",
                }
            ],
        },
    )
    return str(account["id"])


def insert_bill(
    platform: Platform,
    account_id: str,
    *,
    state: str = "sent",
    bill_no: str | None = "INV-2026-000007",
    currency: str = "EUR",
    lines: list[tuple[Any, ...]] = LINES,
    kind: str = "regular",
    corrects: str | None = None,
) -> str:
    bill_id = new_id()
    now = platform.clock.now()
    excl = sum(line[4] for line in lines)
    tax = sum(line[6] for line in lines)
    with platform.database.unit_of_work() as session:
        session.add(
            Bill(
                id=bill_id,
                bill_no=bill_no,
                kind=kind,
                corrects_bill_id=corrects,
                reason="Installation charged twice" if corrects else None,
                billing_account_id=account_id,
                bill_run_id=None,
                state=state,
                currency=currency,
                period_start=OCTOBER[0],
                period_end=OCTOBER[1],
                bill_date=datetime(2026, 11, 1, tzinfo=UTC),
                payment_due_date=datetime(2026, 11, 21, tzinfo=UTC),
                amount_excl_tax_minor=excl,
                tax_minor=tax,
                amount_incl_tax_minor=excl + tax,
                remaining_minor=excl + tax,
                created_at=now,
                issued_at=now if state != "new" else None,
                updated_at=now,
            )
        )
        session.flush()
        for number, (product, kind, text, quantity, amount, rate, line_tax) in enumerate(lines):
            session.add(
                BillLine(
                    id=new_id(),
                    bill_id=bill_id,
                    line_no=number + 1,
                    product_id=f"product-{product}",
                    product_name=product,
                    type=kind,
                    description=text,
                    period_start=OCTOBER[0],
                    period_end=OCTOBER[1],
                    quantity=quantity,
                    amount_minor=amount,
                    tax_rate=rate,
                    tax_minor=line_tax,
                )
            )
    return bill_id


def stored_count(platform: Platform) -> int:
    with platform.database.unit_of_work(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(BillDocument)) or 0)


def test_the_pdf_of_an_issued_bill_prints_its_totals_number_customer_and_due_date(
    client: TestClient, platform: Platform
) -> None:
    bill_id = insert_bill(platform, customer_account(client))
    with platform.database.unit_of_work() as session:
        pdf = billing.render_bill_pdf(session, bill_id=bill_id, now=platform.clock.now())
    text = pdf_text(pdf)
    assert "INV-2026-000007" in text
    assert "Grace Hopper" in text
    assert "12 Baggot Street" in text
    assert "D02 Y754 Dublin" in text
    assert "Due date 21 Nov 2026" in text
    assert "Billing period 1 Oct 2026 \u2013 31 Oct 2026" in text
    # 39.99 + 49.00 + 15.00 + 12.40 + 8.04 - 3.00 + 10.00 = 131.43; tax 24.84
    assert "Total excl. tax €131.43" in text
    assert "Tax €24.84" in text
    assert "Total incl. tax €156.27" in text
    assert "Amount due €156.27" in text
    assert "Reference: INV-2026-000007" in text
    for product in ("Fibre 1000", "Mobile M", "TV Plus"):
        assert product in text
    assert "12.4 GB" in text
    assert "DRAFT" not in text


def test_an_issued_bill_keeps_its_document_once_and_a_draft_never(
    client: TestClient, platform: Platform
) -> None:
    account_id = customer_account(client)
    issued = insert_bill(platform, account_id)
    draft = insert_bill(platform, account_id, state="new", bill_no=None)
    with platform.database.unit_of_work() as session:
        first = billing.render_bill_pdf(
            session, bill_id="INV-2026-000007", now=platform.clock.now()
        )
        again = billing.render_bill_pdf(session, bill_id=issued, now=platform.clock.now())
        draft_pdf = billing.render_bill_pdf(session, bill_id=draft, now=platform.clock.now())
        assert get_document(session, bill_id=issued) is not None
        assert get_document(session, bill_id=draft) is None
    assert again == first  # the kept document, not a second rendering
    assert "DRAFT" in pdf_text(draft_pdf)
    assert stored_count(platform) == 1


def test_the_document_downloads_over_http_and_an_unknown_bill_is_404(
    client: TestClient, platform: Platform
) -> None:
    bill_id = insert_bill(platform, customer_account(client))
    response = client.get(DOCUMENT.format(id=bill_id))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "Total incl. tax €156.27" in pdf_text(response.content)
    assert stored_count(platform) == 1  # rendered on demand, then kept
    assert client.get(DOCUMENT.format(id=bill_id)).content == response.content
    missing = client.get(DOCUMENT.format(id="no-such-bill"))
    assert missing.status_code == 404
    assert missing.json()["@type"] == "Error"
    assert billing.document_href(bill_id) == DOCUMENT.format(id=bill_id)


def test_the_download_needs_credentials(app_client: TestClient, platform: Platform) -> None:
    assert app_client.get(DOCUMENT.format(id="any")).status_code == 401


def test_background_rendering_stores_every_issued_bill_once_and_skips_drafts(
    client: TestClient, platform: Platform
) -> None:
    account_id = customer_account(client)
    issued = [
        insert_bill(platform, account_id, bill_no=f"INV-2026-{n:06d}", lines=LINES[: n + 1])
        for n in range(5)
    ]
    insert_bill(platform, account_id, state="new", bill_no=None)
    batches: list[int] = []
    stored = render_pending(
        platform.database, clock=platform.clock, batch=2, on_batch=batches.append
    )
    assert stored == 5
    assert batches == [2, 2, 1]
    assert render_pending(platform.database, clock=platform.clock) == 0  # nothing left
    with platform.database.unit_of_work(write=False) as session:
        document = get_document(session, bill_id=issued[4])
    assert document is not None
    assert document.media_type == "application/pdf"
    assert document.size == len(document.content)
    assert "INV-2026-000004" in pdf_text(document.content)


def test_background_rendering_in_a_process_pool(client: TestClient, platform: Platform) -> None:
    account_id = customer_account(client)
    for n in range(3):
        insert_bill(platform, account_id, bill_no=f"INV-2026-{n:06d}")
    with billing.documents.render_pool(2) as pool:
        assert render_pending(platform.database, clock=platform.clock, pool=pool) == 3
    assert stored_count(platform) == 3


def test_cli_downloads_a_bill_by_number_and_renders_the_pending_ones(
    client: TestClient, platform: Platform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OSSBSS_DATABASE_URL", platform.settings.database_url)
    account_id = customer_account(client)
    insert_bill(platform, account_id)
    insert_bill(platform, account_id, bill_no="INV-2026-000008")
    output = tmp_path / "invoice.pdf"
    result = CliRunner().invoke(cli.app, ["billing", "pdf", "INV-2026-000007", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "INV-2026-000007" in pdf_text(output.read_bytes())
    rendered = CliRunner().invoke(cli.app, ["billing", "documents", "render", "--processes", "1"])
    assert rendered.exit_code == 0, rendered.output
    assert "1 invoice documents rendered" in rendered.output
    assert stored_count(platform) == 2
    unknown = CliRunner().invoke(cli.app, ["billing", "pdf", "INV-0", "-o", str(output)])
    assert unknown.exit_code == 2
    assert "Bill not found" in unknown.output


def test_a_rerender_replaces_the_kept_document(
    client: TestClient, platform: Platform, clock: FixedClock
) -> None:
    bill_id = insert_bill(platform, customer_account(client))
    first = render_on_demand(platform.database, clock=platform.clock, bill_id=bill_id)
    clock.advance(timedelta(days=1))
    render_on_demand(platform.database, clock=platform.clock, bill_id=bill_id, rerender=True)
    with platform.database.unit_of_work(write=False) as session:
        document = get_document(session, bill_id=bill_id)
    assert document is not None
    assert document.rendered_at == platform.clock.now()
    assert first.startswith(b"%PDF")


def test_the_renderer_thread_renders_newly_issued_bills_when_woken(
    client: TestClient, platform: Platform
) -> None:
    account_id = customer_account(client)
    renderer = billing.DocumentRenderer(
        platform.database, platform.clock, interval=3600, processes=1
    ).start()
    try:
        insert_bill(platform, account_id)
        renderer.wake()
        deadline = time.monotonic() + 60
        while stored_count(platform) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        renderer.stop()
    assert stored_count(platform) == 1


def test_a_draft_downloads_with_its_watermark_and_is_not_kept(
    client: TestClient, platform: Platform
) -> None:
    draft = insert_bill(platform, customer_account(client), state="new", bill_no=None)
    response = client.get(DOCUMENT.format(id=draft))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "DRAFT" in text
    assert "not yet issued" in text
    assert stored_count(platform) == 0


def test_a_credit_note_prints_as_one_with_the_bill_it_corrects(
    client: TestClient, platform: Platform
) -> None:
    account_id = customer_account(client)
    bill_id = insert_bill(platform, account_id)
    refund = [("Fibre 1000", "credit", "Installation refunded", None, -4900, "20", -980)]
    note = insert_bill(
        platform,
        account_id,
        bill_no="CN-2026-000001",
        kind="creditNote",
        corrects=bill_id,
        lines=refund,
    )
    text = pdf_text(render_on_demand(platform.database, clock=platform.clock, bill_id=note))
    assert "Credit note" in text
    assert "Corrects INV-2026-000007" in text
    assert "Installation charged twice" in text
    assert "Amount credited -€58.80" in text
    assert "Please transfer" not in text
