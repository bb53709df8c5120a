"""customerBillOnDemand: an account billed now for its current cycle so far, through the
platform (a product ordered through TMF622, charges by compute_charges), issued at once with
its number and its ledger charge; a failure is terminatedWithError with the reason."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from ordering_world import add_item, build, order_body, place
from ossbss import account
from ossbss.bootstrap import Platform
from ossbss.kernel import FixedClock
from tmf_cases import ACCOUNT, _billing_account, create

API = "/tmf-api/customerBillManagement/v4"


def test_on_demand_bill_for_the_cycle_so_far(
    client: TestClient, platform: Platform, clock: FixedClock
) -> None:
    world = build(client)
    order = place(client, platform, order_body(world, add_item(world, downloadSpeed=300)))
    assert order["state"] == "completed", order
    clock.set(datetime(2026, 1, 25, tzinfo=UTC))
    response = client.post(
        f"{API}/customerBillOnDemand",
        json={"billingAccount": {"id": world.account_id}, "name": "closing the account"},
    )
    assert response.status_code == 201, response.text
    request = response.json()
    assert request["state"] == "done", request
    assert request["billingPeriod"]["startDateTime"].startswith("2026-01-01")
    bill = client.get(f"{API}/customerBill/{request['customerBill']['id']}").json()
    assert bill["state"] == "sent"
    assert bill["runType"] == "offCycle"
    assert bill["billNo"] == "INV-2026-000001"
    assert bill["taxIncludedAmount"]["value"] > 0
    rates = client.get(f"{API}/appliedCustomerBillingRate", params={"bill.id": bill["id"]}).json()
    assert {rate["type"] for rate in rates} >= {"recurring"}
    with platform.database.unit_of_work() as session:
        balance = account.account_balance(session, billing_account_id=world.account_id)
    assert balance == {"EUR": round(bill["taxIncludedAmount"]["value"] * 100)}
    listed = client.get(f"{API}/customerBillOnDemand")
    assert listed.headers["X-Total-Count"] == "1"
    assert client.get(f"{API}/customerBillOnDemand/{request['id']}").json() == request


def test_nothing_to_bill_ends_in_error_with_the_reason(client: TestClient) -> None:
    account_id = create(client, f"{ACCOUNT}/billingAccount", _billing_account(client, 0))["id"]
    response = client.post(
        f"{API}/customerBillOnDemand", json={"billingAccount": {"id": account_id}}
    )
    assert response.status_code == 201, response.text
    request = response.json()
    assert request["state"] == "terminatedWithError"
    assert "Nothing to bill" in request["reason"] or "no charges" in request["reason"]
    assert "customerBill" not in request
    assert client.get(f"{API}/customerBill").json() == []


def test_unknown_account_or_bad_period_is_refused(client: TestClient) -> None:
    unknown = client.post(f"{API}/customerBillOnDemand", json={"billingAccount": {"id": "nope"}})
    assert unknown.status_code == 400
    assert unknown.json()["message"].startswith("billingAccount.id")
    account_id = create(client, f"{ACCOUNT}/billingAccount", _billing_account(client, 0))["id"]
    future = client.post(
        f"{API}/customerBillOnDemand",
        json={
            "billingAccount": {"id": account_id},
            "billingPeriod": {"startDateTime": "2030-01-01T00:00:00Z"},
        },
    )
    assert future.status_code == 400
    assert future.json()["message"].startswith("billingPeriod")


def _wait_for(client: TestClient, run_id: str, state: str) -> dict[str, Any]:
    for _ in range(600):  # the run goes on in a background thread
        document: dict[str, Any] = client.get(f"{API}/billRun/{run_id}").json()
        if document["state"] == state:
            return document
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} never reached {state}: {document}")


def test_bill_run_started_compared_and_approved_over_http(
    client: TestClient, platform: Platform, clock: FixedClock
) -> None:
    world = build(client)
    order = place(client, platform, order_body(world, add_item(world, downloadSpeed=300)))
    assert order["state"] == "completed", order
    clock.set(datetime(2026, 2, 3, tzinfo=UTC))
    started = client.post(f"{API}/billRun", json={"billCycle": {"id": "default"}})
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    draft = _wait_for(client, run_id, "draft")
    assert draft["billingPeriod"]["startDateTime"].startswith("2026-01-01")
    [bill] = client.get(f"{API}/customerBill", params={"billRun.id": run_id}).json()
    assert bill["state"] == "new"
    assert "billDocument" not in bill
    [comparison] = client.get(f"{API}/billRun/{run_id}/comparison").json()
    assert comparison["previousCustomerBill"] is None
    assert {line["reason"] for line in comparison["lines"]} == {"new product"}
    approved = client.post(f"{API}/billRun/{run_id}/approve")
    assert approved.status_code == 202, approved.text
    _wait_for(client, run_id, "issued")
    issued = client.get(f"{API}/customerBill/{bill['id']}").json()
    assert issued["state"] == "sent"
    assert issued["billNo"].startswith("INV-2026-")
    again = client.post(
        f"{API}/billRun", json={"billCycle": {"id": "default"}, "period": "2026-13"}
    )
    assert again.status_code == 400
