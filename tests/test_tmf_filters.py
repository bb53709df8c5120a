"""Filters that reach into nested objects and arrays, and bad filter input."""

from __future__ import annotations

from fastapi.testclient import TestClient

INDIVIDUAL = "/tmf-api/party/v4/individual"


def person(client: TestClient, family: str, **extra: object) -> dict:
    response = client.post(INDIVIDUAL, json={"givenName": "G", "familyName": family, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def address(city: str, country: str = "FR") -> dict:
    return {"mediumType": "postalAddress", "characteristic": {"city": city, "country": country}}


def ids(response: object) -> set[str]:
    return {item["id"] for item in response.json()}  # type: ignore[attr-defined]


def test_dot_notation_reaches_through_arrays_of_objects(client: TestClient) -> None:
    paris = person(client, "A", contactMedium=[address("Lyon"), address("Paris")])
    person(client, "B", contactMedium=[address("Lyon")])
    found = client.get(INDIVIDUAL, params={"contactMedium.characteristic.city": "Paris"})
    assert ids(found) == {paris["id"]}
    assert found.headers["X-Total-Count"] == "1"


def test_related_party_ids_are_found_through_the_reference_index(client: TestClient) -> None:
    ref = {"id": "p-42", "role": "guardian", "@referredType": "Individual"}
    child = person(
        client, "Child", relatedParty=[{"id": "p-7", "@referredType": "Individual"}, ref]
    )
    person(client, "Other", relatedParty=[{"id": "p-7", "@referredType": "Individual"}])
    assert ids(client.get(INDIVIDUAL, params={"relatedParty.id": "p-42"})) == {child["id"]}
    assert len(ids(client.get(INDIVIDUAL, params={"relatedParty.id": "p-7,p-42"}))) == 2
    # The index follows changes: after a patch the old reference no longer matches.
    client.patch(f"{INDIVIDUAL}/{child['id']}", json={"relatedParty": [ref | {"id": "p-43"}]})
    assert ids(client.get(INDIVIDUAL, params={"relatedParty.id": "p-42"})) == set()
    assert ids(client.get(INDIVIDUAL, params={"relatedParty.id": "p-43"})) == {child["id"]}


def test_filters_combine_with_and(client: TestClient) -> None:
    target = person(client, "Same", gender="female")
    person(client, "Same", gender="male")
    found = client.get(INDIVIDUAL, params={"familyName": "Same", "gender": "female"})
    assert ids(found) == {target["id"]}


def test_nested_object_attribute_and_date_ranges(client: TestClient) -> None:
    early = person(client, "Early", birthDate="1990-01-01T00:00:00Z")
    late = person(client, "Late", birthDate="2001-06-30T00:00:00Z")
    assert ids(client.get(INDIVIDUAL, params={"birthDate.gte": "2000-01-01"})) == {late["id"]}
    assert ids(client.get(INDIVIDUAL, params={"birthDate.lt": "2000-01-01"})) == {early["id"]}


def test_booleans_in_documents_filter_as_true_and_false(client: TestClient) -> None:
    preferred = {
        "mediumType": "email",
        "preferred": True,
        "characteristic": {"emailAddress": "a@example.com"},
    }
    other = {
        "mediumType": "email",
        "preferred": False,
        "characteristic": {"emailAddress": "b@example.com"},
    }
    yes = person(client, "Yes", contactMedium=[preferred])
    no = person(client, "No", contactMedium=[other])
    assert ids(client.get(INDIVIDUAL, params={"contactMedium.preferred": "true"})) == {yes["id"]}
    assert ids(client.get(INDIVIDUAL, params={"contactMedium.preferred": "false"})) == {no["id"]}


def test_bad_paging_and_filter_parameters_are_400(client: TestClient) -> None:
    for params in ({"limit": "many"}, {"offset": "-1"}, {"familyName.gt": "a,b"}, {"a'b": "x"}):
        response = client.get(INDIVIDUAL, params=params)
        assert response.status_code == 400, params
        assert response.json()["reason"]


def test_offset_and_limit_take_plain_digits_only(client: TestClient) -> None:
    # int() used to accept these, so schema-violating paging was served with a 200.
    for raw in ("\f4", " 4", "4 ", "1_0", "\u0664", "+4", "0x4"):
        for name in ("offset", "limit"):
            response = client.get(INDIVIDUAL, params={name: raw})
            assert response.status_code == 400, (name, raw)
            assert name in response.json()["message"]
    assert client.get(INDIVIDUAL, params={"offset": "0", "limit": "007"}).status_code == 200


def test_sort_by_a_nested_attribute(client: TestClient) -> None:
    person(client, "Z", contactMedium=[address("Bordeaux")])
    person(client, "Y", contactMedium=[address("Angers")])
    listed = client.get(INDIVIDUAL, params={"sort": "contactMedium.characteristic.city"}).json()
    assert [p["familyName"] for p in listed] == ["Y", "Z"]
