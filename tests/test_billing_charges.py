"""Bill charges through the real platform: products ordered, suspended, resumed, upgraded and
terminated through TMF622 while the clock moves; usage rated by the rating run; then
compute_charges for the cycle that ended, line by line, to the cent."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from ordering_world import (
    CATALOG,
    LAUNCHED,
    ORDERS,
    PRODUCTS,
    SERVICES,
    World,
    build,
    order_body,
    place,
    settle,
)
from ossbss import billing, bootstrap, charging, product_inventory, usage
from ossbss.billing import AccountCharges, ChargeFailure
from ossbss.kernel import FixedClock, Period
from ossbss.product_inventory.models import ChargePeriod
from ossbss.tmf import characteristic_values
from test_hub import Listener
from tmf_cases import create

JANUARY = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
FEBRUARY = Period(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
MB = 1024 * 1024


def day(month: int, number: int) -> datetime:
    return datetime(2026, month, number, tzinfo=UTC)


def _price(client: TestClient, **body: Any) -> str:
    return str(create(client, f"{CATALOG}/productOfferingPrice", {**LAUNCHED, **body})["id"])


def _add_prices(client: TestClient, offering_id: str, *price_ids: str) -> None:
    offering = client.get(f"{CATALOG}/productOffering/{offering_id}").json()
    response = client.patch(
        f"{CATALOG}/productOffering/{offering_id}",
        json={
            "productOfferingPrice": [
                *offering["productOfferingPrice"],
                *({"id": price_id} for price_id in price_ids),
            ]
        },
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text


def _fibre_1000(client: TestClient, world: World) -> str:
    """A faster offering on the same specification, at 50 EUR a month."""
    spec_id = client.get(f"{CATALOG}/productOffering/{world.offering_id}").json()[
        "productSpecification"
    ]["id"]
    price = _price(
        client,
        name="Fibre 1000 monthly",
        priceType="recurring",
        recurringChargePeriodType="month",
        price={"unit": "EUR", "value": 50},
    )
    offering = create(
        client,
        f"{CATALOG}/productOffering",
        {
            "name": "Fibre 1000",
            **LAUNCHED,
            "productSpecification": {"id": spec_id},
            "productOfferingPrice": [{"id": price}],
        },
    )
    return str(offering["id"])


@pytest.fixture
def world(client: TestClient) -> World:
    world = build(client)
    installation = _price(
        client, name="Installation", priceType="oneTime", price={"unit": "EUR", "value": 49}
    )
    data = _price(
        client,
        name="Data",
        priceType="usage",
        unitOfMeasure={"amount": 1, "units": "MB"},
        includedQuantity={"amount": 100, "units": "MB"},
        price={"unit": "EUR", "value": 0.01},
    )
    _add_prices(client, world.offering_id, installation, data)
    return world


def _order(
    client: TestClient, platform: bootstrap.Platform, world: World, account_id: str | None = None
) -> str:
    item = {
        "id": "1",
        "action": "add",
        "productOffering": {"id": world.offering_id},
        "product": {"productCharacteristic": [{"name": "downloadSpeed", "value": 300}]},
    }
    body = order_body(world, item)
    if account_id:
        body["billingAccount"] = {"id": account_id}
    order = place(client, platform, body)
    assert order["state"] == "completed", order
    return str(order["productOrderItem"][0]["product"]["id"])


def _change(
    client: TestClient,
    platform: bootstrap.Platform,
    world: World,
    product_id: str,
    action: str = "modify",
    **item: Any,
) -> None:
    product = item.pop("product", {})
    body = order_body(
        world, {"id": "1", "action": action, "product": {"id": product_id, **product}, **item}
    )
    order = place(client, platform, body)
    assert order["state"] == "completed", order


def _username(client: TestClient, product_id: str) -> str:
    product = client.get(f"{PRODUCTS}/{product_id}").json()
    cfs = client.get(f"{SERVICES}/{product['realizingService'][0]['id']}").json()
    rfs_id = next(s["id"] for s in cfs["supportingService"] if s["name"] == "radius-subscriber")
    rfs = client.get(f"{SERVICES}/{rfs_id}").json()
    return characteristic_values(rfs["serviceCharacteristic"])["username"]


def _use_and_rate(
    platform: bootstrap.Platform, username: str, megabytes: int, period: Period
) -> None:
    record = usage.UsageInput(
        record_key=f"{username}-{megabytes}",
        kind="data",
        subscriber=username,
        started_at=period.start.replace(day=16, hour=12),
        bytes_down=megabytes * MB,
        source="radius",
    )
    with platform.database.unit_of_work() as session:
        assert usage.ingest(session, records=[record], now=platform.clock.now()).accepted == 1
    with platform.database.unit_of_work() as session:
        charging.rate_period(session, period=period, now=platform.clock.now())


def _charges(
    platform: bootstrap.Platform, account_ids: list[str], period: Period
) -> list[AccountCharges | ChargeFailure]:
    with platform.database.unit_of_work(write=False) as session:
        return billing.compute_charges(
            session, account_ids=account_ids, period=period, now=platform.clock.now()
        )


def _lines(charges: AccountCharges) -> list[tuple[str, str, int, int]]:
    return [(ln.type, ln.description, ln.amount_minor, ln.tax_minor) for ln in charges.lines]


def test_a_month_of_changes_is_charged_to_the_cent(
    client: TestClient, platform: bootstrap.Platform, clock: FixedClock, world: World
) -> None:
    fibre_1000 = _fibre_1000(client, world)
    clock.set(day(1, 12))
    product_id = _order(client, platform, world)
    clock.set(day(1, 17))
    _use_and_rate(platform, _username(client, product_id), 150, JANUARY)  # 50 MB over
    clock.set(day(1, 20))
    _change(client, platform, world, product_id, product={"status": "suspended"})
    clock.set(day(1, 25))
    _change(client, platform, world, product_id, product={"status": "active"})
    clock.set(day(1, 28))
    _change(client, platform, world, product_id, productOffering={"id": fibre_1000})
    product = client.get(f"{PRODUCTS}/{product_id}").json()
    assert product["productOffering"]["id"] == fibre_1000  # the plan change, through TMF622
    assert [p["name"] for p in product["productPrice"]] == ["Fibre 1000 monthly"]

    clock.set(day(2, 2))
    (january,) = _charges(platform, [world.account_id], JANUARY)
    assert isinstance(january, AccountCharges)
    assert _lines(january) == [
        ("recurring", "Fibre 300, 12 Jan\u201320 Jan 2026 (8 of 31 days)", 774, 155),
        ("recurring", "Fibre 300, 25 Jan\u201328 Jan 2026 (3 of 31 days)", 290, 58),
        ("recurring", "Fibre 1000, 28 Jan\u20131 Feb 2026 (4 of 31 days)", 645, 129),
        ("recurring", "Fibre 1000, 1 Feb\u20131 Mar 2026 (in advance)", 5000, 1000),
        ("oneTime", "Installation, Fibre 300 (activated 12 Jan 2026)", 4900, 980),
        ("usage", "Fibre 1000: Data usage, 150 MB (1 record)", 50, 10),
    ]
    assert january.currency == "EUR"
    assert january.amount_excl_tax_minor == 11_659
    assert january.tax_minor == 2_332
    assert january.amount_incl_tax_minor == 13_991
    assert {ln.tax_rate for ln in january.lines} == {Decimal("20")}
    assert january.lines[-1].quantity == "150 MB"

    with platform.database.unit_of_work() as session:
        marked = usage.mark_billed_through(
            session,
            account_ids=[world.account_id],
            before=january.usage_before,
            rated_by=january.usage_rated_by,
            now=clock.now(),
        )
    assert marked == 1
    (record,) = client.get("/tmf-api/usageManagement/v4/usage").json()
    assert record["status"] == "billed"
    assert record["ratedProductUsage"][0]["isBilled"] is True

    clock.set(day(2, 10))
    _change(client, platform, world, product_id, action="delete")
    clock.set(day(3, 2))
    (february,) = _charges(platform, [world.account_id], FEBRUARY)
    assert isinstance(february, AccountCharges)
    assert _lines(february) == [
        (
            "recurring",
            "Fibre 1000, 1 Feb\u20131 Mar 2026: charged in advance for 28 days, active 9 "
            "(credit for the rest)",
            1607 - 5000,
            -679,
        )
    ]


def test_a_missing_tax_rate_fails_only_that_account(
    client: TestClient, platform: bootstrap.Platform, clock: FixedClock, world: World
) -> None:
    abroad = create(
        client,
        "/tmf-api/accountManagement/v4/billingAccount",
        {
            "name": "Ada abroad",
            "currency": "EUR",
            "relatedParty": [
                {
                    "id": world.customer_id,
                    "role": "owner",
                    "@referredType": "Customer",
                    "name": "Ada",
                }
            ],
            "contact": [
                {
                    "contactType": "billing",
                    "validFor": {"startDateTime": "2025-01-01T00:00:00Z"},
                    "contactMedium": [
                        {
                            "mediumType": "postalAddress",
                            "characteristic": {"city": "Boston", "country": "US"},
                        }
                    ],
                }
            ],
        },
    )
    clock.set(day(1, 5))
    _order(client, platform, world)
    _order(client, platform, world, account_id=abroad["id"])
    clock.set(day(2, 1))
    with platform.database.unit_of_work(write=False) as session:
        cycle = billing.accounts_in_cycle(session, cycle_id="default")
    assert cycle == [world.account_id, abroad["id"]]
    home, failed = _charges(platform, cycle, JANUARY)
    assert isinstance(home, AccountCharges)
    assert home.amount_excl_tax_minor == 2613 + 3000 + 4900  # 27 of 31 days, Feb, installation
    assert failed == ChargeFailure(
        abroad["id"], "no tax rate for country US and category none (nor '*')"
    )


def test_a_price_in_arrears_charges_the_period_as_it_happened(
    client: TestClient, platform: bootstrap.Platform, clock: FixedClock
) -> None:
    world = build(client)
    price = _price(
        client,
        name="Fibre monthly in arrears",
        priceType="recurring",
        recurringChargePeriodType="month",
        billingTiming="inArrears",
        price={"unit": "EUR", "value": 31},
    )
    discount = _price(client, name="Welcome 10%", priceType="discount", percentage=10)
    response = client.patch(
        f"{CATALOG}/productOffering/{world.offering_id}",
        json={"productOfferingPrice": [{"id": price}, {"id": discount}]},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    clock.set(day(1, 11))
    _order(client, platform, world)
    clock.set(day(2, 1))
    (january,) = _charges(platform, [world.account_id], JANUARY)
    assert isinstance(january, AccountCharges)
    assert [(ln.type, ln.amount_minor) for ln in january.lines] == [
        ("recurring", 2100),
        ("discount", -210),
    ]
    assert january.lines[1].description == (
        "Welcome 10% on Fibre 300, 11 Jan\u20131 Feb 2026 (21 of 31 days)"
    )


def test_a_plan_change_to_an_unknown_offering_is_refused(
    client: TestClient, platform: bootstrap.Platform, world: World
) -> None:
    product_id = _order(client, platform, world)
    body = order_body(
        world,
        {
            "id": "1",
            "action": "modify",
            "product": {"id": product_id},
            "productOffering": {"id": "no-such-offering"},
        },
    )
    response = client.post(ORDERS, json=body)
    assert response.status_code == 400
    assert response.json()["message"].startswith("productOrderItem[0].productOffering.id")


def test_products_from_before_the_timeline_get_an_open_row(
    client: TestClient, platform: bootstrap.Platform, clock: FixedClock, world: World
) -> None:
    clock.set(day(1, 5))
    product_id = _order(client, platform, world)
    with platform.database.unit_of_work() as session:
        session.execute(delete(ChargePeriod))
    clock.set(day(2, 1))
    with platform.database.unit_of_work() as session:
        assert product_inventory.seed_charge_periods(session, now=clock.now()) == 1
        assert product_inventory.seed_charge_periods(session, now=clock.now()) == 0
        (row,) = product_inventory.charge_periods(
            session, account_ids=[world.account_id], period=JANUARY
        )
    assert (row.product_id, row.status, row.valid_from) == (product_id, "active", day(1, 5))


def test_billed_usage_is_announced_to_tmf635_listeners(
    client: TestClient, platform: bootstrap.Platform, clock: FixedClock, world: World
) -> None:
    clock.set(day(1, 5))
    product_id = _order(client, platform, world)
    clock.set(day(1, 17))
    _use_and_rate(platform, _username(client, product_id), 10, JANUARY)
    settle(platform)
    listener = Listener()
    try:
        hub = "/tmf-api/usageManagement/v4/hub"
        assert client.post(hub, json={"callback": listener.url}).status_code == 201
        clock.set(day(2, 1))
        with platform.database.unit_of_work() as session:
            marked = usage.mark_billed_through(
                session,
                account_ids=[world.account_id],
                before=JANUARY.end,
                rated_by=clock.now(),
                now=clock.now(),
            )
        settle(platform)
        events = [e for e in listener.events if e["eventType"] == "UsageStateChangeEvent"]
    finally:
        listener.close()
    assert marked == 1
    assert [e["event"]["usage"]["status"] for e in events] == ["billed"]
