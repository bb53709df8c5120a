"""The billing desk over HTTP: a bill run started from the console drafts in the background
while its page polls a progress fragment, is approved, and its invoices list, show and download
as PDFs; a readonly user or a forged form changes nothing; the dunning queue shows open cases."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from console_helpers import csrf, post_form, sign_in, staff_user
from dunning_world import day, dun, issue_bill
from ordering_world import World, build
from ossbss import billing, bootstrap
from ossbss.kernel.time import Period
from reporting_world import add_bill, add_product, recurring

DECEMBER_1 = datetime(2025, 12, 1, tzinfo=UTC)
STATE = re.compile(r'id="run-progress" data-state="([a-z]+)"')


@pytest.fixture
def world(client: TestClient, platform: bootstrap.Platform) -> World:
    """Ada's account with a 30 EUR monthly product since December: the default cycle's last
    closed period (the clock is in January) bills it 36 EUR with tax."""
    world = build(client)
    with platform.database.unit_of_work() as session:
        add_product(
            session,
            account=world.account_id,
            offering=world.offering_id,
            start=DECEMBER_1,
            prices=[recurring(30)],
        )
    return world


def run_state(client: TestClient, run_id: str) -> str:
    fragment = client.get(f"/billing/runs/{run_id}/progress")
    assert fragment.status_code == 200, fragment.text
    found = STATE.search(fragment.text)
    assert found, fragment.text
    return found.group(1)


def wait_for(client: TestClient, run_id: str, state: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while (current := run_state(client, run_id)) != state:
        assert time.monotonic() < deadline, f"the run is still {current}"
        time.sleep(0.05)


def start(client: TestClient, cycle: str = "default", period: str = "") -> str:
    response = post_form(
        client, "/billing/runs", {"cycle": cycle, "period": period}, page="/billing"
    )
    assert response.status_code == 303, getattr(response, "text", "")
    location = response.headers["location"]
    assert location.startswith("/billing/runs/")
    return location.rsplit("/", 1)[1]


def runs(platform: bootstrap.Platform) -> list[str]:
    with platform.database.unit_of_work(write=False) as session:
        return [run.id for run in billing.list_runs(session)]


def test_a_run_started_from_the_console_drafts_is_approved_and_its_pdf_downloads(
    client: TestClient, platform: bootstrap.Platform, world: World
) -> None:
    sign_in(client, staff_user(platform, "billing"))
    page = client.get("/billing")
    assert page.status_code == 200
    assert "last closed period 2025-12-01 to 2026-01-01" in page.text

    run_id = start(client)
    wait_for(client, run_id, "draft")
    detail = client.get(f"/billing/runs/{run_id}")
    assert detail.status_code == 200
    assert 'id="accounts-done">1 <small>of 1' in detail.text
    assert "€36.00" in detail.text  # 30 EUR + 20% tax
    assert "Approve and issue" in detail.text
    assert 'hx-trigger="every 2s"' not in detail.text  # a draft is not polled
    assert run_id in client.get("/billing").text

    compared = client.get(f"/billing/runs/{run_id}", params={"account": world.account_id})
    assert "new product" in compared.text

    approved = post_form(client, f"/billing/runs/{run_id}/approve", page=f"/billing/runs/{run_id}")
    assert approved.status_code == 303
    wait_for(client, run_id, "issued")

    listed = client.get("/billing/bills", params={"state": "sent", "period": "2025-12"})
    assert listed.status_code == 200
    number = re.search(r"INV-\d{4}-\d{6}", listed.text)
    assert number, listed.text
    assert "€36.00" in listed.text
    assert "0\N{EN DASH}0 of 0" in client.get("/billing/bills", params={"period": "2025-11"}).text
    bill_id = re.search(r'href="/billing/bills/([^"/]+)"', listed.text)
    assert bill_id

    shown = client.get(f"/billing/bills/{bill_id.group(1)}")
    assert shown.status_code == 200
    assert number.group(0) in shown.text
    assert "Ada" in shown.text
    assert "recurring" in shown.text

    pdf = client.get(f"/billing/bills/{bill_id.group(1)}/document")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="{number.group(0)}.pdf"'
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert number.group(0) in text


def test_a_running_run_is_polled_and_a_draft_pdf_is_watermarked(
    client: TestClient, platform: bootstrap.Platform, world: World
) -> None:
    with platform.database.unit_of_work() as session:
        # Started but not drafted yet (the background work of a console start, held back).
        run_id = billing.start_run(
            session,
            cycle_id="default",
            period=Period(DECEMBER_1, datetime(2026, 1, 1, tzinfo=UTC)),
            now=platform.clock.now(),
        )
    sign_in(client, staff_user(platform, "readonly"))
    fragment = client.get(f"/billing/runs/{run_id}/progress")
    assert 'data-state="running"' in fragment.text
    assert 'hx-trigger="every 2s"' in fragment.text
    assert "<html" not in fragment.text  # a fragment, not a page

    billing.run_bills(platform.database, run_id=run_id, clock=platform.clock)
    drafts = client.get("/billing/bills", params={"state": "new"})
    bill_id = re.search(r'href="/billing/bills/([^"/]+)"', drafts.text)
    assert bill_id, drafts.text
    pdf = client.get(f"/billing/bills/{bill_id.group(1)}/document")
    assert pdf.content.startswith(b"%PDF")
    assert "DRAFT" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)


def test_a_readonly_user_or_a_forged_form_cannot_start_or_approve_a_run(
    client: TestClient, platform: bootstrap.Platform, world: World
) -> None:
    sign_in(client, staff_user(platform, "readonly"))
    assert client.get("/billing").status_code == 200
    refused = post_form(client, "/billing/runs", {"cycle": "default"}, page="/billing")
    assert refused.status_code == 403
    assert runs(platform) == []

    sign_in(client, staff_user(platform, "billing"))
    forged = client.post("/billing/runs", data={"cycle": "default"}, follow_redirects=False)
    assert forged.status_code == 403
    assert runs(platform) == []

    run_id = start(client)
    wait_for(client, run_id, "draft")
    sign_in(client, staff_user(platform, "readonly", "reader-2"))
    assert post_form(client, f"/billing/runs/{run_id}/approve", page="/billing").status_code == 403
    assert post_form(client, f"/billing/runs/{run_id}/discard", page="/billing").status_code == 403
    assert run_state(client, run_id) == "draft"


def test_a_bad_period_is_shown_on_the_form_and_a_draft_can_be_discarded(
    client: TestClient, platform: bootstrap.Platform, world: World
) -> None:
    sign_in(client, staff_user(platform, "billing"))
    future = post_form(
        client, "/billing/runs", {"cycle": "default", "period": "2026-01"}, page="/billing"
    )
    assert future.status_code == 400
    assert "the period has not ended" in getattr(future, "text", "")
    assert 'value="2026-01"' in getattr(future, "text", "")
    assert runs(platform) == []

    run_id = start(client, period="2025-12")
    wait_for(client, run_id, "draft")
    discarded = post_form(client, f"/billing/runs/{run_id}/discard", page="/billing")
    assert discarded.status_code == 303
    assert run_state(client, run_id) == "discarded"
    assert client.get("/billing/bills", params={"run": run_id}).text.count("/document") == 0
    conflict = post_form(client, f"/billing/runs/{run_id}/approve", page="/billing")
    assert conflict.status_code == 409


def test_the_dunning_queue_shows_an_open_case_with_its_next_step(
    client: TestClient, platform: bootstrap.Platform, world: World
) -> None:
    issue_bill(platform, world.account_id, amount=3600)
    dun(platform, day(8))
    sign_in(client, staff_user(platform, "csr"))
    page = client.get("/billing/dunning")
    assert page.status_code == 200
    assert world.account_id in page.text
    assert "36.0 EUR" in page.text
    assert "reminder" in page.text.lower()
    assert csrf(client, "/billing/dunning")


def test_the_invoice_list_pages_with_its_filters_kept(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    with platform.database.unit_of_work() as session:
        for number in range(3):
            add_bill(
                session,
                account="A&B",
                bill_date=datetime(2026, 1, 2 + number, tzinfo=UTC),
                lines=[("recurring", None, None, 1000)],
            )
        add_bill(session, account="other", bill_date=datetime(2026, 1, 9, tzinfo=UTC), lines=[])
    sign_in(client, staff_user(platform, "readonly"))
    first = client.get("/billing/bills", params={"account": "A&B", "limit": "2"})
    assert first.status_code == 200
    assert first.text.count("/document") == 2
    assert "1\N{EN DASH}2 of 3" in first.text
    assert "offset=2&limit=2&amp;account=A%26B" in first.text
    second = client.get("/billing/bills", params={"account": "A&B", "limit": "2", "offset": "2"})
    assert second.text.count("/document") == 1
    bad = client.get("/billing/bills", params={"period": "January"})
    assert bad.status_code == 400
    assert "period: YYYY-MM" in bad.text
