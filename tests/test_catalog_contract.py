"""The generic TMF630 contract suite (test_tmf_contract.py), run against the TMF620 resources.

Kept here until tmf_cases.CASES lists the catalog cases itself (then this file goes away).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from test_tmf_contract import *  # noqa: F403  (the generic tests, collected again here)
from tmf_cases import Case, create

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


CATALOG_CASES = [
    Case("catalog", f"{BASE}/catalog", _named("Catalog"), ("catalogType", "product")),
    Case("category", f"{BASE}/category", _named("Category"), ("description", "changed")),
    Case("productSpecification", f"{BASE}/productSpecification", _named("Spec"), ("brand", "Acme")),
    Case("productOffering", f"{BASE}/productOffering", _offering, ("description", "changed")),
    Case("productOfferingPrice", f"{BASE}/productOfferingPrice", _price, ("description", "x")),
]

pytestmark = pytest.mark.parametrize("case", CATALOG_CASES, ids=str)
