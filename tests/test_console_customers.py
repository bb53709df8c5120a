"""The customers pages over HTTP: search by every key, paging, the customer 360, roles, and
that a hostile name is shown as text."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import insert

import ordering_world
import payment_world
import reporting_world
import tickets_world
from console_helpers import PASSWORD, customer_login, save_screenshot, sign_in, staff_user
from ossbss import bootstrap, party, product_inventory
from ossbss.usage.models import UsageRecord
from tmf_cases import create

INDIVIDUAL = "/tmf-api/party/v4/individual"
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
ACCOUNTS = "/tmf-api/accountManagement/v4/billingAccount"
HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def add_customer(
    client: TestClient,
    name: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    account_name: str | None = None,
    status: str = "Active",
) -> dict[str, Any]:
    """An individual with contact media, a customer engaging it and, with ``account_name``,
    a billing account the customer lists."""
    given, _, family = name.rpartition(" ")
    media = []
    if email:
        media.append({"mediumType": "email", "characteristic": {"emailAddress": email}})
    if phone:
        media.append({"mediumType": "phone", "characteristic": {"phoneNumber": phone}})
    person = create(
        client, INDIVIDUAL, {"givenName": given, "familyName": family, "contactMedium": media}
    )
    body: dict[str, Any] = {
        "name": name,
        "status": status,
        "engagedParty": {"id": person["id"], "@referredType": "Individual"},
    }
    customer = create(client, CUSTOMERS, body)
    if account_name:
        billing = create(
            client,
            ACCOUNTS,
            {
                "name": account_name,
                "currency": "EUR",
                "relatedParty": [
                    {
                        "id": customer["id"],
                        "name": name,
                        "role": "owner",
                        "@referredType": "Customer",
                    }
                ],
            },
        )
        response = client.patch(
            f"{CUSTOMERS}/{customer['id']}",
            json={"account": [{"id": billing["id"], "name": account_name}]},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert response.status_code == 200, response.text
        customer = response.json()
    return customer


@pytest.fixture
def csr(client: TestClient, platform: bootstrap.Platform) -> TestClient:
    """The API client (admin key, to build data) signed in to the console as a CSR."""
    return sign_in(client, staff_user(platform, "csr"))


def names_in(html: str) -> list[str]:
    rows = html.split('<table class="list" id="customers">', 1)
    if len(rows) == 1:
        return []
    return [
        part.split(">", 1)[1].split("<", 1)[0] for part in rows[1].split('<a href="/customers/')[1:]
    ]


# -- search ------------------------------------------------------------------------------------


def test_search_finds_a_customer_by_each_key(csr: TestClient) -> None:
    ada = add_customer(
        csr,
        "Ada Lovelace",
        email="Ada.Lovelace@Example.com",
        phone="+31 6 12345678",
        account_name="Analytical Engines Ltd",
    )
    add_customer(csr, "Grace Hopper", email="grace@example.com", phone="+442079460018")
    add_customer(csr, "Édith Piaf")
    account_id = ada["account"][0]["id"]
    cases = {
        "ada": ["Ada Lovelace"],  # first name, any case
        "LOVEL": ["Ada Lovelace"],  # family name prefix
        "ada lov": ["Ada Lovelace"],
        "EDITH": ["Édith Piaf"],  # accents and case folded
        "Ada.Lovelace@example.com": ["Ada Lovelace"],  # e-mail, domain case normalised
        "+31612345678": ["Ada Lovelace"],  # phone, E.164
        "+31 6 1234 5678": ["Ada Lovelace"],  # phone as typed
        "442079460018": ["Grace Hopper"],  # phone without its +
        ada["id"]: ["Ada Lovelace"],  # customer id
        account_id: ["Ada Lovelace"],  # billing account id
        "Analytical Engines Ltd": ["Ada Lovelace"],  # billing account name
        "nobody": [],
        "lace": [],  # names match from the start of a word, not inside one
    }
    for text, expected in cases.items():
        page = csr.get("/customers", params={"q": text})
        assert page.status_code == 200, page.text
        assert names_in(page.text) == expected, text


def test_empty_query_pages_through_the_latest_customers(csr: TestClient) -> None:
    for number in range(25):
        add_customer(csr, f"Customer {number:02d}")
    first = csr.get("/customers")
    assert names_in(first.text) == [f"Customer {n:02d}" for n in range(24, 4, -1)]
    assert "1\u201320 of 25" in first.text
    second = csr.get("/customers", params={"offset": 20, "limit": 20})
    assert names_in(second.text) == [f"Customer {n:02d}" for n in range(4, -1, -1)]
    assert "Next" not in second.text
    searched = csr.get("/customers", params={"q": "customer 1", "limit": 20})
    assert len(names_in(searched.text)) == 10
    # The pager keeps the query (encoded) on its links.
    spaced = csr.get("/customers", params={"q": "customer 0", "limit": 100}).text
    assert len(names_in(spaced)) == 10
    assert 'limit=20&amp;q=customer">Next' in csr.get("/customers?q=customer").text


def test_search_function_counts_and_pages(platform: bootstrap.Platform, csr: TestClient) -> None:
    for number in range(5):
        add_customer(csr, f"Smith {number}")
    with platform.database.unit_of_work(write=False) as session:
        page = party.search_customers(session, text="smith", offset=2, limit=2)
    assert page.total == 5
    assert [hit.name for hit in page.hits] == ["Smith 2", "Smith 1"]


def test_a_renamed_customer_is_found_by_its_new_name(csr: TestClient) -> None:
    customer = add_customer(csr, "Mary Shelley")
    response = csr.patch(
        f"{CUSTOMERS}/{customer['id']}",
        json={"name": "Mary Wollstonecraft"},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    assert names_in(csr.get("/customers", params={"q": "wollstone"}).text) == [
        "Mary Wollstonecraft"
    ]
    assert names_in(csr.get("/customers", params={"q": "shelley"}).text) == []


# -- the customer 360 ------------------------------------------------------------------------


@pytest.fixture
def world(client: TestClient, platform: bootstrap.Platform) -> dict[str, Any]:
    """Ada with an active fibre (ordered), a suspended old line, an overdue bill partly paid
    and a ticket."""
    built = ordering_world.build(client)
    order = ordering_world.place(
        client,
        platform,
        ordering_world.order_body(built, ordering_world.add_item(built, downloadSpeed="300")),
    )
    assert order["state"] == "completed", order
    now = platform.clock.now()
    with platform.database.unit_of_work() as session:
        old_line = reporting_world.add_product(
            session,
            account=built.account_id,
            offering=built.offering_id,
            start=now - timedelta(days=400),
            prices=[],
            name="Old copper line",
        )
        product_inventory.update_product(
            session, product_id=old_line, changes={"status": "suspended"}, now=now
        )
    bill_id = payment_world.issue_bill(
        platform, built.account_id, "INV-0001", due=now - timedelta(days=40), amount=5000
    )
    paid = payment_world.pay(client, built.account_id, 10)
    assert paid.status_code == 201, paid.text
    add_usage(platform, built.account_id, now - timedelta(days=2), 2_500_000, 600)
    add_usage(platform, built.account_id, now - timedelta(days=2, hours=1), 500_000, 0)
    add_usage(platform, built.account_id, now - timedelta(days=1), 1_000_000, 120)
    add_usage(platform, built.account_id, now - timedelta(days=45), 9_000_000, 60)  # too old
    add_usage(platform, "someone-else", now - timedelta(days=1), 7_000_000, 60)
    ticket = tickets_world.open_ticket(
        client,
        relatedParty=[{"id": built.customer_id, "@referredType": "Customer", "role": "customer"}],
    )
    return {
        "customer": built.customer_id,
        "account": built.account_id,
        "order": order["id"],
        "old_line": old_line,
        "bill": bill_id,
        "ticket": ticket["id"],
    }


def add_usage(
    platform: bootstrap.Platform, account_id: str, at: datetime, volume: int, seconds: int
) -> None:
    """A rated data record of the account, as ingestion and guiding leave it."""
    with platform.database.unit_of_work() as session:
        session.execute(
            insert(UsageRecord).values(
                id=str(uuid.uuid4()),
                body={},
                created_at=at,
                updated_at=at,
                record_key=str(uuid.uuid4()),
                kind="data",
                subscriber="ada@isp",
                started_at=at,
                duration_seconds=seconds,
                bytes_up=volume // 5,
                bytes_down=volume - volume // 5,
                source="api",
                status="rated",
                billing_account_id=account_id,
            )
        )


def section(html: str, name: str) -> str:
    """The HTML of the 360's ``<section id=name>``."""
    start = html.index(f'id="{name}"')
    return html[start : html.index("</section>", start)]


