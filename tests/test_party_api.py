"""TMF632 / TMF629 behaviour through the HTTP API."""

from __future__ import annotations

from fastapi.testclient import TestClient

PARTY = "/tmf-api/party/v4"
CUSTOMER = "/tmf-api/customerManagement/v4"


def individual(client: TestClient, **extra: object) -> dict:
    body = {"givenName": "Ada", "familyName": "Lovelace", **extra}
    response = client.post(f"{PARTY}/individual", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_individual_returns_201_with_location_and_defaults(client: TestClient) -> None:
    response = client.post(
        f"{PARTY}/individual", json={"givenName": "Ada", "familyName": "Lovelace"}
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["Location"] == body["href"]
    assert body["href"] == f"http://testserver{PARTY}/individual/{body['id']}"
    assert body["status"] == "initialized"


def test_individual_without_family_name_is_refused_and_nothing_is_written(
    client: TestClient,
) -> None:
    response = client.post(f"{PARTY}/individual", json={"givenName": "Ada"})
    assert response.status_code == 400
    error = response.json()
    assert error["code"]
    assert error["reason"]
    assert "familyName" in error["message"]
    assert client.get(f"{PARTY}/individual").headers["X-Total-Count"] == "0"


def test_phone_numbers_are_normalised_to_e164_and_bad_ones_refused(client: TestClient) -> None:
    medium = {"mediumType": "phone", "characteristic": {"phoneNumber": "+44 20 7946 0018"}}
    body = individual(client, contactMedium=[medium])
    assert body["contactMedium"][0]["characteristic"]["phoneNumber"] == "+442079460018"

    bad = {"mediumType": "phone", "characteristic": {"phoneNumber": "020 7946 0018"}}
    response = client.post(
        f"{PARTY}/individual", json={"givenName": "A", "familyName": "B", "contactMedium": [bad]}
    )
    assert response.status_code == 400
    assert "contactMedium[0].characteristic.phoneNumber" in response.json()["message"]


def test_email_and_country_are_validated(client: TestClient) -> None:
    medium = {"mediumType": "email", "characteristic": {"emailAddress": "not-an-address"}}
    response = client.post(
        f"{PARTY}/individual", json={"givenName": "A", "familyName": "B", "contactMedium": [medium]}
    )
    assert response.status_code == 400
    assert "emailAddress" in response.json()["message"]

    address = {"mediumType": "postalAddress", "characteristic": {"country": "XX", "city": "Paris"}}
    response = client.post(
        f"{PARTY}/individual",
        json={"givenName": "A", "familyName": "B", "contactMedium": [address]},
    )
    assert response.status_code == 400
    assert "country" in response.json()["message"]

    address["characteristic"]["country"] = "fra"
    body = individual(client, contactMedium=[address])
    assert body["contactMedium"][0]["characteristic"]["country"] == "FR"


def test_individual_lifecycle_refuses_going_back(client: TestClient) -> None:
    person = individual(client)
    url = f"{PARTY}/individual/{person['id']}"
    assert client.patch(url, json={"status": "validated"}).json()["status"] == "validated"
    response = client.patch(url, json={"status": "initialized"})
    assert response.status_code == 409
    assert "status" in response.json()["message"]


def test_unknown_status_value_is_refused(client: TestClient) -> None:
    response = client.post(
        f"{PARTY}/organization", json={"tradingName": "Acme", "status": "bankrupt"}
    )
    assert response.status_code == 400
    assert "status" in response.json()["message"]


def test_customer_needs_an_existing_engaged_party(client: TestClient) -> None:
    response = client.post(
        f"{CUSTOMER}/customer",
        json={"name": "Ghost", "engagedParty": {"id": "nope", "@referredType": "Individual"}},
    )
    assert response.status_code == 400
    assert "engagedParty.id" in response.json()["message"]

    person = individual(client)
    response = client.post(
        f"{CUSTOMER}/customer",
        json={
            "name": "Ada L.",
            "engagedParty": {"id": person["id"], "@referredType": "Individual"},
        },
    )
    assert response.status_code == 201
    customer = response.json()
    assert customer["status"] == "Initialized"
    listed = client.get(f"{CUSTOMER}/customer", params={"engagedParty.id": person["id"]})
    assert [c["id"] for c in listed.json()] == [customer["id"]]


def test_engaged_party_cannot_be_deleted_while_a_customer_uses_it(client: TestClient) -> None:
    person = individual(client)
    created = client.post(
        f"{CUSTOMER}/customer",
        json={"name": "Ada", "engagedParty": {"id": person["id"], "@referredType": "Individual"}},
    )
    assert created.status_code == 201
    response = client.delete(f"{PARTY}/individual/{person['id']}")
    assert response.status_code == 409
    assert client.get(f"{PARTY}/individual/{person['id']}").status_code == 200
