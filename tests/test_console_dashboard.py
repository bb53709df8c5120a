"""The staff dashboard: each figure shows the right number, for every staff role; and the
rooms' cheap figures behind it agree with the full reports."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

import ordering_world
import reporting_world
import tickets_world
from console_helpers import customer_login, sign_in, staff_user
from ossbss import assurance, billing, ordering, product_inventory, reporting
from ossbss.app import create_app
from ossbss.assurance.models import Alarm
from ossbss.bootstrap import Platform
from ossbss.kernel import FixedClock
from ossbss.kernel.time import Period
from tmf_cases import create

START = datetime(2025, 11, 1, tzinfo=UTC)  # the fixture clock is on 2026-01-15
DECEMBER = Period(datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
def browser(platform: Platform) -> Iterator[TestClient]:
    """A second client for the console (the ``client`` fixture carries the API's admin key)."""
    with TestClient(create_app(platform=platform, run_dispatcher=False)) as web:
        yield web


def second_account(client: TestClient, world: ordering_world.World) -> str:
    body = {
        "name": "Second account",
        "currency": "EUR",
        "relatedParty": [
            {"id": world.customer_id, "role": "owner", "@referredType": "Customer", "name": "Ada"}
        ],
    }
    return str(create(client, "/tmf-api/accountManagement/v4/billingAccount", body)["id"])


def add_products(platform: Platform, client: TestClient, world: ordering_world.World) -> None:
    """The world's account: two active products (one weekly), one suspended, one pending
    termination (still earning), one terminated; a second account: one active product."""
    a, b, o = world.account_id, second_account(client, world), world.offering_id
    monthly, weekly = reporting_world.recurring(30), reporting_world.recurring(7, "week")
    with platform.database.unit_of_work() as session:
        for account, name, prices, status in (
            (a, "Fibre 300", [monthly], "active"),
            (a, "TV", [weekly], "active"),
            (b, "Fibre 300", [monthly], "active"),
            (a, "Fibre 300", [monthly], "suspended"),
            (a, "Fibre 300", [reporting_world.recurring(10)], "pendingTerminate"),
        ):
            product_id = reporting_world.add_product(
                session, account=account, offering=o, start=START, prices=prices, name=name
            )
            if status != "active":
                product_inventory.update_product(
                    session,
                    product_id=product_id,
                    changes={"status": status},
                    now=START + timedelta(days=1),
                )
        ended = reporting_world.add_product(
            session, account=a, offering=o, start=START, prices=[monthly]
        )
        reporting_world.terminate(session, product_id=ended, at=START + timedelta(days=5))


def add_bills(platform: Platform) -> None:
    """December: a bill of 100.00 and a credit note of 20.00 → 80.00; January: 50.00 (and a
    draft, which does not count)."""
    with platform.database.unit_of_work() as session:
        december = reporting_world.add_bill(
            session,
            account="acct-a",
            bill_date=datetime(2025, 12, 1, 6, tzinfo=UTC),
            lines=[("recurring", None, "fibre", 10_000)],
        )
        reporting_world.add_bill(
            session,
            account="acct-a",
            bill_date=datetime(2025, 12, 20, tzinfo=UTC),
            lines=[("adjustment", None, None, 2_000)],
            kind="creditNote",
            corrects=december,
        )
        for issued in (True, False):
            reporting_world.add_bill(
                session,
                account="acct-b",
                bill_date=datetime(2026, 1, 2, tzinfo=UTC),
                lines=[("recurring", None, "fibre", 5_000)],
                issued=issued,
            )


def add_alarms(platform: Platform, clock: FixedClock) -> None:
    """Open: two critical, one major; one more critical, cleared."""
    for number, severity in enumerate(("critical", "critical", "major", "critical")):
        tickets_world.add_alarm(
            platform, alarm_id=f"alarm-{number}", at=clock.now(), severity=severity
        )
    with platform.database.unit_of_work() as session:
        session.execute(
            update(Alarm)
            .where(Alarm.id == "alarm-3")
            .values(state="cleared", cleared_at=clock.now())
        )


def add_orders(client: TestClient, platform: Platform, world: ordering_world.World) -> None:
    """Two orders acknowledged and not yet run (in flight), one run to completion (its product
    is active: 30.00 a month on the world's account)."""
    ordering_world.place(
        client, platform, ordering_world.order_body(world, ordering_world.add_item(world))
    )
    for _ in range(2):
        body = ordering_world.order_body(world, ordering_world.add_item(world))
        assert client.post(ordering_world.ORDERS, json=body).status_code == 201


def figure(html: str, attribute: str, value: str) -> str:
    found = re.search(rf'data-{attribute}="{value}">([^<]*)<', html)
    assert found, f"no {attribute} {value} on the page"
    return found.group(1)


def section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start : html.index("</section>", start)]


