"""Journey in a real Chromium: a billing user signs in, starts the bill run of the default
cycle for its last closed period, watches it draft (the page polls its progress), approves it,
watches it issue, opens an invoice and downloads its PDF; the reports page draws its charts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from playwright.sync_api import expect

from console_helpers import PASSWORD, save_screenshot, staff_user
from ordering_world import build
from ossbss import bootstrap
from reporting_world import add_product, recurring

DECEMBER_1 = datetime(2025, 12, 1, tzinfo=UTC)
RUN_DEADLINE_MS = 30_000  # the run works in a background thread of the served app


def test_a_billing_user_runs_a_cycle_and_downloads_an_invoice(
    client: TestClient, platform: bootstrap.Platform, page: Any, tmp_path: Path
) -> None:
    for pool in ("100.64.0.0/29", "100.64.1.0/29"):
        world = build(client, pool_cidr=pool)
        with platform.database.unit_of_work() as session:
            add_product(
                session,
                account=world.account_id,
                offering=world.offering_id,
                start=DECEMBER_1,
                prices=[recurring(30)],
            )
    staff_user(platform, "billing", "bianca")

    page.goto("/login?next=/billing")
    page.fill("input[name=username]", "bianca")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/billing")

    page.select_option("select[name=cycle]", "default")
    page.click("text=Start bill run")
    page.wait_for_url(re.compile(r".*/billing/runs/[^/]+$"))
    progress = page.locator("#run-progress")
    expect(progress).to_have_attribute("data-state", "draft", timeout=RUN_DEADLINE_MS)
    expect(page.locator("#accounts-done")).to_contain_text("2 of 2")
    expect(page.locator("#bills")).to_contain_text("2")
    expect(page.locator("#failures")).to_have_text("0")

    page.click("text=Approve and issue")
    expect(page.locator("#flash")).to_contain_text("Approval started")
    expect(progress).to_have_attribute("data-state", "issued", timeout=RUN_DEADLINE_MS)
    expect(page.locator("#bills")).to_contain_text("2 issued")
    run_url = page.url

    page.click("text=Bills of this run")
    first = page.locator("table.bills tbody tr a").first
    number = first.inner_text()
    assert re.fullmatch(r"INV-\d{4}-\d{6}", number), number
    first.click()
    expect(page.locator("h1")).to_contain_text(number)

    with page.expect_download() as download_info:
        page.click("#download-pdf")
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    saved = tmp_path / "invoice.pdf"
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    page.click("header nav >> text=Reports")
    for chart in ("revenue", "mrr", "churn", "aging", "links"):
        expect(page.locator(f"#chart-{chart}")).to_have_attribute("data-drawn", "1")

    page.goto(run_url)
    expect(progress).to_have_attribute("data-state", "issued")
    save_screenshot(page, "billing-run")
