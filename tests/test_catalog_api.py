"""TMF620 behaviour through the HTTP API: references, bundles, prices, lifecycles, filters."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

BASE = "/tmf-api/productCatalogManagement/v4"
EUR = {"unit": "EUR", "value": 29.99}


def make(client: TestClient, resource: str, **body: Any) -> dict[str, Any]:
    body.setdefault("name", f"a {resource}")
    response = client.post(f"{BASE}/{resource}", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def total(client: TestClient, resource: str) -> int:
    return int(client.get(f"{BASE}/{resource}").headers["X-Total-Count"])


def refused(response: Any, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()
    assert error["code"]
    assert error["reason"]
    assert field in error["message"], error["message"]
    return error


def monthly(client: TestClient, **extra: Any) -> dict[str, Any]:
    body = {"priceType": "recurring", "recurringChargePeriodType": "month", "price": EUR}
    return make(client, "productOfferingPrice", **{**body, **extra})


def patch(client: TestClient, resource: str, item: dict[str, Any], **changes: Any) -> Any:
    return client.patch(f"{BASE}/{resource}/{item['id']}", json=changes)


# --- defaults, lifecycle ------------------------------------------------------------------


def test_new_entities_start_in_study_with_a_server_set_last_update(client: TestClient) -> None:
    for resource in ("catalog", "category", "productSpecification", "productOffering"):
        body = make(client, resource)
        assert body["lifecycleStatus"] == "In study"
        assert body["lastUpdate"] == "2026-01-15T09:30:00.000Z"
        assert body["href"].startswith(f"http://testserver{BASE}/{resource}/")


def test_lifecycle_spelling_is_normalised_and_unknown_values_refused(client: TestClient) -> None:
    assert (
        make(client, "productSpecification", lifecycleStatus="in design")["lifecycleStatus"]
        == "In design"
    )
    refused(
        client.post(f"{BASE}/catalog", json={"name": "c", "lifecycleStatus": "Live"}),
        400,
        "lifecycleStatus",
    )
    refused(
        client.post(f"{BASE}/catalog", json={"name": "c", "lifecycleStatus": "Retired"}),
        400,
        "lifecycleStatus",
    )


def test_launch_stamps_the_start_and_obsolete_is_final(client: TestClient, clock: Any) -> None:
    offering = make(client, "productOffering")
    launched = patch(client, "productOffering", offering, lifecycleStatus="Launched").json()
    assert launched["validFor"]["startDateTime"] == "2026-01-15T09:30:00.000Z"
    refused(
        patch(client, "productOffering", offering, lifecycleStatus="In design"),
        409,
        "lifecycleStatus",
    )
    assert patch(client, "productOffering", offering, lifecycleStatus="Retired").status_code == 200
    assert patch(client, "productOffering", offering, lifecycleStatus="Obsolete").status_code == 200
    refused(
        patch(client, "productOffering", offering, lifecycleStatus="Launched"),
        409,
        "lifecycleStatus",
    )


def test_pre_launch_states_move_freely_and_retired_may_relaunch(client: TestClient) -> None:
    spec = make(client, "productSpecification", lifecycleStatus="In test")
    assert (
        patch(client, "productSpecification", spec, lifecycleStatus="In design").status_code == 200
    )
    assert (
        patch(client, "productSpecification", spec, lifecycleStatus="Launched").status_code == 200
    )
    assert patch(client, "productSpecification", spec, lifecycleStatus="Retired").status_code == 200
    assert (
        patch(client, "productSpecification", spec, lifecycleStatus="Launched").status_code == 200
    )


def test_state_change_and_last_update_are_tracked(client: TestClient, clock: Any) -> None:
    from datetime import timedelta

    offering = make(client, "productOffering")
    clock.advance(timedelta(hours=1))
    changed = patch(client, "productOffering", offering, description="new").json()
    assert changed["lastUpdate"] == "2026-01-15T10:30:00.000Z"
    refused(
        patch(client, "productOffering", offering, lastUpdate="2020-01-01T00:00:00Z"),
        400,
        "lastUpdate",
    )


def test_valid_for_ending_before_it_starts_is_refused(client: TestClient) -> None:
    period = {"startDateTime": "2026-02-01T00:00:00Z", "endDateTime": "2026-01-01T00:00:00Z"}
    for resource in ("catalog", "productOffering", "productOfferingPrice"):
        response = client.post(f"{BASE}/{resource}", json={"name": "x", "validFor": period})
        refused(response, 400, "validFor.endDateTime")
        assert total(client, resource) == 0


# --- prices ---------------------------------------------------------------------------------


def test_recurring_price_defaults_its_period(client: TestClient) -> None:
    price = monthly(client, recurringChargePeriodType="monthly")
    assert price["recurringChargePeriodType"] == "month"
    assert price["recurringChargePeriodLength"] == 1
    assert price["price"] == EUR


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"priceType": "oneTime", "price": {"unit": "XYZ", "value": 10}}, "price.unit"),
        ({"priceType": "oneTime", "price": {"unit": "eur", "value": 10}}, "price.unit"),
        ({"priceType": "oneTime", "price": {"unit": "EUR", "value": -1}}, "price.value"),
        ({"priceType": "oneTime", "price": {"unit": "EUR", "value": 9.999}}, "price.value"),
        ({"priceType": "oneTime", "price": {"unit": "JPY", "value": 10.5}}, "price.value"),
        ({"priceType": "oneTime", "price": {"value": 10}}, "price.unit"),
        (
            {"priceType": "oneTime", "price": {"taxIncludedAmount": {"unit": "EUX", "value": 1}}},
            "price.taxIncludedAmount.unit",
        ),
        ({"priceType": "recurring", "price": EUR}, "recurringChargePeriodType"),
        (
            {"priceType": "oneTime", "price": EUR, "recurringChargePeriodType": "month"},
            "recurringChargePeriodType",
        ),
        ({"priceType": "rebate", "price": EUR}, "priceType"),
        ({"priceType": "oneTime"}, "price"),
        ({"priceType": "usage", "price": EUR}, "unitOfMeasure"),
        ({"priceType": "oneTime", "price": EUR, "tier": []}, "tier"),
        ({"lifecycleStatus": "Launched"}, "priceType"),
    ],
)
def test_bad_prices_are_400_naming_the_field_and_write_nothing(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"{BASE}/productOfferingPrice", json={"name": "p", **body})
    refused(response, 400, field)
    assert total(client, "productOfferingPrice") == 0


def test_price_form_with_tax_amounts_is_accepted(client: TestClient) -> None:
    amounts = {
        "taxIncludedAmount": {"unit": "EUR", "value": 24.0},
        "dutyFreeAmount": {"unit": "EUR", "value": 20},
        "taxRate": 20,
    }
    price = make(client, "productOfferingPrice", priceType="oneTime", price=amounts)
    assert price["price"] == amounts
    mixed = {**amounts, "dutyFreeAmount": {"unit": "USD", "value": 20}}
    response = client.post(
        f"{BASE}/productOfferingPrice", json={"name": "p", "priceType": "oneTime", "price": mixed}
    )
    refused(response, 400, "price.dutyFreeAmount.unit")


def test_usage_price_with_tiers_and_an_allowance(client: TestClient) -> None:
    body = {
        "priceType": "usage",
        "unitOfMeasure": {"amount": 1, "units": "MB"},
        "includedQuantity": {"amount": 1024, "units": "MB"},
        "tier": [
            {"fromQuantity": 0, "toQuantity": 1024, "price": {"unit": "EUR", "value": 0}},
            {"fromQuantity": 1024, "toQuantity": 10240, "price": {"unit": "EUR", "value": 0.01}},
            {"fromQuantity": 10240, "price": {"unit": "EUR", "value": 0.005}},
        ],
    }
    price = make(client, "productOfferingPrice", **body)
    assert price["@type"] == "UsageProductOfferingPrice"
    assert price["tier"] == body["tier"]
    listed = client.get(f"{BASE}/productOfferingPrice", params={"priceType": "usage"})
    assert [p["id"] for p in listed.json()] == [price["id"]]


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        ([{"fromQuantity": 1, "price": EUR}], "tier[0].fromQuantity"),
        (
            [
                {"fromQuantity": 0, "toQuantity": 100, "price": EUR},
                {"fromQuantity": 90, "price": EUR},
            ],
            "tier[1].fromQuantity",
        ),
        (
            [
                {"fromQuantity": 0, "toQuantity": 100, "price": EUR},
                {"fromQuantity": 110, "price": EUR},
            ],
            "tier[1].fromQuantity",
        ),
        (
            [{"fromQuantity": 0, "price": EUR}, {"fromQuantity": 100, "price": EUR}],
            "tier[0].toQuantity",
        ),
        ([{"fromQuantity": 0, "toQuantity": 0, "price": EUR}], "tier[0].toQuantity"),
        (
            [
                {"fromQuantity": 0, "toQuantity": 100, "price": EUR},
                {"fromQuantity": 100, "price": {"unit": "USD", "value": 1}},
            ],
            "tier[1].price.unit",
        ),
    ],
)
def test_tiers_must_be_contiguous_half_open_bands(
    client: TestClient, tiers: list[dict[str, Any]], field: str
) -> None:
    body = {"name": "data", "priceType": "usage", "unitOfMeasure": {"units": "MB"}, "tier": tiers}
    refused(client.post(f"{BASE}/productOfferingPrice", json=body), 400, field)
    assert total(client, "productOfferingPrice") == 0


def test_launched_price_terms_are_frozen_but_it_can_be_ended(client: TestClient) -> None:
    price = monthly(client, lifecycleStatus="Launched")
    error = refused(
        patch(client, "productOfferingPrice", price, price={"unit": "EUR", "value": 39.99}),
        409,
        "price",
    )
    assert "new productOfferingPrice" in error["message"]
    refused(
        patch(client, "productOfferingPrice", price, recurringChargePeriodLength=2),
        409,
        "recurringChargePeriodLength",
    )
    assert client.get(f"{BASE}/productOfferingPrice/{price['id']}").json()["price"] == EUR

    ended = patch(
        client,
        "productOfferingPrice",
        price,
        validFor={**price["validFor"], "endDateTime": "2026-06-01T00:00:00Z"},
    )
    assert ended.status_code == 200, ended.text
    assert (
        patch(client, "productOfferingPrice", price, lifecycleStatus="Retired").status_code == 200
    )
    refused(patch(client, "productOfferingPrice", price, priceType="oneTime"), 409, "priceType")


def test_price_used_by_a_launched_offering_is_frozen(client: TestClient) -> None:
    price = monthly(client, lifecycleStatus="In test")
    make(
        client,
        "productOffering",
        lifecycleStatus="Launched",
        productOfferingPrice=[{"id": price["id"]}],
    )
    response = patch(client, "productOfferingPrice", price, price={"unit": "EUR", "value": 1})
    refused(response, 409, "price")
    assert patch(client, "productOfferingPrice", price, name="Renamed").status_code == 200


def test_draft_price_may_change(client: TestClient) -> None:
    price = monthly(client)
    changed = patch(client, "productOfferingPrice", price, price={"unit": "EUR", "value": 19.99})
    assert changed.status_code == 200
    assert changed.json()["price"]["value"] == 19.99


# --- offerings: references and bundles ------------------------------------------------------


def test_offering_references_must_exist(client: TestClient) -> None:
    price = monthly(client)
    body = {
        "name": "Fibre 1G",
        "productOfferingPrice": [{"id": price["id"]}, {"id": "nope"}],
    }
    refused(client.post(f"{BASE}/productOffering", json=body), 400, "productOfferingPrice[1].id")
    body = {"name": "Fibre 1G", "productSpecification": {"id": "ghost"}}
    refused(client.post(f"{BASE}/productOffering", json=body), 400, "productSpecification.id")
    body = {"name": "Fibre 1G", "category": [{"id": "ghost"}]}
    refused(client.post(f"{BASE}/productOffering", json=body), 400, "category[0].id")
    assert total(client, "productOffering") == 0


def test_bundle_rules(client: TestClient) -> None:
    refused(
        client.post(f"{BASE}/productOffering", json={"name": "b", "isBundle": True}),
        400,
        "bundledProductOffering",
    )
    part = make(client, "productOffering", name="TV")
    other = make(client, "productOffering", name="Phone")
    refused(
        client.post(
            f"{BASE}/productOffering",
            json={"name": "b", "bundledProductOffering": [{"id": part["id"]}]},
        ),
        400,
        "isBundle",
    )
    items = [{"id": part["id"]}, {"id": part["id"]}]
    refused(
        client.post(
            f"{BASE}/productOffering",
            json={"name": "b", "isBundle": True, "bundledProductOffering": items},
        ),
        400,
        "bundledProductOffering[1].id",
    )
    bundle = make(
        client,
        "productOffering",
        name="Triple",
        isBundle=True,
        bundledProductOffering=[{"id": part["id"]}],
    )
    itself = [{"id": part["id"]}, {"id": bundle["id"]}]
    refused(
        patch(client, "productOffering", bundle, bundledProductOffering=itself),
        400,
        "bundledProductOffering[1].id",
    )
    # part may not bundle the bundle that already contains it
    cycle = patch(
        client,
        "productOffering",
        part,
        isBundle=True,
        bundledProductOffering=[{"id": bundle["id"]}],
    )
    refused(cycle, 400, "bundledProductOffering[0].id")
    grown = patch(
        client,
        "productOffering",
        bundle,
        bundledProductOffering=[*bundle["bundledProductOffering"], {"id": other["id"]}],
    )
    assert grown.status_code == 200, grown.text
    refused(client.delete(f"{BASE}/productOffering/{part['id']}"), 409, "id")


def test_referenced_spec_price_and_category_cannot_be_deleted(client: TestClient) -> None:
    spec = make(client, "productSpecification")
    price = monthly(client)
    category = make(client, "category")
    offering = make(
        client,
        "productOffering",
        productSpecification={"id": spec["id"]},
        productOfferingPrice=[{"id": price["id"]}],
        category=[{"id": category["id"]}],
    )
    for resource, item in (
        ("productSpecification", spec),
        ("productOfferingPrice", price),
        ("category", category),
    ):
        refused(client.delete(f"{BASE}/{resource}/{item['id']}"), 409, "id")
    assert client.delete(f"{BASE}/productOffering/{offering['id']}").status_code == 204
    assert client.delete(f"{BASE}/productOfferingPrice/{price['id']}").status_code == 204


def test_launched_entities_cannot_be_deleted(client: TestClient) -> None:
    offering = make(client, "productOffering", lifecycleStatus="Launched")
    refused(client.delete(f"{BASE}/productOffering/{offering['id']}"), 409, "lifecycleStatus")


# --- categories -------------------------------------------------------------------------------


def test_category_tree_rules(client: TestClient) -> None:
    root = make(client, "category", name="Internet")
    assert root["isRoot"] is True
    child = make(client, "category", name="Fibre", parentId=root["id"])
    assert child["isRoot"] is False
    refused(
        client.post(f"{BASE}/category", json={"name": "x", "parentId": "ghost"}), 400, "parentId"
    )
    refused(
        client.post(f"{BASE}/category", json={"name": "x", "isRoot": True, "parentId": root["id"]}),
        400,
        "isRoot",
    )
    refused(client.post(f"{BASE}/category", json={"name": "x", "isRoot": False}), 400, "parentId")
    refused(patch(client, "category", root, isRoot=False, parentId=child["id"]), 400, "parentId")
    refused(client.delete(f"{BASE}/category/{root['id']}"), 409, "id")
    listed = client.get(f"{BASE}/category", params={"parentId": root["id"]})
    assert [c["id"] for c in listed.json()] == [child["id"]]


# --- filters on indexed columns and references ----------------------------------------------


def test_filters_on_columns_and_refs(client: TestClient) -> None:
    fibre = make(client, "category", name="Fibre")
    mobile = make(client, "category", name="Mobile")
    spec = make(
        client, "productSpecification", relatedParty=[{"id": "p1", "@referredType": "Organization"}]
    )
    first = make(
        client,
        "productOffering",
        name="Fibre 1G",
        lifecycleStatus="Launched",
        category=[{"id": fibre["id"]}],
        productSpecification={"id": spec["id"]},
        validFor={"startDateTime": "2026-01-01T00:00:00Z"},
    )
    second = make(
        client,
        "productOffering",
        name="Mobile 5G",
        category=[{"id": mobile["id"]}, {"id": fibre["id"]}],
        validFor={"startDateTime": "2026-03-01T00:00:00Z"},
    )

    def ids(**params: str) -> list[str]:
        response = client.get(f"{BASE}/productOffering", params=params)
        assert response.status_code == 200, response.text
        return sorted(o["id"] for o in response.json())

    assert ids(lifecycleStatus="Launched") == [first["id"]]
    assert ids(**{"category.id": mobile["id"]}) == [second["id"]]
    assert ids(**{"category.id": fibre["id"]}) == sorted([first["id"], second["id"]])
    assert ids(**{"productSpecification.id": spec["id"]}) == [first["id"]]
    assert ids(**{"validFor.startDateTime.gte": "2026-02-01T00:00:00Z"}) == [second["id"]]
    assert ids(lifecycleStatus="Launched,In study") == sorted([first["id"], second["id"]])
    specs = client.get(f"{BASE}/productSpecification", params={"relatedParty.id": "p1"}).json()
    assert [s["id"] for s in specs] == [spec["id"]]


# --- public functions for other rooms ----------------------------------------------------------


def test_orderability_and_prices_at_an_instant(client: TestClient, platform: Any) -> None:
    from datetime import UTC, datetime

    from ossbss import catalog
    from ossbss.kernel import Money

    old = monthly(
        client,
        lifecycleStatus="Launched",
        validFor={"startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2026-03-01T00:00:00Z"},
    )
    new = monthly(
        client,
        lifecycleStatus="Launched",
        price={"unit": "EUR", "value": 34.99},
        validFor={"startDateTime": "2026-03-01T00:00:00Z"},
    )
    draft = monthly(client)
    offering = make(
        client,
        "productOffering",
        lifecycleStatus="Launched",
        validFor={"startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"},
        productOfferingPrice=[{"id": old["id"]}, {"id": new["id"]}, {"id": draft["id"]}],
    )
    with platform.database.unit_of_work(write=False) as session:
        in_feb = datetime(2026, 2, 1, tzinfo=UTC)
        in_march = datetime(2026, 3, 1, tzinfo=UTC)  # half-open: the old price ends here
        assert catalog.offering_is_orderable(session, offering_id=offering["id"], at=in_feb)
        assert not catalog.offering_is_orderable(
            session, offering_id=offering["id"], at=datetime(2027, 1, 1, tzinfo=UTC)
        )
        assert not catalog.offering_is_orderable(session, offering_id="ghost", at=in_feb)
        [feb] = catalog.prices_for_offering(session, offering_id=offering["id"], at=in_feb)
        assert feb.id == old["id"]
        assert feb.amount is not None
        assert feb.amount.duty_free is not None
        assert feb.amount.duty_free.to_money() == Money("EUR", 2999)
        assert (feb.period_type, feb.period_length) == ("month", 1)
        [march] = catalog.prices_for_offering(session, offering_id=offering["id"], at=in_march)
        assert march.id == new["id"]
        assert catalog.get_price(session, price_id=draft["id"]).lifecycle_status == "In study"
        assert (
            catalog.get_offering(session, offering_id=offering["id"])["name"] == "a productOffering"
        )


def test_hub_registration_for_the_catalog_api(client: TestClient) -> None:
    response = client.post(f"{BASE}/hub", json={"callback": "http://127.0.0.1:9/listener"})
    assert response.status_code == 201
    assert client.delete(f"{BASE}/hub/{response.json()['id']}").status_code == 204
