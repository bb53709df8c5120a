"""TMF678 over HTTP: customerBill (list filters and paging, the document, PATCH limited to the
dispute lifecycle), appliedCustomerBillingRate, credit notes, adjustments, billRun."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from billing_rows import FEBRUARY, JANUARY, Line, bill, run
from conftest import key_for
from ossbss.billing.models import RunFailure
from ossbss.bootstrap import Platform
from test_hub import Listener
from tmf_cases import ACCOUNT, _billing_account, create

API = "/tmf-api/customerBillManagement/v4"
LINES = [
    Line("fibre", "recurring", 3000),
    Line("tv", "recurring", 1000, tax_rate="5.5"),
    Line("fibre", "usage", 1234, quantity="123.4 GB"),
]


@pytest.fixture
def bills(platform: Platform) -> dict[str, str]:
    with platform.database.unit_of_work() as session:
        return {
            "a_jan": bill(session, account_id="A", lines=LINES, bill_no="TEST-1"),
            "b_jan": bill(
                session,
                account_id="B",
                lines=LINES[:1],
                bill_no="TEST-2",
                state="settled",
            ),
            "a_feb": bill(session, account_id="A", lines=LINES[:2], period=FEBRUARY, state="new"),
        }


def test_bill_document_is_rendered_from_the_rows(client: TestClient, bills: dict[str, str]) -> None:
    response = client.get(f"{API}/customerBill/{bills['a_jan']}")
    assert response.status_code == 200, response.text
    document = response.json()
    # 30.00 + 10.00 + 12.34 = 52.34; tax 6.00 + 0.55 + 2.47 = 9.02
    assert document["taxExcludedAmount"] == {"unit": "EUR", "value": 52.34}
    assert document["taxIncludedAmount"] == {"unit": "EUR", "value": 61.36}
    assert document["remainingAmount"] == document["amountDue"] == document["taxIncludedAmount"]
    assert document["billNo"] == "TEST-1"
    assert document["category"] == "normal"
    assert document["state"] == "sent"
    assert document["billingAccount"]["id"] == "A"
    assert document["billingPeriod"] == {
        "startDateTime": "2026-01-01T00:00:00.000Z",
        "endDateTime": "2026-02-01T00:00:00.000Z",
    }
    taxes = {(item["taxRate"], item["taxAmount"]["value"]) for item in document["taxItem"]}
    assert taxes == {(20, 8.47), (5.5, 0.55)}
    [attachment] = document["billDocument"]
    assert attachment["href"] == f"http://testserver{API}/customerBill/{bills['a_jan']}/document"
    assert document["href"] == f"http://testserver{API}/customerBill/{bills['a_jan']}"


def test_list_filters_and_paging(client: TestClient, bills: dict[str, str]) -> None:
    everything = client.get(f"{API}/customerBill")
    assert everything.headers["X-Total-Count"] == "3"
    of_a = client.get(f"{API}/customerBill", params={"billingAccount.id": "A"})
    assert {b["id"] for b in of_a.json()} == {bills["a_jan"], bills["a_feb"]}
    issued = client.get(f"{API}/customerBill", params={"state": "sent,settled"})
    assert {b["id"] for b in issued.json()} == {bills["a_jan"], bills["b_jan"]}
    january = client.get(f"{API}/customerBill", params={"billDate.lt": "2026-02-15T00:00:00Z"})
    assert {b["id"] for b in january.json()} == {bills["a_jan"], bills["b_jan"]}
    page = client.get(f"{API}/customerBill", params={"limit": 1, "offset": 1})
    assert (page.headers["X-Total-Count"], page.headers["X-Result-Count"]) == ("3", "1")
    assert len(page.json()) == 1
    fields = client.get(f"{API}/customerBill", params={"fields": "state", "state": "new"})
    assert fields.json() == [
        {
            "id": bills["a_feb"],
            "href": f"http://testserver{API}/customerBill/{bills['a_feb']}",
            "state": "new",
        }
    ]
    bad = client.get(f"{API}/customerBill", params={"state": "paid"})
    assert bad.status_code == 400
    assert "state" in bad.json()["message"]
    notes = client.get(f"{API}/customerBill", params={"category": "creditNote"})
    assert notes.json() == []


def _patch(client: TestClient, bill_id: str, body: dict[str, Any]) -> Any:
    return client.patch(
        f"{API}/customerBill/{bill_id}",
        json=body,
        headers={"Content-Type": "application/merge-patch+json"},
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"taxIncludedAmount": {"unit": "EUR", "value": 1}}, "taxIncludedAmount"),
        ({"amountDue": {"unit": "EUR", "value": 0}}, "amountDue"),
        ({"paymentDueDate": "2027-01-01T00:00:00.000Z", "state": "onHold"}, "paymentDueDate"),
        ({"appliedCustomerBillingRate": []}, "appliedCustomerBillingRate"),
    ],
)
def test_patch_of_an_issued_bills_money_or_dates_is_409_and_nothing_changes(
    client: TestClient, bills: dict[str, str], body: dict[str, Any], field: str
) -> None:
    before = client.get(f"{API}/customerBill/{bills['a_jan']}").json()
    response = _patch(client, bills["a_jan"], body)
    assert response.status_code == 409, response.text
    error = response.json()
    assert error["@type"] == "Error"
    assert error["message"].startswith(f"{field}:")
    assert client.get(f"{API}/customerBill/{bills['a_jan']}").json() == before


def test_a_draft_is_not_patched(client: TestClient, bills: dict[str, str]) -> None:
    amounts = _patch(client, bills["a_feb"], {"taxExcludedAmount": {"unit": "EUR", "value": 1}})
    assert amounts.status_code == 409
    assert "rerunning" in amounts.json()["message"]
    state = _patch(client, bills["a_feb"], {"state": "sent"})
    assert state.status_code == 409
    assert state.json()["message"].startswith("state:")


def test_dispute_puts_a_bill_on_hold_and_back(client: TestClient, bills: dict[str, str]) -> None:
    held = _patch(client, bills["a_jan"], {"state": "onHold"})
    assert held.status_code == 200, held.text
    assert held.json()["state"] == "onHold"
    released = _patch(client, bills["a_jan"], {"state": "sent"})
    assert released.json()["state"] == "sent"
    settled = _patch(client, bills["b_jan"], {"state": "onHold"})
    assert settled.status_code == 409
    unknown = _patch(client, bills["a_jan"], {"colour": "red"})
    assert unknown.status_code == 400
    assert unknown.json()["message"].startswith("colour:")


def test_roles(platform: Platform, app_client: TestClient, bills: dict[str, str]) -> None:
    readonly = {"Authorization": f"Bearer {key_for(platform, 'readonly')}"}
    assert app_client.get(f"{API}/customerBill", headers=readonly).status_code == 200
    refused = app_client.patch(
        f"{API}/customerBill/{bills['a_jan']}", json={"state": "onHold"}, headers=readonly
    )
    assert refused.status_code == 403
    assert app_client.get(f"{API}/customerBill").status_code == 401


def test_applied_rates_of_a_bill(client: TestClient, bills: dict[str, str]) -> None:
    response = client.get(f"{API}/appliedCustomerBillingRate", params={"bill.id": bills["a_jan"]})
    rates = response.json()
    assert response.headers["X-Total-Count"] == "3"
    usage = next(rate for rate in rates if rate["type"] == "usage")
    assert usage["taxExcludedAmount"] == {"unit": "EUR", "value": 12.34}
    assert usage["taxIncludedAmount"] == {"unit": "EUR", "value": 14.81}
    assert usage["characteristic"] == [{"name": "quantity", "value": "123.4 GB"}]
    assert usage["bill"]["id"] == bills["a_jan"]
    one = client.get(f"{API}/appliedCustomerBillingRate/{usage['id']}")
    assert one.json()["id"] == usage["id"]
    assert client.get(f"{API}/appliedCustomerBillingRate/nope").status_code == 404


def test_credit_note_over_http(client: TestClient, bills: dict[str, str]) -> None:
    url = f"{API}/customerBill/{bills['a_jan']}/creditNote"
    response = client.post(url, json={"amount": {"unit": "EUR", "value": 10}, "reason": "outage"})
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["category"] == "creditNote"
    assert note["taxIncludedAmount"] == {"unit": "EUR", "value": -10}
    assert note["billNo"] == "INV-2026-000001"
    original = client.get(f"{API}/customerBill/{bills['a_jan']}").json()
    assert original["remainingAmount"] == {"unit": "EUR", "value": 51.36}
    assert original["taxIncludedAmount"] == {"unit": "EUR", "value": 61.36}  # never changed
    too_much = client.post(url, json={"amount": {"unit": "EUR", "value": 60}, "reason": "x"})
    assert too_much.status_code == 409
    assert too_much.json()["message"].startswith("amount:")
    fractions = client.post(url, json={"amount": {"unit": "EUR", "value": 0.001}, "reason": "x"})
    assert fractions.status_code == 400
    assert fractions.json()["message"].startswith("amount.value:")
    listed = client.get(f"{API}/customerBill", params={"category": "creditNote"})
    assert [b["id"] for b in listed.json()] == [note["id"]]


def test_adjustment_over_http(client: TestClient) -> None:
    account_id = create(client, f"{ACCOUNT}/billingAccount", _billing_account(client, 0))["id"]
    body = {
        "billingAccount": {"id": account_id},
        "amount": {"unit": "EUR", "value": -5},
        "reason": "SLA breach in March",
        "source": "sla",
    }
    response = client.post(f"{API}/billingAdjustment", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["amount"] == {"unit": "EUR", "value": -5}
    missing = client.post(f"{API}/billingAdjustment", json={**body, "billingAccount": {}})
    assert missing.status_code == 400
    assert missing.json()["message"].startswith("billingAccount.id")


def test_bill_run_view_and_comparison(
    platform: Platform, client: TestClient, bills: dict[str, str]
) -> None:
    with platform.database.unit_of_work() as session:
        run_id = run(session, period=FEBRUARY)
        draft = bill(
            session,
            account_id="A",
            lines=[Line("fibre", "recurring", 3500), Line("phone", "recurring", 500)],
            period=FEBRUARY,
            run_id=run_id,
            state="new",
        )
        session.add(
            RunFailure(
                bill_run_id=run_id,
                billing_account_id="C",
                reason="no tax rate for FR/tv",
                created_at=datetime(2026, 3, 1, tzinfo=UTC),
            )
        )
    runs = client.get(f"{API}/billRun")
    assert runs.headers["X-Total-Count"] == "1"
    document = client.get(f"{API}/billRun/{run_id}").json()
    assert document["state"] == "draft"
    assert document["failure"] == [
        {
            "billingAccount": {"id": "C"},
            "reason": "no tax rate for FR/tv",
            "date": "2026-03-01T00:00:00.000Z",
        }
    ]
    [comparison] = client.get(f"{API}/billRun/{run_id}/comparison").json()
    assert comparison["customerBill"]["id"] == draft
    assert comparison["previousCustomerBill"]["id"] == bills["a_jan"]
    reasons = {
        (line["product"]["id"], line["type"]): line["reason"] for line in comparison["lines"]
    }
    assert reasons == {
        ("fibre", "recurring"): "price changed",
        ("fibre", "usage"): "no usage charge this cycle",
        ("phone", "recurring"): "new product",
        ("tv", "recurring"): "product ended",
    }
    assert client.get(f"{API}/billRun/nope").status_code == 404
    assert JANUARY[0] < FEBRUARY[0]


def test_hub_hears_of_a_dispute_and_a_credit_note(
    client: TestClient, platform: Platform, bills: dict[str, str]
) -> None:
    listener = Listener()
    try:
        hub = client.post(f"{API}/hub", json={"callback": listener.url})
        assert hub.status_code == 201
        _patch(client, bills["a_jan"], {"state": "onHold"})
        client.post(
            f"{API}/customerBill/{bills['a_jan']}/creditNote",
            json={"amount": {"unit": "EUR", "value": 1}, "reason": "dispute settled"},
        )
        platform.dispatcher.run_pending()
        assert sorted(listener.types()) == [
            "CustomerBillCreateEvent",
            "CustomerBillStateChangeEvent",
        ]
        changed = next(e for e in listener.events if "StateChange" in e["eventType"])
        assert changed["event"]["customerBill"]["state"] == "onHold"
    finally:
        listener.close()


def test_a_disputed_bill_credited_in_full_is_settled_when_released(
    client: TestClient, bills: dict[str, str]
) -> None:
    _patch(client, bills["a_jan"], {"state": "onHold"})
    credited = client.post(
        f"{API}/customerBill/{bills['a_jan']}/creditNote",
        json={"amount": {"unit": "EUR", "value": 61.36}, "reason": "dispute upheld"},
    )
    assert credited.status_code == 201, credited.text
    held = client.get(f"{API}/customerBill/{bills['a_jan']}").json()
    assert held["state"] == "onHold"
    assert held["remainingAmount"]["value"] == 0
    released = _patch(client, bills["a_jan"], {"state": "sent"})
    assert released.json()["state"] == "settled"
