"""Property-based tests against the official TMF v4 spec files (schemathesis).

Schemathesis reads the swagger files we ship in ``src/ossbss/tmf/specs/`` (the same files that
validate request bodies), generates valid and invalid requests for every operation we implement
and checks our answers against the spec: no 5xx, documented status codes and content types,
response bodies and headers that validate against the spec's response schemas, invalid input
rejected with a 4xx.

``positive_data_acceptance`` is not run: schema-valid random data still fails our domain
validation (E.164 numbers, ISO codes, references that must exist) with a 400, by design
(docs/api.md, "Deliberate deviations").

Each test first creates one valid instance of the operation's resource (``tmf_cases``), so
lists return real documents and ``{id}`` paths reach a real resource whenever the generated id
is not itself the invalid part. ``fields`` is left out: a field selection is a partial object,
which the response schema's ``required`` list does not allow (docs/api.md).

Bodies run the fuzzing phase only (``MAX_EXAMPLES`` each): the coverage phase derives well over
a thousand cases from one TMF body schema. ``OSSBSS_SCHEMATHESIS_DEEP=1`` runs it everywhere,
with more examples (many minutes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from billing_rows import seed_bill_line, seed_customer_bill, seed_on_demand
from conftest import ADMIN_KEY
from ossbss import bootstrap
from ossbss.app import create_app
from tmf_cases import CASES, create

DEEP = os.environ.get("OSSBSS_SCHEMATHESIS_DEEP") == "1"
MAX_EXAMPLES = 100 if DEEP else 15
SPECS = {
    "party": "TMF632-Party-v4.0.0.swagger.json",
    "customer": "TMF629-Customer-v4.0.0.swagger.json",
    "catalog": "TMF620-ProductCatalog-v4.0.0.swagger.json",
    "account": "TMF666-Account-v4.0.0.swagger.json",
    "usage": "TMF635-Usage-v4.0.0.swagger.json",
    "balance": "TMF654-PrepayBalance-v4.0.0.swagger.json",
    "bill": "TMF678-CustomerBill-v4.0.0.swagger.json",
    "payment": "TMF676-Payment-v4.0.0.swagger.json",
}
# Where we serve an API whose spec file names another base path (docs/api.md).
BASE_PATHS = {"payment": "/tmf-api/paymentManagement/v4/"}
# What docs/api.md lists as not implemented (they answer 404), and the listener endpoints,
# which a client implements, not us.
NOT_SERVED = (
    r"^/(importJob|exportJob|settlementAccount|financialAccount|billFormat"
    r"|billPresentationMedia|transferBalance|listener)(/|$)"
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
# TMF678 resources are made by bill runs, not POSTed: seeded as rows (tests/billing_rows.py).
BILLING_SEEDS = {
    "customerBill": seed_customer_bill,
    "appliedCustomerBillingRate": seed_bill_line,
    "customerBillOnDemand": seed_on_demand,
}
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
CASE_BY_NAME = {case.name: case for case in CASES}


def _schema(filename: str, *, with_body: bool, base_path: str | None = None) -> Any:
    """The spec's operations we serve, either those with a request body or the others."""
    text = files("ossbss.tmf").joinpath("specs", filename).read_text(encoding="utf-8")
    raw = json.loads(text)
    raw["basePath"] = base_path or raw["basePath"]
    for operations in raw["paths"].values():
        for operation in operations.values():
            operation["parameters"] = [
                p for p in operation.get("parameters", []) if p.get("name") != "fields"
            ]
    for name, definition in raw["definitions"].items():
        if name.endswith("_Update"):  # a merge patch names only what changes (docs/api.md)
            definition.pop("required", None)
            # and null removes an attribute (RFC 7386), so null is valid for every one
            for attribute in definition.get("properties", {}).values():
                attribute["x-nullable"] = True
    schema = schemathesis.openapi.from_dict(raw)
    schema.config.phases.coverage.enabled = DEEP or not with_body
    served = schema.exclude(path_regex=NOT_SERVED).exclude(method="GET", path="/hub/{id}")
    bodies = ["POST", "PATCH"]
    return served.include(method=bodies) if with_body else served.exclude(method=bodies)


SCHEMAS = {
    f"{api}-{part}": _schema(filename, with_body=part == "body", base_path=BASE_PATHS.get(api))
    for api, filename in SPECS.items()
    for part in ("body", "params")
}


@dataclass
class Served:
    """The app under test, and the resources created in it for this test."""

    client: TestClient
    platform: bootstrap.Platform
    seeded: dict[str, str | None] = field(default_factory=dict)

    def seed(self, resource: str) -> str | None:
        """The id of one valid instance of ``resource`` (None for the hub), made on first use."""
        if resource not in self.seeded and resource in BILLING_SEEDS:
            self.seeded[resource] = BILLING_SEEDS[resource](self.client, self.platform)
        if resource not in self.seeded:
            case = CASE_BY_NAME.get(resource)
            made = create(self.client, case.path, case.body(self.client, 0)) if case else None
            self.seeded[resource] = made["id"] if made else None
        return self.seeded[resource]


@pytest.fixture
def served(platform: bootstrap.Platform) -> Iterator[Served]:
    """An admin client that answers a crash with the 500 response instead of raising it."""
    app = create_app(platform=platform, run_dispatcher=False)
    with TestClient(app, raise_server_exceptions=False, headers=AUTH) as client:
        yield Served(client, platform)


def _id_is_generated_invalid(case: schemathesis.Case) -> bool:
    path = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
    return path is not None and path.mode == GenerationMode.NEGATIVE


@schemathesis.pytest.parametrize(**SCHEMAS)
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    # CI replays the same examples every run (a red build means a regression, not luck);
    # OSSBSS_SCHEMATHESIS_DEEP=1 explores with fresh random data.
    derandomize=not DEEP,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_conforms_to_the_tmf_spec(case: schemathesis.Case, served: Served) -> None:
    seeded = served.seed(case.operation.path.split("/")[1])
    if seeded and "id" in (case.path_parameters or {}) and not _id_is_generated_invalid(case):
        case.path_parameters["id"] = seeded
    base_url = "http://testserver" + case.operation.schema.raw_schema["basePath"].rstrip("/")
    request = case.as_transport_kwargs(base_url=base_url, headers=AUTH)
    response = served.client.request(
        request["method"],
        request["url"],
        params=request.get("params"),
        headers=request.get("headers"),
        cookies=request.get("cookies") or None,
        json=request.get("json"),
        content=request.get("data"),
    )
    # A 204 has no content, hence no Content-Type; swagger 2.0's global `produces` asks for one.
    checks = [c for c in CHECKS if response.status_code != 204 or c is not content_type_conformance]
    case.validate_response(response, checks=checks)
