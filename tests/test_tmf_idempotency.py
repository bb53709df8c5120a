"""Idempotency-Key on POST: a retried request never creates a second resource."""

from __future__ import annotations

from fastapi.testclient import TestClient

PATH = "/tmf-api/party/v4/individual"
BODY = {"givenName": "Ada", "familyName": "Lovelace"}


def _count(client: TestClient) -> int:
    return int(client.get(PATH).headers["X-Total-Count"])


def test_a_retried_post_returns_the_first_resource(client: TestClient) -> None:
    first = client.post(PATH, json=BODY, headers={"Idempotency-Key": "k-1"})
    again = client.post(PATH, json=BODY, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert _count(client) == 1


def test_the_replay_shows_the_resource_as_it_is_now(client: TestClient) -> None:
    first = client.post(PATH, json=BODY, headers={"Idempotency-Key": "k-2"}).json()
    client.patch(f"{PATH}/{first['id']}", json={"givenName": "Augusta"})
    again = client.post(PATH, json=BODY, headers={"Idempotency-Key": "k-2"}).json()
    assert again["givenName"] == "Augusta"


def test_the_same_key_with_another_body_is_a_conflict(client: TestClient) -> None:
    client.post(PATH, json=BODY, headers={"Idempotency-Key": "k-3"})
    response = client.post(
        PATH, json={**BODY, "givenName": "Grace"}, headers={"Idempotency-Key": "k-3"}
    )
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["message"]
    assert _count(client) == 1


def test_without_a_key_each_post_creates(client: TestClient) -> None:
    client.post(PATH, json=BODY)
    client.post(PATH, json=BODY)
    assert _count(client) == 2


def test_a_key_is_per_resource_and_a_bad_key_is_refused(client: TestClient) -> None:
    client.post(PATH, json=BODY, headers={"Idempotency-Key": "shared"})
    organization = client.post(
        "/tmf-api/party/v4/organization",
        json={"tradingName": "Acme"},
        headers={"Idempotency-Key": "shared"},
    )
    assert organization.status_code == 201
    response = client.post(PATH, json=BODY, headers={"Idempotency-Key": "x" * 300})
    assert response.status_code == 400
    assert _count(client) == 1
