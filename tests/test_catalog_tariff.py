"""The usage tariff extension of TMF620 prices: validated on write (400 naming the field),
parsed into the Tariff the raters read, and found per offering with its history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ossbss import bootstrap, catalog
from ossbss.catalog import Increment, parse_tariff, select_tariff
from ossbss.kernel.errors import InvalidInput

BASE = "/tmf-api/productCatalogManagement/v4"
EUR = {"unit": "EUR", "value": 0.05}
VOICE: dict[str, Any] = {
    "name": "calls",
    "priceType": "usage",
    "unitOfMeasure": {"amount": 1, "units": "min"},
    "price": EUR,
}
BAND = {
    "name": "evening",
    "weekdays": ["mon", "tue"],
    "startTime": "20:00",
    "endTime": "24:00",
    "percentage": 50,
}
ZONE = {"name": "UK", "prefixes": ["44"], "price": EUR}


def post(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post(f"{BASE}/productOfferingPrice", json=body)


def refused_at(client: TestClient, body: dict[str, Any], field: str) -> None:
    response = post(client, body)
    assert response.status_code == 400, response.text
    assert field in response.json()["message"], response.json()["message"]


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"unitOfMeasure": {"units": "parsec"}}, "unitOfMeasure.units"),
        ({"unitOfMeasure": {"amount": 0, "units": "min"}}, "unitOfMeasure.amount"),
        ({"billingIncrement": {"first": 60}}, "billingIncrement.next"),
        ({"billingIncrement": {"first": 0, "next": 60}}, "billingIncrement.first"),
        ({"billingIncrement": {"first": 1.5, "next": 60}}, "billingIncrement.first"),
        ({"billingIncrement": 60}, "billingIncrement"),
        ({"timeZone": "Mars/Olympus"}, "timeZone"),
        ({"timeBand": [{**BAND, "weekdays": ["monday"]}]}, "timeBand[0].weekdays[0]"),
        ({"timeBand": [{**BAND, "weekdays": []}]}, "timeBand[0].weekdays"),
        ({"timeBand": [{**BAND, "startTime": "8:00"}]}, "timeBand[0].startTime"),
        ({"timeBand": [{**BAND, "endTime": "24:01"}]}, "timeBand[0].endTime"),
        ({"timeBand": [{**BAND, "startTime": "22:00", "endTime": "06:00"}]}, "timeBand[0].endTime"),
        ({"timeBand": [{**BAND, "percentage": -1}]}, "timeBand[0].percentage"),
        ({"timeBand": [{**BAND, "percentage": 33.333}]}, "timeBand[0].percentage"),
        ({"timeBand": [{**BAND, "name": ""}]}, "timeBand[0].name"),
        (
            {
                "timeBand": [
                    BAND,
                    {**BAND, "name": "late", "weekdays": ["tue"], "startTime": "23:00"},
                ]
            },
            "timeBand[1]",
        ),
        ({"timeBand": [BAND, {**BAND, "weekdays": ["wed"]}]}, "timeBand[1].name"),
        ({"fairUsage": {"policy": "throttle"}}, "includedQuantity"),
        ({"rollover": {"maxQuantity": {"amount": 10, "units": "min"}}}, "includedQuantity"),
    ],
)
def test_bad_tariff_terms_are_400_naming_the_field(
    client: TestClient, terms: dict[str, Any], field: str
) -> None:
    refused_at(client, {**VOICE, **terms}, field)
    assert client.get(f"{BASE}/productOfferingPrice").headers["X-Total-Count"] == "0"


ALLOWANCE = {"includedQuantity": {"amount": 100, "units": "min"}}


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"fairUsage": {"policy": "slow"}}, "fairUsage.policy"),
        (
            {"fairUsage": {"policy": "throttle", "throttleDownKbps": 512}},
            "fairUsage.throttleUpKbps",
        ),
        ({"fairUsage": {"policy": "block", "throttleDownKbps": 512}}, "fairUsage.throttleDownKbps"),
        ({"rollover": {"maxQuantity": {"amount": 1, "units": "GB"}}}, "rollover.maxQuantity.units"),
        ({"rollover": {}}, "rollover.maxQuantity"),
    ],
)
def test_fair_usage_and_rollover_are_checked(
    client: TestClient, terms: dict[str, Any], field: str
) -> None:
    refused_at(client, {**VOICE, **ALLOWANCE, **terms}, field)


ZONED = {**VOICE, "price": None}


@pytest.mark.parametrize(
    ("zones", "extra", "field"),
    [
        ([{**ZONE, "prefixes": ["+44"]}], {}, "destinationZone[0].prefixes[0]"),
        ([{**ZONE, "prefixes": []}], {}, "destinationZone[0].prefixes"),
        ([ZONE, {**ZONE, "name": "UK2"}], {}, "destinationZone[1].prefixes[0]"),
        ([ZONE, {**ZONE, "prefixes": ["33"]}], {}, "destinationZone[1].name"),
        (
            [ZONE, {"name": "US", "prefixes": ["1"], "price": {"unit": "USD", "value": 1}}],
            {},
            "destinationZone[1].price.unit",
        ),
        ([ZONE], {"price": EUR}, "price"),
        ([ZONE], {"tier": [{"fromQuantity": 0, "price": EUR}]}, "tier"),
        ([ZONE], {"unitOfMeasure": {"units": "MB"}}, "destinationZone"),
        ([{"name": "nowhere", "prefixes": ["9"]}], {}, "price"),
    ],
)
def test_destination_zones_are_checked(
    client: TestClient, zones: list[dict[str, Any]], extra: dict[str, Any], field: str
) -> None:
    body = {key: value for key, value in {**ZONED, **extra}.items() if value is not None}
    refused_at(client, {**body, "destinationZone": zones}, field)


def test_tariff_terms_are_refused_on_other_price_types(client: TestClient) -> None:
    body = {"name": "fee", "priceType": "oneTime", "price": {"unit": "EUR", "value": 5}}
    refused_at(client, {**body, "billingIncrement": {"first": 1, "next": 1}}, "billingIncrement")
    refused_at(client, {**body, "timeBand": [BAND]}, "timeBand")


def test_a_full_tariff_is_stored_typed_and_read_back_as_a_tariff(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    body = {
        **{key: value for key, value in VOICE.items() if key != "price"},
        "includedQuantity": {"amount": 100, "units": "min"},
        "billingIncrement": {"first": 60, "next": 60},
        "timeZone": "Europe/Paris",
        "timeBand": [BAND, {**BAND, "name": "weekend", "weekdays": ["sat", "sun"]}],
        "destinationZone": [
            ZONE,
            {"name": "UK mobile", "prefixes": ["447"], "price": {"unit": "EUR", "value": 0.15}},
            {"name": "satellite", "prefixes": ["870"]},
        ],
        "fairUsage": {"policy": "throttle", "throttleDownKbps": 512, "throttleUpKbps": 256},
        "rollover": {"maxQuantity": {"amount": 1, "units": "h"}},
        "lifecycleStatus": "Launched",
    }
    response = post(client, body)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["@type"] == "UsageProductOfferingPrice"
    assert stored["timeBand"] == body["timeBand"]
    with platform.database.unit_of_work(write=False) as session:
        price = catalog.get_price(session, price_id=stored["id"])
    tariff = price.tariff
    assert tariff is not None
    assert (tariff.kind, tariff.currency, tariff.scale) == ("voice", "EUR", 6)
    assert tariff.included == 6000
    assert tariff.increment == Increment(60, 60)
    assert tariff.rollover_max == 3600
    assert tariff.fair_usage == catalog.FairUsage("throttle", 512, 256)
    assert [zone.rate for zone in tariff.zones] == [50_000, 150_000, None]
    assert tariff.zone_for("+447700900123").name == "UK mobile"  # type: ignore[union-attr]
    assert [band.percent for band in tariff.bands] == [5000, 5000]
    # Frozen once sold, like the other pricing terms.
    changed = client.patch(
        f"{BASE}/productOfferingPrice/{stored['id']}",
        json={"billingIncrement": {"first": 1, "next": 1}},
    )
    assert changed.status_code == 409, changed.text


def test_units_convert_to_base_units() -> None:
    def of(units: str, amount: float = 1, included: float = 3) -> catalog.Tariff:
        return parse_tariff(
            "p",
            {
                "priceType": "usage",
                "unitOfMeasure": {"amount": amount, "units": units},
                "includedQuantity": {"amount": included, "units": units},
                "price": {"unit": "EUR", "value": 1},
            },
        )

    assert (of("GB").kind, of("GB").included, of("GB").denominator) == ("data", 3 * 2**30, 2**30)
    assert of("KB").included == 3072
    assert of("B").included == 3
    assert (of("min").kind, of("min").included) == ("voice", 180)
    assert (of("h").included, of("s").included, of("second").included) == (10800, 3, 3)
    assert (of("sms").kind, of("message").kind, of("event").included) == ("sms", "sms", 3)
    # A price per 0.5 MB: per base unit, 1 EUR (10^6) x 2 / (1 x 2^20).
    half = of("MB", amount=0.5)
    assert (half.rate, half.denominator) == (2 * 10**6, 2**20)
    with pytest.raises(InvalidInput) as error:
        of("s", included=1.5)
    assert error.value.field == "includedQuantity.amount"


def test_select_tariff_picks_the_one_valid_at_the_instant() -> None:
    def priced(
        price_id: str, start: str | None, end: str | None, units: str = "MB"
    ) -> catalog.Tariff:
        valid = {k: v for k, v in {"startDateTime": start, "endDateTime": end}.items() if v}
        return parse_tariff(
            price_id,
            {
                "priceType": "usage",
                "unitOfMeasure": {"units": units},
                "price": {"unit": "EUR", "value": 0.01},
                "validFor": valid,
            },
        )

    old = priced("old", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
    new = priced("new", "2026-01-01T00:00:00Z", None)
    calls = priced("calls", None, None, units="min")
    tariffs = [old, new, calls]
    assert select_tariff(tariffs, "data", datetime(2025, 12, 31, 23, 59, tzinfo=UTC)) is old
    assert select_tariff(tariffs, "data", datetime(2026, 1, 1, tzinfo=UTC)) is new
    assert select_tariff(tariffs, "voice", datetime(2026, 1, 1, tzinfo=UTC)) is calls
    assert select_tariff(tariffs, "sms", datetime(2026, 1, 1, tzinfo=UTC)) is None
    assert select_tariff(tariffs, "data", datetime(2024, 1, 1, tzinfo=UTC)) is None


def test_usage_tariffs_of_an_offering_include_ended_and_retired_prices(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    def price(**body: Any) -> str:
        response = post(client, {"name": "p", **body})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    data = {"priceType": "usage", "unitOfMeasure": {"units": "MB"}, "price": EUR}
    old = price(
        **data,
        lifecycleStatus="Launched",
        validFor={"startDateTime": "2025-01-01T00:00:00Z", "endDateTime": "2026-01-01T00:00:00Z"},
    )
    new = price(
        **data, lifecycleStatus="Launched", validFor={"startDateTime": "2026-01-01T00:00:00Z"}
    )
    draft = price(**data)
    fee = price(
        priceType="recurring",
        recurringChargePeriodType="month",
        price=EUR,
        lifecycleStatus="Launched",
    )
    retired = client.patch(
        f"{BASE}/productOfferingPrice/{old}", json={"lifecycleStatus": "Retired"}
    )
    assert retired.status_code == 200, retired.text
    refs = [{"id": ref} for ref in (old, new, draft, fee)]
    offering = client.post(
        f"{BASE}/productOffering", json={"name": "o", "productOfferingPrice": refs}
    )
    assert offering.status_code == 201, offering.text
    with platform.database.unit_of_work(write=False) as session:
        tariffs = catalog.usage_tariffs_for_offering(session, offering_id=offering.json()["id"])
    assert [t.price_id for t in tariffs] == [old, new]
    december = select_tariff(tariffs, "data", datetime(2025, 12, 15, tzinfo=UTC))
    assert december is not None
    assert december.price_id == old