def test_each_figure_shows_the_right_number(
    platform: Platform, clock: FixedClock, client: TestClient, browser: TestClient
) -> None:
    world = ordering_world.build(client)
    add_products(platform, client, world)
    add_bills(platform)
    add_alarms(platform, clock)
    add_orders(client, platform, world)
    critical = tickets_world.open_ticket(client, severity="critical", name="Fibre down")
    sign_in(browser, staff_user(platform, "csr"))

    page = browser.get("/dashboard")

    assert page.status_code == 200
    html = page.text
    # two billing accounts have an active product
    assert re.search(
        r'id="kpi-subscribers">\s*<h2>Active subscribers</h2>\s*<p class="kpi">2 ', html
    )
    # 30 + 7 a week (30.33 a month) + 30 + 10 pending termination + the ordered product's 30
    assert "€130.33" in section(html, "kpi-mrr")
    assert "5 products earning" in section(html, "kpi-mrr")
    assert figure(html, "state", "acknowledged") == "2"
    assert "completed" not in section(html, "kpi-orders")
    assert figure(html, "severity", "critical") == "2"
    assert figure(html, "severity", "major") == "1"
    assert figure(html, "severity", "minor") == "0"
    revenue = section(html, "revenue")
    assert "December 2025" in revenue
    assert "January 2026" in revenue
    assert re.search(r'class="num last-month">€80.00<', revenue)
    assert re.search(r'class="num this-month">€50.00<', revenue)
    assert '"data":[80.0,50.0]' in revenue  # the chart's bars
    due = section(html, "near-breach")
    assert f'href="/tickets/{critical["id"]}"' in due
    assert "Fibre down" in due


def test_an_empty_platform_shows_zeros(platform: Platform, browser: TestClient) -> None:
    sign_in(browser, staff_user(platform, "noc"))
    html = browser.get("/dashboard").text
    assert re.search(r'<p class="kpi">0 <small>accounts', html)
    assert figure(html, "severity", "critical") == "0"
    assert "No bills issued in these two months." in html
    assert "No SLA clock runs out within 4 hours." in html


def test_readonly_sees_the_dashboard_a_subscriber_and_a_stranger_do_not(
    platform: Platform, browser: TestClient
) -> None:
    add_bills(platform)
    sign_in(browser, staff_user(platform, "readonly"))
    assert re.search(r'class="num this-month">€50.00<', browser.get("/dashboard").text)

    with TestClient(create_app(platform=platform, run_dispatcher=False)) as stranger:
        answer = stranger.get("/dashboard", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=/dashboard"
        sign_in(stranger, customer_login(platform, "cust-1", "subscriber"))
        assert stranger.get("/dashboard", follow_redirects=False).status_code == 403


# -- the rooms' figures behind the page ------------------------------------------------------


def test_current_mrr_agrees_with_the_mrr_report(
    platform: Platform, clock: FixedClock, client: TestClient
) -> None:
    world = ordering_world.build(client)
    add_products(platform, client, world)
    with platform.database.unit_of_work(write=False) as session:
        assert reporting.current_mrr(session) == reporting.mrr(session, at=clock.now())
        groups = product_inventory.earning_price_groups(session)
        assert sorted((g.name, g.products, len(g.recurring)) for g in groups) == [
            ("Fibre 300", 1, 1),
            ("Fibre 300", 2, 1),
            ("TV", 1, 1),
        ]
        assert product_inventory.active_subscribers(session) == 2


def test_billed_revenue_deducts_credit_notes_and_ignores_drafts(platform: Platform) -> None:
    add_bills(platform)
    january = Period(DECEMBER.end, datetime(2026, 2, 1, tzinfo=UTC))
    february = Period(january.end, datetime(2026, 3, 1, tzinfo=UTC))
    with platform.database.unit_of_work(write=False) as session:
        assert billing.billed_revenue(session, months=[DECEMBER, january, february]) == [
            {"EUR": 8_000},
            {"EUR": 5_000},
            {},
        ]
        assert billing.billed_revenue(session, months=[january]) == [{"EUR": 5_000}]


def test_alarm_counts_cover_every_severity_and_skip_cleared(
    platform: Platform, clock: FixedClock
) -> None:
    with platform.database.unit_of_work(write=False) as session:
        assert assurance.alarm_counts(session) == dict.fromkeys(assurance.SEVERITIES, 0)
    add_alarms(platform, clock)
    with platform.database.unit_of_work(write=False) as session:
        counts = assurance.alarm_counts(session)
    assert list(counts) == list(assurance.SEVERITIES)
    assert (counts["critical"], counts["major"], sum(counts.values())) == (2, 1, 3)


def test_orders_in_flight_leave_final_states_out(client: TestClient, platform: Platform) -> None:
    add_orders(client, platform, ordering_world.build(client))
    with platform.database.unit_of_work(write=False) as session:
        assert ordering.orders_in_flight(session) == {"acknowledged": 2}
    assert {"completed", "failed", "cancelled", "rejected", "partial"} == ordering.FINAL_STATES
