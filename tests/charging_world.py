"""A small charging world for the balances and Nchf tests, built through the public APIs:
a customer, a prepaid (or postpaid) billing account, an offering with usage prices, and a
subscriber the (dict-backed) directory knows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from ossbss import charging
from tmf_cases import create

CATALOG = "/tmf-api/productCatalogManagement/v4"
BALANCE = "/tmf-api/prepayBalanceManagement/v4"
NCHF = "/nchf-convergedcharging/v3/chargingdata"
LAUNCHED = {"lifecycleStatus": "Launched", "validFor": {"startDateTime": "2025-01-01T00:00:00Z"}}
MB = 1024 * 1024
MSISDN = "447912000000"


@dataclass
class World:
    account_id: str
    offering_id: str
    product_id: str
    subscriber: charging.Subscriber


def usage_price(
    client: TestClient, name: str, per: dict[str, Any], euros: float, **extra: Any
) -> str:
    body = {
        "name": name,
        **LAUNCHED,
        "priceType": "usage",
        "unitOfMeasure": per,
        "price": {"unit": "EUR", "value": euros},
        **extra,
    }
    return str(create(client, f"{CATALOG}/productOfferingPrice", body)["id"])


def build(
    client: TestClient,
    *,
    prepaid: bool = True,
    included_mb: int | None = 100,
    rollover: dict[str, Any] | None = None,
    policy: str | None = None,
    msisdn: str = MSISDN,
    tiers: list[dict[str, Any]] | None = None,
) -> World:
    individual = create(
        client, "/tmf-api/party/v4/individual", {"givenName": "Grace", "familyName": "Hopper"}
    )
    customer = create(
        client,
        "/tmf-api/customerManagement/v4/customer",
        {
            "name": "Grace Hopper",
            "status": "Active",
            "engagedParty": {"id": individual["id"], "@referredType": "Individual"},
        },
    )
    account = create(
        client,
        "/tmf-api/accountManagement/v4/billingAccount",
        {
            "name": "Grace's account",
            "currency": "EUR",
            "accountType": "prepaid" if prepaid else "postpaid",
            "relatedParty": [
                {
                    "id": customer["id"],
                    "role": "owner",
                    "@referredType": "Customer",
                    "name": "Grace",
                }
            ],
        },
    )
    data_extra: dict[str, Any] = {}
    if included_mb is not None:
        data_extra["includedQuantity"] = {"amount": included_mb, "units": "MB"}
    if rollover is not None:
        data_extra["rollover"] = rollover
    if tiers is not None:
        data_extra["tier"] = tiers
    if policy is not None:
        data_extra["fairUsage"] = {"policy": policy}
        if policy == "throttle":
            data_extra["fairUsage"] |= {"throttleDownKbps": 1000, "throttleUpKbps": 256}
    prices = [
        usage_price(client, "data", {"amount": 1, "units": "MB"}, 0.01, **data_extra),
        usage_price(client, "voice", {"amount": 1, "units": "min"}, 0.06),
        usage_price(client, "sms", {"amount": 1, "units": "sms"}, 0.1),
    ]
    offering = create(
        client,
        f"{CATALOG}/productOffering",
        {"name": "Mobile S", **LAUNCHED, "productOfferingPrice": [{"id": p} for p in prices]},
    )
    product_id = f"product-{account['id'][:8]}"
    subscriber = charging.Subscriber(
        identifier=msisdn,
        product_id=product_id,
        billing_account_id=account["id"],
        offering_id=offering["id"],
        customer_id=customer["id"],
    )
    directory = charging.wiring().directory
    assert isinstance(directory, charging.DictDirectory)
    directory.subscribers[msisdn] = subscriber
    return World(account["id"], offering["id"], product_id, subscriber)


def top_up(client: TestClient, world: World, euros: float) -> dict[str, Any]:
    return create(
        client,
        f"{BALANCE}/topupBalance",
        {
            "partyAccount": {"id": world.account_id},
            "usageType": "monetary",
            "amount": {"amount": euros, "units": "EUR"},
        },
    )


def buckets(client: TestClient, world: World) -> dict[str, dict[str, Any]]:
    response = client.get(f"{BALANCE}/bucket", params={"partyAccount.id": world.account_id})
    assert response.status_code == 200, response.text
    return {b["usageType"]: b for b in response.json()}


def charging_request(
    sequence: int, *usages: dict[str, Any], msisdn: str = MSISDN, **extra: Any
) -> dict[str, Any]:
    return {
        "nfConsumerIdentification": {"nFName": "smf-1", "nodeFunctionality": "SMF"},
        "invocationTimeStamp": "2026-01-15T09:30:00Z",
        "invocationSequenceNumber": sequence,
        "subscriberIdentifier": f"msisdn-{msisdn}",
        "multipleUnitUsage": list(usages),
        **extra,
    }


def usage(
    group: int = 10,
    *,
    request: int | None = None,
    used: int | None = None,
    field: str = "totalVolume",
) -> dict[str, Any]:
    item: dict[str, Any] = {"ratingGroup": group}
    if request is not None:
        item["requestedUnit"] = {field: request} if request else {}
    if used is not None:
        item["usedUnitContainer"] = [{"localSequenceNumber": 1, field: used}]
    return item
