"""TMF666 behaviour through the HTTP API: billing accounts, bill cycles, party accounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import ADMIN_KEY, key_for
from ossbss import account, bootstrap
from ossbss.kernel import FixedClock, Money, NotFound

PARTY = "/tmf-api/party/v4"
CUSTOMER = "/tmf-api/customerManagement/v4"
ACCOUNT = "/tmf-api/accountManagement/v4"
IBAN = "DE89370400440532013000"


def individual(client: TestClient) -> dict[str, Any]:
    response = client.post(
        f"{PARTY}/individual", json={"givenName": "Ada", "familyName": "Lovelace"}
    )
    assert response.status_code == 201, response.text
    return response.json()


def owner_ref(person: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": person["id"], "name": "Ada Lovelace", "@referredType": "Individual", **extra}


def cycle(client: TestClient, **extra: Any) -> dict[str, Any]:
    body = {"name": "Monthly on the 5th", "frequency": "monthly", "billingDateShift": 5, **extra}
    response = client.post(f"{ACCOUNT}/billingCycleSpecification", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def cycle_ref(spec: dict[str, Any]) -> dict[str, Any]:
    return {"cycleSpecification": {"id": spec["id"], "name": spec["name"], "isRef": True}}


def account_body(person: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "Ada's broadband", "relatedParty": [owner_ref(person, role="owner")], **extra}


def billing_account(client: TestClient, person: dict[str, Any], **extra: Any) -> dict[str, Any]:
    response = client.post(f"{ACCOUNT}/billingAccount", json=account_body(person, **extra))
    assert response.status_code == 201, response.text
    return response.json()


def total(client: TestClient, resource: str = "billingAccount") -> str:
    return client.get(f"{ACCOUNT}/{resource}").headers["X-Total-Count"]


def refused(client: TestClient, body: dict[str, Any], field: str, status: int = 400) -> None:
    """POST is refused with ``status``, the message names ``field``, and nothing is written."""
    before = total(client)
    response = client.post(f"{ACCOUNT}/billingAccount", json=body)
    assert response.status_code == status, response.text
    assert field in response.json()["message"], response.json()
    assert total(client) == before


# --- create ------------------------------------------------------------------------------


def test_create_billing_account_with_defaults(client: TestClient) -> None:
    person = individual(client)
    response = client.post(f"{ACCOUNT}/billingAccount", json=account_body(person))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == body["href"]
    assert body["href"] == f"http://testserver{ACCOUNT}/billingAccount/{body['id']}"
    assert body["state"] == "Active"
    assert body["currency"] == "EUR"
    assert body["lastModified"] == "2026-01-15T09:30:00.000Z"
    assert client.get(f"{ACCOUNT}/billingAccount/{body['id']}").json() == body


def test_lone_party_without_role_becomes_the_owner(client: TestClient) -> None:
    person = individual(client)
    body = billing_account(client, person, relatedParty=[owner_ref(person)])
    assert body["relatedParty"][0]["role"] == "owner"


def test_full_account_is_normalised(client: TestClient) -> None:
    person = individual(client)
    spec = cycle(client)
    contact = {
        "contactType": "primary",
        "validFor": {"startDateTime": "2026-01-01T00:00:00Z"},
        "contactMedium": [
            {"mediumType": "phone", "characteristic": {"phoneNumber": "+44 20 7946 0018"}}
        ],
    }
    body = billing_account(
        client,
        person,
        relatedParty=[owner_ref(person, role="Owner")],
        creditLimit={"unit": "eur", "value": 500.5},
        billStructure=cycle_ref(spec),
        paymentMethod={
            "@type": "BankAccountDebit",
            "iban": "de89 3704 0044 0532 0130 00",
            "bic": "deutdeff",
        },
        contact=[contact],
    )
    assert body["relatedParty"][0]["role"] == "owner"
    assert body["creditLimit"] == {"unit": "EUR", "value": 500.5}
    assert body["currency"] == "EUR"
    assert body["paymentMethod"]["iban"] == IBAN
    assert body["paymentMethod"]["bic"] == "DEUTDEFF"
    assert (
        body["contact"][0]["contactMedium"][0]["characteristic"]["phoneNumber"] == "+442079460018"
    )


def test_currency_comes_from_the_credit_limit(client: TestClient) -> None:
    person = individual(client)
    body = billing_account(client, person, creditLimit={"unit": "GBP", "value": 100})
    assert body["currency"] == "GBP"


def test_customer_may_own_an_account(client: TestClient) -> None:
    person = individual(client)
    engaged = {"id": person["id"], "@referredType": "Individual"}
    customer = client.post(f"{CUSTOMER}/customer", json={"name": "Ada", "engagedParty": engaged})
    assert customer.status_code == 201, customer.text
    owner = {
        "id": customer.json()["id"],
        "name": "Ada",
        "@referredType": "Customer",
        "role": "owner",
    }
    billing_account(client, person, relatedParty=[owner])

    owner["id"] = "no-such-customer"
    refused(client, account_body(person, relatedParty=[owner]), "relatedParty[0].id")


# --- bad input: 400 naming the field, nothing written ------------------------------------


def test_unknown_owner_party_is_refused(client: TestClient) -> None:
    ghost = {"id": "nobody", "name": "Ghost", "@referredType": "Individual", "role": "owner"}
    refused(client, {"name": "x", "relatedParty": [ghost]}, "relatedParty[0].id")


def test_missing_owner_is_refused(client: TestClient) -> None:
    person = individual(client)
    payer = owner_ref(person, role="payer")
    refused(client, account_body(person, relatedParty=[payer]), "relatedParty")
    refused(client, {"name": "x"}, "relatedParty")
    two = [owner_ref(person, role="owner"), owner_ref(person, role="OWNER")]
    refused(client, account_body(person, relatedParty=two), "relatedParty[1].role")


def test_unknown_second_party_is_refused(client: TestClient) -> None:
    person = individual(client)
    stranger = {"id": "nobody", "name": "X", "@referredType": "Organization", "role": "payer"}
    parties = [owner_ref(person, role="owner"), stranger]
    refused(client, account_body(person, relatedParty=parties), "relatedParty[1].id")


def test_invalid_iban_is_refused(client: TestClient) -> None:
    person = individual(client)
    method = {"@type": "BankAccountDebit", "iban": "DE89370400440532013001"}
    refused(client, account_body(person, paymentMethod=method), "paymentMethod.iban")
    method = {"@type": "BankAccountDebit", "iban": IBAN, "bic": "NOPE"}
    refused(client, account_body(person, paymentMethod=method), "paymentMethod.bic")


def test_full_card_number_is_refused(client: TestClient) -> None:
    person = individual(client)
    card = {"@type": "BankCard", "cardNumber": "4111111111111111"}
    refused(client, account_body(person, paymentMethod=card), "paymentMethod.cardNumber")
    card = {"@type": "BankCard", "token": "4111 1111 1111 1111", "lastFourDigits": "1111"}
    refused(client, account_body(person, paymentMethod=card), "paymentMethod.token")
    card = {"@type": "BankCard", "token": "tok_abc", "brand": "Visa", "lastFourDigits": "1111"}
    assert billing_account(client, person, paymentMethod=card)["paymentMethod"] == card


def test_unknown_payment_method_type_is_refused(client: TestClient) -> None:
    person = individual(client)
    refused(client, account_body(person, paymentMethod={"@type": "Cheque"}), "paymentMethod.@type")
    assert billing_account(client, person, paymentMethod={"@type": "Cash"})["paymentMethod"]


def test_unknown_currency_is_refused(client: TestClient) -> None:
    person = individual(client)
    refused(client, account_body(person, currency="XYZ"), "currency")
    refused(
        client, account_body(person, creditLimit={"unit": "EURO", "value": 5}), "creditLimit.unit"
    )


def test_credit_limit_rules(client: TestClient) -> None:
    person = individual(client)
    refused(
        client, account_body(person, creditLimit={"unit": "EUR", "value": -1}), "creditLimit.value"
    )
    refused(
        client,
        account_body(person, creditLimit={"unit": "EUR", "value": 1.005}),
        "creditLimit.value",
    )
    other = account_body(person, currency="EUR", creditLimit={"unit": "USD", "value": 5})
    refused(client, other, "creditLimit.unit")


def test_unknown_bill_cycle_is_refused(client: TestClient) -> None:
    person = individual(client)
    structure = {"cycleSpecification": {"id": "nope", "name": "x", "isRef": True}}
    refused(
        client, account_body(person, billStructure=structure), "billStructure.cycleSpecification.id"
    )


def test_expired_bill_cycle_is_refused(client: TestClient) -> None:
    person = individual(client)
    old = cycle(
        client,
        validFor={"startDateTime": "2020-01-01T00:00:00Z", "endDateTime": "2021-01-01T00:00:00Z"},
    )
    refused(
        client,
        account_body(person, billStructure=cycle_ref(old)),
        "billStructure.cycleSpecification.id",
    )


def test_bad_contact_phone_is_refused(client: TestClient) -> None:
    person = individual(client)
    contact = {
        "contactType": "primary",
        "validFor": {},
        "contactMedium": [
            {"mediumType": "phone", "characteristic": {"phoneNumber": "020 7946 0018"}}
        ],
    }
    field = "contact[0].contactMedium[0].characteristic.phoneNumber"
    refused(client, account_body(person, contact=[contact]), field)


def test_account_cannot_start_closed(client: TestClient) -> None:
    person = individual(client)
    refused(client, account_body(person, state="Closed"), "state")
    refused(client, account_body(person, state="Bankrupt"), "state")


# --- lifecycle ---------------------------------------------------------------------------


def test_suspend_resume_close(client: TestClient) -> None:
    person = individual(client)
    url = f"{ACCOUNT}/billingAccount/{billing_account(client, person)['id']}"
    assert client.patch(url, json={"state": "Suspended"}).json()["state"] == "Suspended"
    assert client.patch(url, json={"state": "active"}).json()["state"] == "Active"
    assert client.patch(url, json={"state": "Closed"}).json()["state"] == "Closed"
    response = client.patch(url, json={"state": "Active"})
    assert response.status_code == 409
    assert "state" in response.json()["message"]


def test_closing_with_a_balance_is_refused(client: TestClient) -> None:
    person = individual(client)
    balance = {
        "balanceType": "receivable",
        "amount": {"unit": "EUR", "value": 12.5},
        "validFor": {"startDateTime": "2026-01-01T00:00:00Z"},
    }
    created = billing_account(client, person, accountBalance=[balance])
    url = f"{ACCOUNT}/billingAccount/{created['id']}"
    response = client.patch(url, json={"state": "Closed"})
    assert response.status_code == 409
    assert "accountBalance[0]" in response.json()["message"]
    assert client.get(url).json()["state"] == "Active"
    assert client.delete(url).status_code == 409

    balance["amount"]["value"] = 0
    assert client.patch(url, json={"accountBalance": [balance]}).status_code == 200
    assert client.patch(url, json={"state": "Closed"}).status_code == 200
    assert client.delete(url).status_code == 204


def test_patch_rules(client: TestClient, clock: FixedClock) -> None:
    person = individual(client)
    created = billing_account(client, person)
    url = f"{ACCOUNT}/billingAccount/{created['id']}"
    clock.advance(timedelta(hours=1))
    response = client.patch(url, json={"currency": "USD"})
    assert response.status_code == 400
    assert "currency" in response.json()["message"]
    assert client.patch(url, json={"lastModified": "2020-01-01T00:00:00Z"}).status_code == 400
    unchanged = client.patch(url, json={"name": created["name"]}).json()
    assert unchanged["lastModified"] == created["lastModified"]
    renamed = client.patch(url, json={"name": "Renamed"}).json()
    assert renamed["lastModified"] == "2026-01-15T10:30:00.000Z"
    bad = {"@type": "BankAccountDebit", "iban": "GB00WEST12345698765432"}
    response = client.patch(url, json={"paymentMethod": bad})
    assert response.status_code == 400
    assert "paymentMethod.iban" in response.json()["message"]
    assert client.get(url).json() == renamed


# --- listing and filters -----------------------------------------------------------------


def test_filters_on_indexed_columns_and_refs(client: TestClient) -> None:
    ada = individual(client)
    bob = individual(client)
    spec = cycle(client)
    first = billing_account(client, ada, accountType="residential", billStructure=cycle_ref(spec))
    second = billing_account(
        client, bob, accountType="business", creditLimit={"unit": "GBP", "value": 9}
    )
    client.patch(f"{ACCOUNT}/billingAccount/{second['id']}", json={"state": "Suspended"})

    def ids(query: str) -> list[str]:
        response = client.get(f"{ACCOUNT}/billingAccount?{query}")
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()]

    assert ids(f"relatedParty.id={ada['id']}") == [first["id"]]
    assert ids("state=Active") == [first["id"]]
    assert ids("state=Active,Suspended") == [first["id"], second["id"]]
    assert ids("accountType=business") == [second["id"]]
    assert ids("currency=GBP") == [second["id"]]
    assert ids(f"billStructure.cycleSpecification.id={spec['id']}") == [first["id"]]
    assert ids("lastModified.gte=2026-01-15T00:00:00Z") == [first["id"], second["id"]]
    assert ids("name=Ada's%20broadband") == [first["id"], second["id"]]
    page = client.get(f"{ACCOUNT}/billingAccount?fields=name&limit=1")
    assert page.headers["X-Total-Count"] == "2"
    assert page.json() == [{"id": first["id"], "href": first["href"], "name": first["name"]}]


# --- bill cycles and party accounts ------------------------------------------------------


def test_bill_cycle_rules(client: TestClient) -> None:
    default = cycle(client, frequency="Quarterly")
    assert default["frequency"] == "quarterly"
    plain = client.post(f"{ACCOUNT}/billingCycleSpecification", json={"name": "Plain"}).json()
    assert (plain["frequency"], plain["billingDateShift"]) == ("monthly", 1)
    for body, field in (
        ({"name": "x", "billingDateShift": 29}, "billingDateShift"),
        ({"name": "x", "billingDateShift": 0}, "billingDateShift"),
        ({"name": "x", "frequency": "fortnightly"}, "frequency"),
        ({"name": "x", "paymentDueDateOffset": -1}, "paymentDueDateOffset"),
        (
            {
                "name": "x",
                "validFor": {
                    "startDateTime": "2026-02-01T00:00:00Z",
                    "endDateTime": "2026-01-01T00:00:00Z",
                },
            },
            "validFor.endDateTime",
        ),
    ):
        response = client.post(f"{ACCOUNT}/billingCycleSpecification", json=body)
        assert response.status_code == 400, body
        assert field in response.json()["message"]
    assert total(client, "billingCycleSpecification") == "2"


def test_bill_cycle_in_use_cannot_be_deleted(client: TestClient) -> None:
    person = individual(client)
    spec = cycle(client)
    billing_account(client, person, billStructure=cycle_ref(spec))
    url = f"{ACCOUNT}/billingCycleSpecification/{spec['id']}"
    assert client.delete(url).status_code == 409
    assert (
        client.delete(f"{ACCOUNT}/billingCycleSpecification/{cycle(client)['id']}").status_code
        == 204
    )


def test_party_account_shares_the_rules(client: TestClient) -> None:
    person = individual(client)
    response = client.post(f"{ACCOUNT}/partyAccount", json=account_body(person))
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "Active"
    response = client.post(f"{ACCOUNT}/partyAccount", json=account_body(person, currency="ZZZ"))
    assert response.status_code == 400
    assert total(client, "partyAccount") == "1"


def test_hub_registration(client: TestClient) -> None:
    response = client.post(f"{ACCOUNT}/hub", json={"callback": "http://127.0.0.1:9/listener"})
    assert response.status_code == 201, response.text
    assert client.delete(f"{ACCOUNT}/hub/{response.json()['id']}").status_code == 204


@pytest.mark.parametrize(("role", "status"), [("billing", 201), ("csr", 201), ("readonly", 403)])
def test_write_roles(
    app_client: TestClient, platform: bootstrap.Platform, role: str, status: int
) -> None:
    app_client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
    person = individual(app_client)
    app_client.headers["Authorization"] = f"Bearer {key_for(platform, role)}"
    response = app_client.post(f"{ACCOUNT}/billingAccount", json=account_body(person))
    assert response.status_code == status, response.text


# --- public functions for higher rooms ---------------------------------------------------


def test_public_functions(client: TestClient, platform: bootstrap.Platform) -> None:
    person = individual(client)
    spec = cycle(client, paymentDueDateOffset=14)
    rich = billing_account(
        client, person, creditLimit={"unit": "EUR", "value": 500}, billStructure=cycle_ref(spec)
    )
    plain = billing_account(client, person)
    client.patch(f"{ACCOUNT}/billingAccount/{plain['id']}", json={"state": "Suspended"})

    with platform.database.unit_of_work(write=False) as session:
        assert account.get_billing_account(session, account_id=rich["id"])["name"] == rich["name"]
        assert account.billing_account_is_active(session, account_id=rich["id"])
        assert not account.billing_account_is_active(session, account_id=plain["id"])
        assert account.credit_limit(session, account_id=rich["id"]) == Money("EUR", 50000)
        assert account.credit_limit(session, account_id=plain["id"]) is None
        bill_cycle = account.bill_cycle_for(session, account_id=rich["id"])
        assert bill_cycle is not None
        assert (bill_cycle.id, bill_cycle.billing_day, bill_cycle.months) == (spec["id"], 5, 1)
        assert bill_cycle.payment_due_days == 14
        assert account.bill_cycle_for(session, account_id=plain["id"]) is None
        owned = account.billing_account_ids_owned_by(session, party_id=person["id"])
        assert owned == [rich["id"], plain["id"]]
        with pytest.raises(NotFound):
            account.billing_account_is_active(session, account_id="nope")
