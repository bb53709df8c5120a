"""Schemathesis against the TMF621 spec file: no 5xx, documented statuses and content types,
responses valid against the spec, invalid input refused (the machinery of
test_schemathesis.py, with a trouble ticket seeded for the ``{id}`` paths)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from conftest import ADMIN_KEY
from ossbss import bootstrap
from ossbss.app import create_app
from test_schemathesis import CHECKS, MAX_EXAMPLES, _id_is_generated_invalid, _schema
from test_schemathesis import content_type_conformance as _content_type
from tickets_world import TICKETS, ticket_body

SPEC = "TMF621-TroubleTicket-v4.0.0.swagger.json"
SCHEMAS = {part: _schema(SPEC, with_body=part == "body") for part in ("body", "params")}
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def served(platform: bootstrap.Platform) -> Iterator[tuple[TestClient, str]]:
    app = create_app(platform=platform, run_dispatcher=False)
    with TestClient(app, raise_server_exceptions=False, headers=AUTH) as client:
        ticket = client.post(TICKETS, json=ticket_body())
        assert ticket.status_code == 201, ticket.text
        yield client, ticket.json()["id"]


@schemathesis.pytest.parametrize(**SCHEMAS)
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_conforms_to_the_tmf621_spec(
    case: schemathesis.Case, served: tuple[TestClient, str]
) -> None:
    client, ticket_id = served
    if "id" in (case.path_parameters or {}) and not _id_is_generated_invalid(case):
        case.path_parameters["id"] = ticket_id
    base_url = "http://testserver" + case.operation.schema.raw_schema["basePath"].rstrip("/")
    request = case.as_transport_kwargs(base_url=base_url, headers=AUTH)
    response = client.request(
        request["method"],
        request["url"],
        params=request.get("params"),
        headers=request.get("headers"),
        cookies=request.get("cookies") or None,
        json=request.get("json"),
        content=request.get("data"),
    )
    checks = [c for c in CHECKS if response.status_code != 204 or c is not _content_type]
    case.validate_response(response, checks=checks)