def test_the_360_shows_products_orders_bills_payments_balance_and_tickets(
    csr: TestClient, world: dict[str, Any]
) -> None:
    page = csr.get(f"/customers/{world['customer']}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "<h1>Ada Lovelace</h1>" in html
    products = section(html, "products")
    assert "Old copper line" in products
    assert 'class="badge active"' in products
    assert 'class="badge suspended"' in products
    customer = world["customer"]
    assert f'action="/customers/{customer}/products/{world["old_line"]}/resume"' in products
    assert products.count("/suspend") == 1  # the active fibre, not the suspended line
    assert 'name="csrf_token"' in products
    assert f'href="/orders/{world["order"]}"' in section(html, "orders")
    bills = section(html, "bills")
    assert f'href="/billing/bills/{world["bill"]}/document"' in bills
    assert "INV-0001" in bills
    assert f'href="/customers/{customer}/bills/{world["bill"]}/adjust"' in bills
    accounts = section(html, "accounts")
    assert "\u20ac40.00" in accounts  # €50 billed, €10 paid
    payments = section(html, "payments")
    assert "\u20ac10.00" in payments
    assert f'href="/tickets/{world["ticket"]}"' in section(html, "tickets")
    for action in ("orders/new", "payments/new", "tickets/new"):
        assert f'href="/customers/{customer}/{action}"' in html


def test_the_360_shows_the_aging_of_what_is_due(csr: TestClient, world: dict[str, Any]) -> None:
    accounts = section(csr.get(f"/customers/{world['customer']}").text, "accounts")
    cells = [cell.split("<", 1)[0] for cell in accounts.split('<td class="num">')[1:]]
    # current, 0-30, 31-60, 61-90, 90+: the bill fell due 40 days ago, €40 still open.
    assert cells == ["\u20ac0.00", "\u20ac0.00", "\u20ac40.00", "\u20ac0.00", "\u20ac0.00"]


def test_a_readonly_user_reads_the_360_without_action_buttons(
    app_client: TestClient, platform: bootstrap.Platform, world: dict[str, Any]
) -> None:
    app_client.headers.pop("Authorization", None)
    sign_in(app_client, staff_user(platform, "readonly"))
    html = app_client.get(f"/customers/{world['customer']}").text
    assert "<h1>Ada Lovelace</h1>" in html
    assert "/suspend" not in html
    assert "/resume" not in html
    assert "/orders/new" not in html
    assert app_client.get("/customers", params={"q": "ada"}).status_code == 200


def test_an_unknown_customer_is_a_404_page(csr: TestClient) -> None:
    page = csr.get("/customers/no-such-customer")
    assert page.status_code == 404
    assert "<h1>" in page.text


def test_a_subscriber_may_not_open_staff_pages(
    app_client: TestClient, platform: bootstrap.Platform, world: dict[str, Any]
) -> None:
    sign_in(app_client, customer_login(platform, world["customer"], "ada"))
    assert app_client.get("/customers").status_code == 403
    assert app_client.get(f"/customers/{world['customer']}").status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(app_client: TestClient) -> None:
    for url in ("/customers?q=ada", "/customers/some-id"):
        response = app_client.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/customers")


# -- security ------------------------------------------------------------------------------------


def test_a_hostile_name_is_shown_escaped_on_the_list_and_the_360(csr: TestClient) -> None:
    hostile = add_customer(csr, HOSTILE, email="mallory@example.com")
    for url, params in (
        ("/customers", {}),
        ("/customers", {"q": "<script"}),
        ("/customers", {"q": "mallory@example.com"}),
        (f"/customers/{hostile['id']}", {}),
    ):
        html = csr.get(url, params=params).text
        assert ESCAPED in html, url
        assert HOSTILE not in html, url


def test_the_360_charts_the_usage_of_the_last_30_days_by_day(
    csr: TestClient, platform: bootstrap.Platform, world: dict[str, Any]
) -> None:
    usage = section(csr.get(f"/customers/{world['customer']}").text, "usage")
    now = platform.clock.now()
    days = [(now - timedelta(days=n)).date().isoformat() for n in (2, 1)]
    assert 'id="usage-chart"' in usage
    # Two days (the 45-day-old record and another account's left out): 3 MB and 10 minutes,
    # then 1 MB and 2 minutes.
    assert f'"labels":["{days[0]}","{days[1]}"]' in usage
    assert '"data":[3.0,1.0]' in usage
    assert '"data":[10.0,2.0]' in usage


# -- in a browser --------------------------------------------------------------------------------


def test_a_csr_finds_a_customer_and_opens_the_360_in_a_browser(
    platform: bootstrap.Platform, world: dict[str, Any], page: Any
) -> None:
    staff_user(platform, "csr", "carol")
    page.goto("/login?next=/customers")
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/customers")
    page.fill("input[name=q]", "LOVELACE")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/customers?q=LOVELACE")
    page.click("#customers >> text=Ada Lovelace")
    page.wait_for_url(f"**/customers/{world['customer']}")
    expect(page.locator("h1")).to_have_text("Ada Lovelace")
    expect(page.locator("#products")).to_contain_text("Old copper line")
    expect(page.locator("#products button", has_text="Resume")).to_be_visible()
    # Chart.js drew the usage chart (console.js replaces the data attribute's promise).
    page.wait_for_function(
        "() => { const c = document.getElementById('usage-chart'); return c && c.width > 0 }"
    )
    save_screenshot(page, "customer-360")
