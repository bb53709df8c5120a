"""Benchmark: every console page's server time over a dataset of N customers (issue 7's
target: with 100k customers each page's median ≤ 300 ms, customer search ≤ 100 ms).

    .venv/bin/python bench/console_pages.py                                # 10,000 customers
    .venv/bin/python bench/console_pages.py --customers 100000 --reuse     # the issue's figure
    scripts/with-postgres.sh sh -c \
        '.venv/bin/python bench/console_pages.py --database-url "$OSSBSS_TEST_DATABASE_URL"'

The dataset: the demo operator (ossbss.demo.load: catalog, N customers with billing accounts,
network, its first orders), then in bulk (straight into the tables, as bench/reporting.py
does): a product and its completed order per account (2% of orders still in flight, 5% of
products suspended), last month's bill run with a bill per account, this month's bills for
half of them, alarms on the network's objects and trouble tickets through TMF621. ``--reuse``
keeps var/bench/console-<N>.db between runs (building 100k takes minutes).

The pages are fetched in-process (a TestClient over the ASGI app: no network, one client),
signed in through the login form; each page once to warm up, then ``--runs`` times. Server
time = the in-process request time. The reference, measured in the same run, is /login (the
same stack and base.html, no query): ratios survive this shared, noisy machine. A page whose
route does not exist yet is reported as missing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select
from starlette.routing import Match

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench"
PASSWORD = "bench console password"
CHUNK = 5_000
PAGE_TARGET_MS = 300.0
SEARCH_TARGET_MS = 100.0
SLOW_MS = 3_000.0  # a page this slow on warm-up gets 2 timed runs, not --runs
console = Console(width=150)


# -- the dataset --------------------------------------------------------------------------------


DEMO_CUSTOMERS = 2_000  # through demo.load (its orders need some); the rest in big batches
BATCH = 2_000


def build(database_url: str, customers: int) -> None:
    """The demo operator (catalog, network, its first customers and orders), then the other
    customers from the demo's own generator through the rooms' doors (tmf.import_resources:
    the same rules) in batches of 2,000 instead of the demo's 250."""
    from ossbss import bootstrap, demo
    from ossbss.kernel import Settings
    from ossbss.kernel.db import Base

    platform = bootstrap.build(Settings(database_url=database_url))
    # The models' schema, as the tests build it (a branch's new columns and indexes come
    # before the migration the lead writes at merge).
    Base.metadata.create_all(platform.database.engine)
    started = time.perf_counter()
    demo.load(platform, customers=min(customers, DEMO_CUSTOMERS), console=console)
    console.print(f"demo.load: {time.perf_counter() - started:.1f} s")


def more_customers(platform: Any, customers: int) -> None:
    from ossbss import demo
    from ossbss.account.models import BillingCycleSpecification
    from ossbss.demo.loader import load_customers
    from ossbss.kernel import DomainError
    from ossbss.party.models import Customer

    started = time.perf_counter()
    with platform.database.unit_of_work(write=False) as session:
        loaded = session.scalar(select(func.count()).select_from(Customer)) or 0
        cycles = {
            str(name): str(cycle_id)
            for name, cycle_id in session.execute(
                select(BillingCycleSpecification.name, BillingCycleSpecification.id)
            )
        }
    ids = {
        entry.key: cycles[entry.payload["name"]]
        for entry in demo.catalog_data()
        if entry.kind == "billingCycleSpecification"
    }
    # resumable: the generator is deterministic, so the first ``loaded`` are in already
    people = demo.customer_payloads(customers)[loaded:]
    skipped = 0
    for start in range(0, len(people), BATCH):
        batch = people[start : start + BATCH]
        try:
            with platform.database.unit_of_work() as session:
                load_customers(session, batch, ids, platform.clock.now())
        except DomainError:
            # the demo's generator makes the odd payload a room refuses: load one by one
            for person in batch:
                try:
                    with platform.database.unit_of_work() as session:
                        load_customers(session, [person], ids, platform.clock.now())
                except DomainError:
                    skipped += 1
        done = loaded + start + len(batch)
        console.print(f"  customers: {done} ({time.perf_counter() - started:.0f} s)")
    console.print(f"  {skipped} generated customers refused by the rooms, left out")


