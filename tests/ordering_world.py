"""A small operator world for order-to-activate tests, built through the public APIs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from ossbss import bootstrap
from tmf_cases import create

CATALOG = "/tmf-api/productCatalogManagement/v4"
INVENTORY = "/tmf-api/resourceInventoryManagement/v4"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
PRODUCTS = "/tmf-api/productInventory/v4/product"
SERVICE_ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"
SERVICES = "/tmf-api/serviceInventory/v4/service"
LAUNCHED = {"lifecycleStatus": "Launched", "validFor": {"startDateTime": "2025-01-01T00:00:00Z"}}

DECOMPOSITION = [
    {
        "id": "cfs-internet",
        "name": "Internet access",
        "resourceFacingService": [
            {
                "name": "radius-subscriber",
                "driver": "fake",
                "parameter": [
                    {"name": "username", "generate": "username"},
                    {"name": "password", "generate": "password"},
                    {"name": "ipv4Address", "allocate": "ipv4"},
                    {"name": "rateDownKbps", "characteristic": "downloadSpeed", "multiplier": 1000},
                    {"name": "fakeFail", "characteristic": "failOnNetwork"},
                ],
            },
            {
                "name": "access-vlan",
                "driver": "fake",
                "parameter": [{"name": "vlan", "value": "100"}],
            },
        ],
    }
]


def radius_subscriber(rate_up: dict[str, Any]) -> dict[str, Any]:
    """The RADIUS part of an internet access: credentials, an address, rates (the upstream
    rate's source given)."""
    return {
        "name": "radius-subscriber",
        "driver": "radius",
        "parameter": [
            {"name": "username", "generate": "username"},
            {"name": "password", "generate": "password"},
            {"name": "ipv4Address", "allocate": "ipv4"},
            {"name": "rateDownKbps", "characteristic": "downloadSpeed", "multiplier": 1000},
            {"name": "rateUpKbps", **rate_up},
        ],
    }


def characteristic(name: str, values: list[Any], default: Any) -> dict[str, Any]:
    return {
        "name": name,
        "valueType": "string",
        "minCardinality": 1,
        "productSpecCharacteristicValue": [
            {"value": value, "isDefault": value == default} for value in values
        ],
    }


@dataclass
class World:
    customer_id: str
    account_id: str
    offering_id: str
    pool_id: str


def build(
    client: TestClient, *, pool_cidr: str = "100.64.0.0/29", credit_limit: int | None = None
) -> World:
    individual = create(
        client, "/tmf-api/party/v4/individual", {"givenName": "Ada", "familyName": "Lovelace"}
    )
    customer = create(
        client,
        "/tmf-api/customerManagement/v4/customer",
        {
            "name": "Ada Lovelace",
            "status": "Active",
            "engagedParty": {"id": individual["id"], "@referredType": "Individual"},
        },
    )
    account: dict[str, Any] = {
        "name": "Ada's account",
        "currency": "EUR",
        "relatedParty": [
            {"id": customer["id"], "role": "owner", "@referredType": "Customer", "name": "Ada"}
        ],
    }
    if credit_limit is not None:
        account["creditLimit"] = {"unit": "EUR", "value": credit_limit}
    billing_account = create(client, "/tmf-api/accountManagement/v4/billingAccount", account)
    spec = create(
        client,
        f"{CATALOG}/productSpecification",
        {
            "name": "Fibre",
            **LAUNCHED,
            "productSpecCharacteristic": [
                characteristic("downloadSpeed", [300, 1000], 300),
                characteristic("failOnNetwork", ["false", "true"], "false"),
            ],
            "serviceSpecification": DECOMPOSITION,
        },
    )
    price = create(
        client,
        f"{CATALOG}/productOfferingPrice",
        {
            "name": "Fibre monthly",
            **LAUNCHED,
            "priceType": "recurring",
            "recurringChargePeriodType": "month",
            "price": {"unit": "EUR", "value": 30},
        },
    )
    offering = create(
        client,
        f"{CATALOG}/productOffering",
        {
            "name": "Fibre 300",
            **LAUNCHED,
            "productSpecification": {"id": spec["id"]},
            "productOfferingPrice": [{"id": price["id"]}],
        },
    )
    pool = create(
        client,
        f"{INVENTORY}/resource",
        {
            "name": "residential",
            "@type": "IPv4Pool",
            "resourceCharacteristic": [{"name": "cidr", "value": pool_cidr}],
        },
    )
    return World(customer["id"], billing_account["id"], offering["id"], pool["id"])


def order_body(world: World, *items: dict[str, Any]) -> dict[str, Any]:
    return {
        "relatedParty": [
            {"id": world.customer_id, "role": "customer", "@referredType": "Customer"}
        ],
        "billingAccount": {"id": world.account_id},
        "productOrderItem": list(items),
    }


def add_item(world: World, item_id: str = "1", **characteristics: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "action": "add",
        "productOffering": {"id": world.offering_id, "name": "Fibre 300"},
        "product": {
            "productCharacteristic": [{"name": k, "value": v} for k, v in characteristics.items()]
        },
    }


def settle(platform: bootstrap.Platform) -> None:
    """Deliver events and run activations until nothing is left to do."""
    for _ in range(50):
        moved = platform.dispatcher.run_pending() + platform.activator.run_pending()
        if not moved:
            return
    raise AssertionError("the platform did not settle")


def place(client: TestClient, platform: bootstrap.Platform, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(ORDERS, json=body)
    assert response.status_code == 201, response.text
    settle(platform)
    return client.get(f"{ORDERS}/{response.json()['id']}").json()
