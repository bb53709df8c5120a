"""Two subscribers for the self-care tests, built through the public APIs: Ada has fibre
(active, with another fibre plan in the same category to change to), an open bill and a
self-care login; Bob, another customer, has a bill and a ticket of his own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

import ordering_world
from console_helpers import customer_login
from ordering_world import CATALOG, LAUNCHED, ORDERS, SERVICES
from ossbss import bootstrap, usage
from ossbss.kernel import FixedClock
from ossbss.tmf import characteristic_values
from payment_world import issue_bill
from tickets_world import TICKETS, ticket_body
from tmf_cases import create

ADA = "ada@example.com"
BOB = "bob@example.com"
ADA_BILL = 4999  # €49.99
BOB_BILL = 2500


@dataclass
class Subscribers:
    world: ordering_world.World
    ada_customer: str
    ada_account: str
    ada_product: str
    ada_bill: str
    faster_offering: str
    bob_customer: str
    bob_account: str
    bob_bill: str
    bob_ticket: str


def _offering(client: TestClient, name: str, base: dict[str, Any], category_id: str) -> str:
    return str(
        create(
            client,
            f"{CATALOG}/productOffering",
            {
                "name": name,
                **LAUNCHED,
                "category": [{"id": category_id}],
                "productSpecification": {"id": base["productSpecification"]["id"]},
                "productOfferingPrice": [{"id": p["id"]} for p in base["productOfferingPrice"]],
            },
        )["id"]
    )


def _customer(client: TestClient, given: str, family: str) -> tuple[str, str]:
    person = create(
        client, "/tmf-api/party/v4/individual", {"givenName": given, "familyName": family}
    )
    customer = create(
        client,
        "/tmf-api/customerManagement/v4/customer",
        {
            "name": f"{given} {family}",
            "status": "Active",
            "engagedParty": {"id": person["id"], "@referredType": "Individual"},
        },
    )
    # Owned by the party (as the demo does), not by the customer.
    account = create(
        client,
        "/tmf-api/accountManagement/v4/billingAccount",
        {
            "name": f"{given}'s account",
            "currency": "EUR",
            "relatedParty": [
                {
                    "id": person["id"],
                    "name": f"{given} {family}",
                    "role": "owner",
                    "@referredType": "Individual",
                }
            ],
        },
    )
    return str(customer["id"]), str(account["id"])


def _use(client: TestClient, platform: bootstrap.Platform, product_id: str) -> None:
    """Ada's fibre (active since today) used 150 MB, then 250 MB two days later; the world's
    clock moves on four days."""
    product = client.get(f"{ordering_world.PRODUCTS}/{product_id}").json()
    cfs = client.get(f"{SERVICES}/{product['realizingService'][0]['id']}").json()
    rfs_id = next(s["id"] for s in cfs["supportingService"] if s["name"] == "radius-subscriber")
    rfs = client.get(f"{SERVICES}/{rfs_id}").json()
    username = characteristic_values(rfs["serviceCharacteristic"])["username"]
    clock = platform.clock
    assert isinstance(clock, FixedClock)
    start = clock.now()
    clock.set(start + timedelta(days=4))
    now = clock.now()
    records = [
        usage.UsageInput(
            record_key=f"{username}-{day}",
            kind="data",
            subscriber=username,
            started_at=start + timedelta(days=day, hours=10),
            bytes_down=megabytes * 1_000_000,
            source="radius",
        )
        for day, megabytes in ((1, 150), (3, 250))
    ]
    with platform.database.unit_of_work() as session:
        assert usage.ingest(session, records=records, now=now).accepted == 2


def build(client: TestClient, platform: bootstrap.Platform) -> Subscribers:
    world = ordering_world.build(client)
    base = client.get(f"{CATALOG}/productOffering/{world.offering_id}").json()
    category = create(client, f"{CATALOG}/category", {"name": "Fibre plans", **LAUNCHED})
    current = _offering(client, "Fibre 300 Home", base, category["id"])
    faster = _offering(client, "Fibre 1000 Home", base, category["id"])
    item = {
        "id": "1",
        "action": "add",
        "productOffering": {"id": current, "name": "Fibre 300 Home"},
        "product": {"productCharacteristic": [{"name": "downloadSpeed", "value": 300}]},
    }
    order = ordering_world.place(client, platform, ordering_world.order_body(world, item))
    assert order["state"] == "completed", order
    product_id = order["productOrderItem"][0]["product"]["id"]
    _use(client, platform, product_id)
    due = platform.clock.now() + timedelta(days=14)
    ada_bill = issue_bill(platform, world.account_id, "ADA-1", due=due, amount=ADA_BILL)
    bob_customer, bob_account = _customer(client, "Bob", "Stone")
    bob_bill = issue_bill(platform, bob_account, "BOB-1", due=due, amount=BOB_BILL)
    bob_ticket = client.post(
        TICKETS,
        json=ticket_body(
            name="Bob's line is down",
            relatedParty=[{"id": bob_customer, "role": "customer", "@referredType": "Customer"}],
        ),
    )
    assert bob_ticket.status_code == 201, bob_ticket.text
    customer_login(platform, world.customer_id, ADA)
    customer_login(platform, bob_customer, BOB)
    return Subscribers(
        world,
        world.customer_id,
        world.account_id,
        product_id,
        ada_bill,
        faster,
        bob_customer,
        bob_account,
        bob_bill,
        bob_ticket.json()["id"],
    )


def orders_of(client: TestClient, customer_id: str) -> list[dict[str, Any]]:
    found = client.get(ORDERS, params={"relatedParty.id": customer_id})
    assert found.status_code == 200, found.text
    return list(found.json())
