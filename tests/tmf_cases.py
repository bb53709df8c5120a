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
