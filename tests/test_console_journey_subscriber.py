"""A subscriber's journey in real Chromium: sign in to self-care, open the bill, pay it by card
through the (fake) payment gateway, see it settled and the balance at zero."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from playwright.sync_api import expect

import selfcare_world
from console_helpers import PASSWORD, save_screenshot
from ossbss import bootstrap
from payment_world import balance, bill


def test_a_subscriber_pays_a_bill_in_the_browser(
    client: TestClient, platform: bootstrap.Platform, page: Any
) -> None:
    subscribers = selfcare_world.build(client, platform)
    page.goto("/my/bills")
    assert re.search(r"/my/login\?next=/my/bills$", page.url), page.url
    page.fill("input[name=username]", selfcare_world.ADA)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my/bills")
    expect(page.get_by_text("BOB-1")).to_have_count(0)
    page.get_by_role("link", name="Bill ADA-1").click()
    page.wait_for_url(f"**/my/bills/{subscribers.ada_bill}")
    expect(page.get_by_test_id("remaining")).to_have_text("€49.99")
    page.select_option("select[name=card]", "tok_visa_4242")
    page.get_by_role("button", name="Pay €49.99").click()
    expect(page.locator("#flash")).to_contain_text("your payment was received")
    expect(page.get_by_test_id("paid")).to_be_visible()
    expect(page.get_by_test_id("remaining")).to_have_text("€0.00")
    assert bill(platform, subscribers.ada_bill) == ("settled", 0)
    page.get_by_role("link", name="Bills", exact=True).click()
    expect(page.locator("tbody tr").first).to_contain_text("Paid")
    page.get_by_role("link", name="Overview", exact=True).click()
    page.wait_for_url("**/my")
    expect(page.get_by_test_id("balance")).to_contain_text("€0.00")
    assert balance(platform, subscribers.ada_account) == 0
    save_screenshot(page, "subscriber-payment")
