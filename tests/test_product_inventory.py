"""TMF637 products: lifecycle and references."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tmf_cases import create

PATH = "/tmf-api/productInventory/v4/product"


def test_the_lifecycle_runs_from_created_to_terminated(client: TestClient) -> None:
    product = create(client, PATH, {"name": "Fibre 300", "status": "created"})
    for status in ("pendingActive", "active", "suspended", "active", "pendingTerminate"):
        response = client.patch(f"{PATH}/{product['id']}", json={"status": status})
        assert response.status_code == 200, response.text
    done = client.patch(f"{PATH}/{product['id']}", json={"status": "terminated"}).json()
    assert done["status"] == "terminated"
    assert "terminationDate" in done


def test_an_illegal_move_is_409_naming_both_states(client: TestClient) -> None:
    product = create(client, PATH, {"name": "Fibre 300", "status": "created"})
    response = client.patch(f"{PATH}/{product['id']}", json={"status": "suspended"})
    assert response.status_code == 409
    body = response.json()
    assert "created" in body["message"]
    assert "suspended" in body["message"]


def test_a_product_cannot_start_terminated_and_aborted_with_a_space_is_read(
    client: TestClient,
) -> None:
    assert client.post(PATH, json={"name": "x", "status": "terminated"}).status_code == 400
    product = create(client, PATH, {"name": "y", "status": "created"})
    response = client.patch(f"{PATH}/{product['id']}", json={"status": "aborted "})
    assert response.json()["status"] == "aborted "


def test_unknown_references_are_refused(client: TestClient) -> None:
    for body, field in (
        ({"productOffering": {"id": "nope"}}, "productOffering.id"),
        ({"billingAccount": {"id": "nope"}}, "billingAccount.id"),
        (
            {"relatedParty": [{"id": "nope", "role": "customer", "@referredType": "Customer"}]},
            "relatedParty.id",
        ),
    ):
        response = client.post(PATH, json={"name": "x", "status": "created", **body})
        assert response.status_code == 400
        assert field in response.json()["message"]