def complete(database_url: str, customers: int) -> None:
    """The customers still missing, then the bulk rows, each step once (a re-run with
    --reuse finishes an interrupted build)."""
    from ossbss import bootstrap, product_inventory
    from ossbss.assurance.tickets.models import TroubleTicket
    from ossbss.billing.models import BillRun
    from ossbss.kernel import Settings

    platform = bootstrap.build(Settings(database_url=database_url))
    more_customers(platform, customers)
    started = time.perf_counter()
    with platform.database.unit_of_work(write=False) as session:
        runs = session.scalar(select(func.count()).select_from(BillRun)) or 0
        tickets_made = session.scalar(select(func.count()).select_from(TroubleTicket)) or 0
    if not runs:
        bulk(platform)
    if not tickets_made:
        tickets(platform)
    with platform.database.unit_of_work() as session:
        # the bulk products' charge timeline, as a migration seeds it
        seeded = product_inventory.seed_charge_periods(session, now=platform.clock.now())
    console.print(f"  charge periods seeded: {seeded}")
    indexes(platform)
    seconds = time.perf_counter() - started
    console.print(f"bulk products, orders, bills, alarms, tickets: {seconds:.1f} s")


def indexes(platform: Any) -> None:
    """The models' indexes missing from a database built before they were declared (the
    migration that adds them comes when the branch is merged)."""
    from ossbss.kernel.db import Base

    with platform.database.engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            for index in table.indexes:
                index.create(connection, checkfirst=True)


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def month_start(at: datetime, back: int = 0) -> datetime:
    """The first instant of ``at``'s month, or of the month ``back`` months before."""
    start = datetime(at.year, at.month, 1, tzinfo=UTC)
    for _ in range(back):
        start = month_start(start - timedelta(days=1))
    return start


