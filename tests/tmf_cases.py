"""Each TMF resource declares, once, how to make a valid instance for the contract suite.

Add a Case when a room adds a resource: the generic tests in test_tmf_contract.py then check
every TMF630 rule against it (netbox's generic API test idea).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

Body = dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    # Builds a valid create body; may create prerequisites through the API first.
    body: Callable[[TestClient, int], Body]
    # A merge patch that changes an ordinary attribute: (attribute, new value).
    patch: tuple[str, Any]
    # A first-level string attribute whose value the body sets (for filter and sort checks).
    key: str = "name"
    extra: Body = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


def create(client: TestClient, path: str, body: Body) -> Body:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _individual(_client: TestClient, n: int) -> Body:
    return {"givenName": f"Given{n}", "familyName": f"Family{n:03d}"}


def _organization(_client: TestClient, n: int) -> Body:
    return {"tradingName": f"Trader {n:03d}", "name": f"Org {n:03d}"}


def _customer(client: TestClient, n: int) -> Body:
    party = create(client, "/tmf-api/party/v4/individual", _individual(client, n))
    return {
        "name": f"Customer {n:03d}",
        "engagedParty": {"id": party["id"], "@referredType": "Individual"},
    }


CASES: list[Case] = [
    Case(
        "individual",
        "/tmf-api/party/v4/individual",
        _individual,
        ("gender", "female"),
        key="familyName",
    ),
    Case(
        "organization",
        "/tmf-api/party/v4/organization",
        _organization,
        ("name", "Renamed"),
        key="tradingName",
    ),
    Case("customer", "/tmf-api/customerManagement/v4/customer", _customer, ("statusReason", "vip")),
]


def _owner(client: TestClient, n: int) -> Body:
    party = create(client, "/tmf-api/party/v4/individual", _individual(client, n))
    return {
        "id": party["id"],
        "name": party["familyName"],
        "@referredType": "Individual",
        "role": "owner",
    }


def _billing_account(client: TestClient, n: int) -> Body:
    return {"name": f"Account {n:03d}", "relatedParty": [_owner(client, n)]}


ACCOUNT = "/tmf-api/accountManagement/v4"
CASES += [
    Case(
        "billingAccount", f"{ACCOUNT}/billingAccount", _billing_account, ("accountType", "business")
    ),
    Case("partyAccount", f"{ACCOUNT}/partyAccount", _billing_account, ("accountType", "business")),
    Case(
        "billingCycleSpecification",
        f"{ACCOUNT}/billingCycleSpecification",
        lambda _c, n: {"name": f"Cycle {n:03d}"},
        ("description", "renamed"),
    ),
]


BASE = "/tmf-api/productCatalogManagement/v4"


def _named(kind: str) -> Any:
    return lambda _client, n: {"name": f"{kind} {n:03d}"}


def _price(_client: TestClient, n: int) -> dict[str, Any]:
    return {
        "name": f"Monthly fee {n:03d}",
        "priceType": "recurring",
        "recurringChargePeriodType": "month",
        "price": {"unit": "EUR", "value": 10 + n},
    }


def _offering(client: TestClient, n: int) -> dict[str, Any]:
    price = create(client, f"{BASE}/productOfferingPrice", _price(client, n))
    spec = create(client, f"{BASE}/productSpecification", {"name": f"Spec {n:03d}"})
    return {
        "name": f"Offering {n:03d}",
        "productSpecification": {"id": spec["id"]},
        "productOfferingPrice": [{"id": price["id"]}],
    }


CASES += [
    Case("catalog", f"{BASE}/catalog", _named("Catalog"), ("catalogType", "product")),
    Case("category", f"{BASE}/category", _named("Category"), ("description", "changed")),
    Case("productSpecification", f"{BASE}/productSpecification", _named("Spec"), ("brand", "Acme")),
    Case("productOffering", f"{BASE}/productOffering", _offering, ("description", "changed")),
    Case("productOfferingPrice", f"{BASE}/productOfferingPrice", _price, ("description", "x")),
]


RESOURCE_INVENTORY = "/tmf-api/resourceInventoryManagement/v4"
SERVICE_INVENTORY = "/tmf-api/serviceInventory/v4"


def _service(_client: TestClient, n: int) -> Body:
    return {
        "name": f"Service {n:03d}",
        "category": "CFS",
        "state": "designed",
        "serviceSpecification": {"id": f"spec-{n}"},
    }


def _product(_client: TestClient, n: int) -> Body:
    return {"name": f"Product {n:03d}", "status": "created"}


CASES += [
    Case(
        "product",
        "/tmf-api/productInventory/v4/product",
        _product,
        ("description", "changed"),
    ),
    Case(
        "resource",
        f"{RESOURCE_INVENTORY}/resource",
        lambda _c, n: {"@type": "Site", "name": f"Site {n:03d}"},
        ("description", "changed"),
    ),
    Case("service", f"{SERVICE_INVENTORY}/service", _service, ("description", "changed")),
]
