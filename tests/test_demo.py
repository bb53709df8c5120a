"""The demo operator: pure, deterministic data, loaded through the rooms and read back over HTTP."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import phonenumbers
import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from stdnum import bic, iban

from ossbss import bootstrap, catalog, demo

CATALOG = "/tmf-api/productCatalogManagement/v4"
PARTY = "/tmf-api/party/v4"
CUSTOMER = "/tmf-api/customerManagement/v4"
ACCOUNT = "/tmf-api/accountManagement/v4"
OFFERINGS = {
    "Fibre 300",
    "Fibre 1000",
    "Fibre installation",
    "Mobile S",
    "Mobile M",
    "Mobile Unlimited",
    "Static IP",
    "Extra 10 GB",
    "International calls",
    "Fibre 1000 + Mobile M",
}
DIGEST = (
    "import hashlib, json, dataclasses; from ossbss import demo; "
    "data = [dataclasses.asdict(e) for e in demo.catalog_data()] + "
    "[dataclasses.asdict(c) for c in demo.customer_payloads(300)]; "
    "print(hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest())"
)


def _digest() -> str:
    data = [asdict(e) for e in demo.catalog_data()]
    data += [asdict(c) for c in demo.customer_payloads(300)]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _items(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(path, params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    assert int(response.headers["X-Total-Count"]) == len(items)
    return items


def _owner(account: dict[str, Any]) -> dict[str, Any]:
    (owner,) = [p for p in account["relatedParty"] if p.get("role") == "owner"]
    return owner


# --- Pure data ----------------------------------------------------------------------------


def test_the_data_is_identical_in_another_process() -> None:
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", DIGEST], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()
    assert other == _digest()


def test_customers_are_a_stable_prefix() -> None:
    assert demo.customer_payloads(40) == demo.customer_payloads(120)[:40]
    assert demo.customer_payloads(0) == []


def test_customer_data_is_valid_and_varied() -> None:
    people = demo.customer_payloads(1000)
    kinds = Counter(person.kind for person in people)
    assert 60 <= kinds["organization"] <= 140  # about 10 %
    statuses = Counter(person.customer["status"] for person in people)
    assert statuses["Active"] > 850
    assert set(statuses) <= {"Active", "Approved", "Initialized"}
    assert len({person.display_name for person in people}) > 700
    emails, phones, countries = [], [], set()
    methods: Counter[str] = Counter()
    for person in people:
        for medium in person.party["contactMedium"]:
            characteristic = medium["characteristic"]
            if "emailAddress" in characteristic:
                emails.append(characteristic["emailAddress"])
            if "phoneNumber" in characteristic:
                number = phonenumbers.parse(characteristic["phoneNumber"])
                assert phonenumbers.is_valid_number(number), characteristic["phoneNumber"]
                phones.append(characteristic["phoneNumber"])
            if "country" in characteristic:
                countries.add(characteristic["country"])
        method = person.billing_account["paymentMethod"]
        methods[method["@type"]] += 1
        if method["@type"] == "BankAccountDebit":
            assert iban.validate(method["iban"]) == method["iban"]
            assert bic.is_valid(method["bic"])
            assert method["iban"][:2] == method["bic"][4:6]
        assert person.billing_account["currency"] == "EUR"
    assert len(set(emails)) == len(emails)
    assert len(set(phones)) == len(phones)
    assert countries == {"FR", "DE", "NL", "BE", "ES", "IE"}
    assert methods["BankAccountDebit"] > 800
    assert methods["Cash"] > 10
    assert methods["BankCard"] > 10
    limits = [p for p in people if "creditLimit" in p.billing_account]
    assert kinds["organization"] < len(limits) < len(people)


@pytest.mark.parametrize(
    ("country", "bank"),
    [("FR", "30004"), ("DE", "10070000"), ("NL", "ABNA"), ("BE", "310"), ("ES", "2100"),
     ("IE", "AIBK93")],
)  # fmt: skip
def test_ibans_carry_their_check_digits(country: str, bank: str) -> None:
    rng = random.Random(7)
    for _ in range(50):
        number = demo.make_iban(rng, country, bank)
        assert iban.is_valid(number), number
        assert number.startswith(country)


def test_prices_are_exact_decimals() -> None:
    for entry in demo.catalog_data():
        price = entry.payload.get("price")
        if price is not None:
            assert price["unit"] == "EUR"
            value = Decimal(str(price["value"]))
            assert value >= 0
            assert value == value.quantize(Decimal("0.000001"))


# --- Loaded through the rooms, read over HTTP ---------------------------------------------


def test_load_the_demo_operator(platform: bootstrap.Platform, client: TestClient) -> None:
    assert demo.is_empty(platform)
    month_later = platform.clock.now() + timedelta(days=30)
    report = demo.load(platform, customers=50, console=Console(quiet=True), usage_until=month_later)
    assert not demo.is_empty(platform)
    assert report.customers == 50
    assert report.offerings == len(OFFERINGS)
    now = platform.clock.now()

    (northwind,) = _items(client, f"{CATALOG}/catalog")
    assert northwind["name"] == "Northwind consumer"
    categories = {c["name"] for c in _items(client, f"{CATALOG}/category")}
    assert categories == {"Fibre broadband", "Mobile", "Add-ons", "Bundles"}
    assert {c["id"] for c in northwind["category"]} == {
        c["id"] for c in _items(client, f"{CATALOG}/category")
    }

    offerings = _items(client, f"{CATALOG}/productOffering", lifecycleStatus="Launched")
    assert {o["name"] for o in offerings} == OFFERINGS
    with platform.database.unit_of_work() as session:
        for offering in offerings:
            assert catalog.offering_is_orderable(session, offering_id=offering["id"], at=now)
            assert catalog.prices_for_offering(session, offering_id=offering["id"], at=now)
        by_name = {o["name"]: o for o in offerings}
        fibre_1000 = by_name["Fibre 1000"]["id"]
        (current,) = catalog.prices_for_offering(session, offering_id=fibre_1000, at=now)
        old_price, new_price = by_name["Fibre 1000"]["productOfferingPrice"]
        before = catalog.get_price(session, price_id=old_price["id"])
        # The superseded price is ended and retired: no new order gets it, any date.
        assert not catalog.prices_for_offering(
            session, offering_id=fibre_1000, at=datetime(2025, 6, 1, tzinfo=UTC)
        )
    assert current.id == new_price["id"]
    assert current.valid_from == before.valid_to == datetime(2026, 1, 1, tzinfo=UTC)
    assert current.amount
    assert current.amount.duty_free
    assert current.amount.duty_free.to_decimal() == Decimal("49.99")
    assert before.amount
    assert before.amount.duty_free
    assert before.amount.duty_free.to_decimal() == Decimal("44.99")
    assert before.lifecycle_status == "Retired"

    bundle = by_name["Fibre 1000 + Mobile M"]
    assert bundle["isBundle"] is True
    assert {b["name"] for b in bundle["bundledProductOffering"]} == {"Fibre 1000", "Mobile M"}
    usage = _items(client, f"{CATALOG}/productOfferingPrice", priceType="usage")
    assert {p["@type"] for p in usage} == {"UsageProductOfferingPrice"}
    voice = {p["name"]: p for p in usage}["Mobile S calls beyond 100 min"]
    zones = {zone["name"]: zone for zone in voice["destinationZone"]}
    assert zones["UK"]["price"] == {"unit": "EUR", "value": 0.05}
    assert zones["UK premium"]["prefixes"] == ["449"]
    assert voice["includedQuantity"] == {"amount": 100, "units": "min"}
    fibre_spec = by_name["Fibre 300"]["productSpecification"]["id"]
    spec = client.get(f"{CATALOG}/productSpecification/{fibre_spec}").json()
    speeds = {c["name"]: c for c in spec["productSpecCharacteristic"]}["downloadSpeed"]
    assert [v["value"] for v in speeds["productSpecCharacteristicValue"]] == [300, 1000]

    cycles = {c["id"]: c for c in _items(client, f"{ACCOUNT}/billingCycleSpecification")}
    assert sorted(c["billingDateShift"] for c in cycles.values()) == [1, 15]

    customers = _items(client, f"{CUSTOMER}/customer")
    expected = demo.customer_payloads(50)
    assert [c["name"] for c in customers] == [p.display_name for p in expected]
    people = _items(client, f"{PARTY}/individual") + _items(client, f"{PARTY}/organization")
    assert len(people) == 50
    accounts = {a["id"]: a for a in _items(client, f"{ACCOUNT}/billingAccount")}
    assert len(accounts) == 50
    for customer in customers:
        (ref,) = customer["account"]
        billing = accounts[ref["id"]]
        assert billing["state"] == "Active"
        assert billing["currency"] == "EUR"
        assert _owner(billing)["id"] == customer["engagedParty"]["id"]
        assert billing["billStructure"]["cycleSpecification"]["id"] in cycles
        method = billing["paymentMethod"]
        if method["@type"] == "BankAccountDebit":
            assert iban.is_valid(method["iban"])
        owned = client.get(
            f"{ACCOUNT}/billingAccount", params={"relatedParty.id": customer["engagedParty"]["id"]}
        )
        assert [a["id"] for a in owned.json()] == [ref["id"]]
    _usage_check(client, report)


def _usage_check(client: TestClient, report: demo.LoadReport) -> None:
    """The month of usage is there, every record rated, calls and data charged beyond the
    allowances, texts part of the flat rate."""
    usage = "/tmf-api/usageManagement/v4/usage"
    total = client.get(usage, params={"limit": 1})
    assert int(total.headers["X-Total-Count"]) == report.usage_records > 1000
    rated = client.get(usage, params={"limit": 1, "status": "rated"})
    assert rated.headers["X-Total-Count"] == total.headers["X-Total-Count"]
    for kind in ("data", "voice"):
        records = client.get(usage, params={"usageType": kind, "limit": 1000}).json()
        amounts = [r["ratedProductUsage"][0]["taxExcludedRatingAmount"]["value"] for r in records]
        assert any(amount > 0 for amount in amounts), kind


def test_is_empty_sees_a_catalog_without_customers(platform: bootstrap.Platform) -> None:
    demo.load(platform, customers=0, console=Console(quiet=True))
    assert not demo.is_empty(platform)


def test_no_generated_card_token_looks_like_a_card_number() -> None:
    """Tokens were hex: now and then one was all digits and passed the Luhn check, and the
    account room refused that customer as carrying a PAN (the 100k bench hit it at ~7,750)."""
    from ossbss.account.payment_methods import refuse_card_numbers

    for person in demo.customer_payloads(10_000):
        method = person.billing_account.get("paymentMethod")
        if isinstance(method, dict):
            refuse_card_numbers(method)