def bulk(platform: Any) -> None:
    from ossbss.assurance.models import Alarm
    from ossbss.billing.models import Bill, BillLine, BillRun
    from ossbss.catalog.models import ProductOffering
    from ossbss.inventory.models import InventoryResource
    from ossbss.ordering.models import ProductOrder
    from ossbss.party.models import Customer
    from ossbss.product_inventory.models import Product

    rng = random.Random(7)
    now = platform.clock.now()
    this_month, last_month = month_start(now), month_start(now, 1)
    with platform.database.unit_of_work() as session:
        accounts = [
            (customer_id, body["account"][0]["id"])
            for customer_id, body in session.execute(select(Customer.id, Customer.body))
            if body.get("account")
        ]
        owned = set(session.scalars(select(Product.billing_account_id)))
        offerings = [
            (offering_id, name, price)
            for offering_id, name, price in (
                (row[0], row[1].get("name"), PRICES.get(row[1].get("name", "")))
                for row in session.execute(select(ProductOffering.id, ProductOffering.body))
            )
            if price is not None
        ]
        objects = list(
            session.scalars(
                select(InventoryResource.id).where(
                    InventoryResource.resource_type.in_(("Device", "Port", "Link"))
                )
            )
        )
    run_id = str(uuid.uuid4())
    products: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    bills: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    in_flight = ("acknowledged", "inProgress", "held", "pending")
    for number, (customer_id, account_id) in enumerate(accounts):
        if account_id in owned:
            continue
        offering_id, name, price = offerings[number % len(offerings)]
        product_id, order_id = str(uuid.uuid4()), str(uuid.uuid4())
        started = last_month - timedelta(days=30 + number % 300)
        status = "suspended" if number % 20 == 0 else "active"
        state = in_flight[number % 4] if number % 50 == 1 else "completed"
        party = [{"id": customer_id, "role": "customer", "@referredType": "Customer"}]
        products.append(
            {
                "id": product_id,
                "status": status,
                "name": name,
                "offering_id": offering_id,
                "billing_account_id": account_id,
                "created_at": started,
                "updated_at": started,
                "body": {
                    "name": name,
                    "status": status,
                    "isCustomerVisible": True,
                    "productOffering": {"id": offering_id, "name": name},
                    "billingAccount": {"id": account_id, "@referredType": "BillingAccount"},
                    "productOrderItem": [
                        {"productOrderId": order_id, "orderItemId": "1", "orderItemAction": "add"}
                    ],
                    "productPrice": [
                        {
                            "name": f"{name} monthly fee",
                            "priceType": "recurring",
                            "recurringChargePeriod": "month",
                            "price": {"dutyFreeAmount": {"unit": "EUR", "value": price}},
                        }
                    ],
                    "relatedParty": party,
                    "startDate": started.isoformat().replace("+00:00", "Z"),
                },
            }
        )
        orders.append(
            {
                "id": order_id,
                "state": state,
                "created_at": started,
                "updated_at": started,
                "body": {
                    "state": state,
                    "orderDate": started.isoformat().replace("+00:00", "Z"),
                    "relatedParty": party,
                    "billingAccount": {"id": account_id},
                    "productOrderItem": [
                        {
                            "id": "1",
                            "action": "add",
                            "state": state,
                            "productOffering": {"id": offering_id, "name": name},
                            "product": {"id": product_id},
                        }
                    ],
                },
            }
        )
        monthly = round(price * 100)
        for period_start, bill_date, run in (
            (last_month, last_month + timedelta(days=1, hours=6), run_id),
            (this_month, this_month + timedelta(hours=6), None),
        ):
            if run is None and (number % 2 or bill_date > now):
                continue
            bill_id = str(uuid.uuid4())
            usage = 100 + rng.randrange(2_000)
            excl = monthly + usage
            tax = excl * 19 // 100
            paid = run is not None and number % 5 != 0
            bills.append(
                {
                    "id": bill_id,
                    "bill_no": f"B{bill_date:%Y%m}-{number:07d}",
                    "kind": "regular",
                    "billing_account_id": account_id,
                    "bill_run_id": run,
                    "state": "settled" if paid else "sent",
                    "currency": "EUR",
                    "period_start": period_start,
                    "period_end": month_start(period_start + timedelta(days=32)),
                    "bill_date": bill_date,
                    "payment_due_date": bill_date + timedelta(days=14),
                    "amount_excl_tax_minor": excl,
                    "tax_minor": tax,
                    "amount_incl_tax_minor": excl + tax,
                    "remaining_minor": 0 if paid else excl + tax,
                    "created_at": bill_date,
                    "issued_at": bill_date,
                    "updated_at": bill_date,
                }
            )
            for line_no, (kind, amount) in enumerate((("recurring", monthly), ("usage", usage)), 1):
                lines.append(
                    {
                        "id": f"{bill_id}-{line_no}",
                        "bill_id": bill_id,
                        "line_no": line_no,
                        "product_id": product_id,
                        "product_name": name,
                        "offering_id": offering_id,
                        "type": kind,
                        "description": kind,
                        "period_start": period_start,
                        "period_end": month_start(period_start + timedelta(days=32)),
                        "amount_minor": amount,
                        "tax_rate": "19",
                        "tax_minor": amount * 19 // 100,
                    }
                )
    alarms = []
    for number in range(max(200, len(accounts) // 30)):
        raised = now - timedelta(minutes=7 * number)
        open_ = number % 10 == 0
        alarms.append(
            {
                "id": str(uuid.uuid4()),
                "reduction_key": f"linkDown:bench-{number}",
                "source": "snmp",
                "state": "raised" if open_ else "cleared",
                "alarm_type": "communicationsAlarm",
                "probable_cause": "linkDown",
                "perceived_severity": ("critical", "major", "minor", "warning")[number % 4],
                "alarmed_object_id": objects[number % len(objects)] if objects else None,
                "alarmed_object_type": "Device",
                "raised_at": raised,
                "last_occurred_at": raised,
                "changed_at": raised,
                "cleared_at": None if open_ else raised + timedelta(minutes=5),
                "is_root_cause": True,
            }
        )
    run = {
        "id": run_id,
        "cycle_id": "bench-monthly",
        "period_start": last_month,
        "period_end": this_month,
        "state": "issued",
        "accounts_total": len(accounts),
        "accounts_done": len(accounts),
        "accounts_failed": 0,
        "summary": None,
        "created_at": last_month + timedelta(days=1),
        "updated_at": last_month + timedelta(days=1, hours=6),
        "issued_at": last_month + timedelta(days=1, hours=6),
    }
    with platform.database.unit_of_work() as session:
        session.execute(insert(BillRun), [run])
        for model, rows in (
            (Product, products),
            (ProductOrder, orders),
            (Bill, bills),
            (BillLine, lines),
            (Alarm, alarms),
        ):
            for chunk in _chunks(rows):
                session.execute(insert(model), chunk)
            console.print(f"  {model.__tablename__}: {len(rows)} rows")


# Monthly prices of the demo's recurring offerings (EUR, tax excluded).
PRICES = {
    "Fibre 300": 29.99,
    "Fibre 1000": 49.99,
    "Mobile S": 9.99,
    "Mobile M": 19.99,
    "Mobile Unlimited": 34.99,
}


def tickets(platform: Any, count: int = 300) -> None:
    """Trouble tickets through TMF621 (their SLA clocks set by the room's own rules)."""
    from ossbss.assurance.tickets.service import create_ticket
    from ossbss.party.models import Customer

    with platform.database.unit_of_work() as session:
        customers = list(session.scalars(select(Customer.id).limit(count)))
        now = platform.clock.now()
        for number, customer_id in enumerate(customers):
            create_ticket(
                session,
                payload={
                    "name": f"Bench ticket {number}",
                    "description": "No internet since this morning",
                    "severity": ("critical", "major", "minor")[number % 3],
                    "ticketType": "troubleTicket",
                    "relatedParty": [
                        {"id": customer_id, "@referredType": "Customer", "role": "customer"}
                    ],
                },
                now=now - timedelta(minutes=number),
            )
    console.print(f"  trouble tickets: {len(customers)}")


# -- the pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    search: bool = False  # the 100 ms target


@dataclass
class Timing:
    page: Page
    status: int
    samples: list[float]
    first: float  # the warm-up request: a cold page (compiled template, empty caches)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def pages(platform: Any) -> tuple[list[Page], str]:
    """The URL templates filled from the dataset; and a subscriber to sign in as for /my."""
    from ossbss.assurance.models import Alarm
    from ossbss.assurance.tickets.models import TroubleTicket
    from ossbss.billing.models import Bill, BillRun
    from ossbss.catalog.models import ProductOffering
    from ossbss.inventory.models import InventoryResource
    from ossbss.ordering.models import ProductOrder
    from ossbss.party.models import Customer, Individual

    with platform.database.unit_of_work(write=False) as session:
        total = session.scalar(select(func.count()).select_from(Customer)) or 0
        # a person two thirds down the table (a business has no personal e-mail to search)
        person: dict[str, Any] | None = None
        rows = select(Customer.id, Customer.body).order_by(Customer.pk).offset(total * 2 // 3)
        for customer_id, body in session.execute(rows):  # noqa: B007 (the one found, below)
            party_id = body["engagedParty"]["id"]
            person = session.scalar(select(Individual.body).where(Individual.id == party_id))
            if person is not None and body.get("account"):
                break
        account_id = body["account"][0]["id"]
        media = {
            m.get("mediumType"): m.get("characteristic", {})
            for m in (person or {}).get("contactMedium", [])
        }
        email = media.get("email", {}).get("emailAddress", "")
        phone = next(
            (c.get("phoneNumber", "") for kind, c in media.items() if kind and kind != "email"), ""
        )
        bill_id = session.scalar(
            select(Bill.id)
            .where(Bill.billing_account_id == account_id, Bill.issued_at.is_not(None))
            .limit(1)
        )
        run_id = session.scalar(select(BillRun.id).limit(1))
        order_id = session.scalar(select(ProductOrder.id).order_by(ProductOrder.pk.desc()).limit(1))
        offering_id = session.scalar(select(ProductOffering.id).limit(1))
        device_id = session.scalar(
            select(InventoryResource.id).where(InventoryResource.resource_type == "Device").limit(1)
        )
        alarm_id = session.scalar(select(Alarm.id).where(Alarm.state != "cleared").limit(1))
        ticket_id = session.scalar(select(TroubleTicket.id).limit(1))
    name = str(body.get("name", ""))
    staff = [
        Page("dashboard", "/dashboard"),
        Page("customers", "/customers"),
        Page("search: name", f"/customers?q={name.split()[-1]}", search=True),
        Page("search: e-mail", f"/customers?q={email}", search=True),
        Page("search: phone", f"/customers?q={phone.replace('+', '%2B')}", search=True),
        Page("search: account", f"/customers?q={account_id}", search=True),
        Page("customer 360", f"/customers/{customer_id}"),
        Page("new customer", "/customers/new"),
        Page("new order", f"/customers/{customer_id}/orders/new"),
        Page("catalog", "/catalog"),
        Page("offering", f"/catalog/offerings/{offering_id}"),
        Page("orders", "/orders"),
        Page("orders in progress", "/orders?state=inProgress"),
        Page("order", f"/orders/{order_id}"),
        Page("noc", "/noc"),
        Page("alarm", f"/noc/alarms/{alarm_id}"),
        Page("topology", "/noc/topology"),
        Page("device", f"/noc/devices/{device_id}"),
        Page("tickets", "/tickets"),
        Page("ticket", f"/tickets/{ticket_id}"),
        Page("billing", "/billing"),
        Page("bill run", f"/billing/runs/{run_id}"),
        Page("bills", "/billing/bills"),
        Page("bill", f"/billing/bills/{bill_id}"),
        Page("dunning", "/billing/dunning"),
        Page("reports", "/reports"),
    ]
    mine = [
        Page("my", "/my"),
        Page("my bills", "/my/bills"),
        Page("my bill", f"/my/bills/{bill_id}"),
        Page("my plan", "/my/plan"),
        Page("my tickets", "/my/tickets"),
    ]
    return staff + mine, customer_id


def users(platform: Any, customer_id: str) -> tuple[str, str]:
    from ossbss import iam

    # The subscriber's name carries its customer: a reused dataset may pick another one.
    staff, subscriber = "bench-console-admin", f"bench-subscriber-{customer_id}"
    with platform.database.unit_of_work() as session:
        now = platform.clock.now()
        for username, role, party in (
            (staff, "admin", None),
            (subscriber, iam.CUSTOMER, customer_id),
        ):
            if iam.principal_of(session, username=username) is None:
                iam.create_user(
                    session,
                    username=username,
                    role=role,
                    now=now,
                    password=PASSWORD,
                    party_id=party,
                )
            else:
                iam.set_password(session, username=username, password=PASSWORD)
    return staff, subscriber


def sign_in(client: TestClient, username: str, login: str) -> None:
    import re

    page = client.get(login)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert token, "no CSRF token on the login page"
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:500]


def exists(app: Any, path: str) -> bool:
    scope = {"type": "http", "path": path.split("?")[0], "method": "GET", "root_path": ""}
    return any(route.matches(scope)[0] == Match.FULL for route in app.routes)


def timed(client: TestClient, page: Page, runs: int) -> Timing:
    def once() -> tuple[int, float]:
        started = time.perf_counter()
        answer = client.get(page.url, follow_redirects=False)
        return answer.status_code, (time.perf_counter() - started) * 1000

    status, first = once()  # warm-up (template compiled, caches filled)
    count = runs if first < SLOW_MS else 2
    samples = [once()[1] for _ in range(count)]
    return Timing(page, status, samples, first)


def measure(database_url: str, runs: int) -> tuple[Timing, list[Timing | Page]]:
    from ossbss import bootstrap
    from ossbss.app import create_app
    from ossbss.kernel import Settings

    platform = bootstrap.build(Settings(database_url=database_url))
    app = create_app(platform=platform, run_dispatcher=False)
    listed, customer_id = pages(platform)
    staff, subscriber = users(platform, customer_id)
    results: list[Timing | Page] = []
    with TestClient(app) as anonymous:
        reference = timed(anonymous, Page("reference: /login", "/login"), runs * 2)
    with TestClient(app) as staff_client, TestClient(app) as subscriber_client:
        sign_in(staff_client, staff, "/login")
        sign_in(subscriber_client, subscriber, "/my/login")
        for page in listed:
            if not exists(app, page.url):
                results.append(page)
                continue
            client = subscriber_client if page.url.startswith("/my") else staff_client
            timing = timed(client, page, runs)
            # a 404: the page's own route has not landed (another route's pattern answered)
            results.append(page if timing.status == 404 else timing)
            line = f"  {page.name}: {timing.status}, {timing.median:.1f} ms"
            console.print(line, highlight=False)
    return reference, results


def report(reference: Timing, results: list[Timing | Page]) -> bool:
    table = Table(title=f"console pages (reference /login: median {reference.median:.1f} ms)")
    columns = ("page", "URL", "status", "first ms", "median ms", "p95 ms", "x ref", "target")
    for column in (*columns, "verdict"):
        table.add_column(column, justify="right" if "ms" in column or "x ref" in column else "left")
    passed = True
    for result in results:
        if isinstance(result, Page):
            table.add_row(result.name, result.url[:60], "", "", "", "", "", "", "missing")
            continue
        target = SEARCH_TARGET_MS if result.page.search else PAGE_TARGET_MS
        ok = result.status == 200 and result.median <= target
        passed &= ok
        table.add_row(
            result.page.name,
            result.page.url[:60],
            str(result.status),
            f"{result.first:.1f}",
            f"{result.median:.1f}",
            f"{result.p95:.1f}",
            f"{result.median / reference.median:.1f}",
            f"≤ {target:.0f}",
            "PASS" if ok else "FAIL",
        )
    console.print(table)
    console.print("\nfor docs/benchmarks.md:\n")
    console.print(
        "| page | first ms | median ms | p95 ms | x /login | target | verdict |", highlight=False
    )
    console.print("|---|---|---|---|---|---|---|", highlight=False)
    for result in results:
        if isinstance(result, Page):
            console.print(f"| {result.name} | | | | | | missing |", highlight=False)
            continue
        target = SEARCH_TARGET_MS if result.page.search else PAGE_TARGET_MS
        verdict = "PASS" if result.status == 200 and result.median <= target else "FAIL"
        console.print(
            f"| {result.page.name} | {result.first:.0f} | {result.median:.0f} | {result.p95:.0f} | "
            f"{result.median / reference.median:.1f} | ≤ {target:.0f} | {verdict} |",
            highlight=False,
        )
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7, help="timed requests per page")
    parser.add_argument("--reuse", action="store_true", help="keep (and reuse) the built database")
    parser.add_argument("--database-url", help="default: var/bench/console-<customers>.db")
    args = parser.parse_args()
    path = WORK / f"console-{args.customers}.db"
    url = args.database_url or f"sqlite:///{path}"
    if args.database_url is None and path.exists() and not args.reuse:
        path.unlink()
    if args.database_url is None and path.exists():
        console.print(f"reusing {path}")
    else:
        WORK.mkdir(parents=True, exist_ok=True)
        build(url, args.customers)
    complete(url, args.customers)
    reference, results = measure(url, args.runs)
    sys.exit(0 if report(reference, results) else 1)


if __name__ == "__main__":
    main()
