"""tmf.reindex: rows written before a derived column or an indexed path existed get them (what
the console-search migration runs over the customers and parties already stored)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from ossbss import bootstrap, party, tmf
from ossbss.party.models import Customer
from ossbss.tmf import RefIndex

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


def test_reindex_restores_search_keys_and_reference_rows(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    person = client.post(
        "/tmf-api/party/v4/individual", json={"givenName": "Édith", "familyName": "Piaf"}
    ).json()
    body = {
        "name": "Édith Piaf",
        "engagedParty": {"id": person["id"], "@referredType": "Individual"},
        "contactMedium": [
            {"mediumType": "email", "characteristic": {"emailAddress": "edith@example.com"}}
        ],
    }
    created = client.post(CUSTOMERS, json=body)
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]

    def found(text: str) -> list[str]:
        with platform.database.unit_of_work(write=False) as session:
            return [hit.id for hit in party.search_customers(session, text=text).hits]

    assert found("piaf") == found("edith@example.com") == [customer_id]
    with platform.database.unit_of_work() as session:  # as stored before the migration
        session.execute(update(Customer).values(name_key=None, name_rkey=None))
        session.execute(delete(RefIndex).where(RefIndex.resource == "customer"))
    assert found("piaf") == found("edith@example.com") == []

    with platform.database.unit_of_work() as session:
        assert tmf.reindex(session, party.CUSTOMER, batch_size=1) == 1
    assert found("piaf") == found("edith@example.com") == [customer_id]
    assert client.get(CUSTOMERS, params={"name": "Édith Piaf"}).json()[0]["id"] == customer_id
