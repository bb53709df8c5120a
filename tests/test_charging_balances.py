"""TMF654 balances: money and allowance buckets, top-up, adjustment, reservation, rollover,
expiry, low-balance and fair-usage events, hub notifications. Through the HTTP API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from charging_world import BALANCE, MB, NCHF, buckets, build, charging_request, top_up, usage
from ossbss import bootstrap, charging
from ossbss.kernel import FixedClock, OutboxMessage


@pytest.fixture(autouse=True)
def directory() -> Iterator[charging.DictDirectory]:
    found = charging.DictDirectory()
    previous = charging.configure(directory=found, pricer=charging.TariffPricer(cache_seconds=0))
    yield found
    charging.restore(previous)


def events(platform: bootstrap.Platform, topic: str) -> list[dict[str, Any]]:
    with platform.database.unit_of_work(write=False) as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.pk)
        )
        return [row.payload for row in rows]


def use_data(client: TestClient, mb: int, *, sequence: int = 0) -> None:
    """One session that reports ``mb`` MB used (requesting it first)."""
    created = client.post(NCHF, json=charging_request(sequence, usage(10, request=mb * MB)))
    assert created.status_code == 201, created.text
    ref = created.headers["Location"].rsplit("/", 1)[1]
    released = client.post(
        f"{NCHF}/{ref}/release", json=charging_request(sequence + 1, usage(10, used=mb * MB))
    )
    assert released.status_code == 204, released.text


def test_a_top_up_creates_the_money_bucket_and_history(client: TestClient) -> None:
    world = build(client)
    topped = top_up(client, world, 12.5)
    assert topped["status"] == "confirmed"
    assert topped["amount"] == {"amount": 12.5, "units": "EUR"}
    top_up(client, world, 2.5)
    money = buckets(client, world)["monetary"]
    assert money["remainingValue"] == {"amount": 15, "units": "EUR"}
    assert money["status"] == "active"
    assert client.get(f"{BALANCE}/bucket/{money['id']}").json()["remainingValue"]["amount"] == 15
    history = client.get(
        f"{BALANCE}/balanceActionHistory", params={"partyAccount.id": world.account_id}
    )
    assert [h["actionType"] for h in history.json()] == ["topupBalance", "topupBalance"]
    listed = client.get(f"{BALANCE}/topupBalance", params={"partyAccount.id": world.account_id})
    assert listed.headers["X-Total-Count"] == "2"
    assert client.get(f"{BALANCE}/topupBalance/{topped['id']}").json()["id"] == topped["id"]
    total = client.get(f"{BALANCE}/accumulatedBalance/{world.account_id}").json()
    assert total["totalBalance"] == {"amount": 15, "units": "EUR"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"partyAccount": {"id": "nope"}, "amount": {"amount": 5, "units": "EUR"}},
            "partyAccount.id",
        ),
        ({"amount": {"amount": 5, "units": "EUR"}}, "partyAccount.id"),
        (
            {"partyAccount": {"id": "ACCOUNT"}, "amount": {"amount": -5, "units": "EUR"}},
            "amount.amount",
        ),
        (
            {"partyAccount": {"id": "ACCOUNT"}, "amount": {"amount": 0.001, "units": "EUR"}},
            "amount.amount",
        ),
        (
            {"partyAccount": {"id": "ACCOUNT"}, "amount": {"amount": 5, "units": "XXY"}},
            "amount.units",
        ),
        (
            {"partyAccount": {"id": "ACCOUNT"}, "amount": {"amount": "5", "units": "EUR"}},
            "amount.amount",
        ),
        ({"partyAccount": {"id": "ACCOUNT"}}, "amount"),
    ],
)
def test_a_bad_top_up_is_refused_and_changes_nothing(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    world = build(client)
    if body.get("partyAccount", {}).get("id") == "ACCOUNT":
        body = {**body, "partyAccount": {"id": world.account_id}}
    response = client.post(f"{BALANCE}/topupBalance", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith(field)
    assert buckets(client, world) == {}


def test_a_top_up_in_another_currency_is_refused(client: TestClient) -> None:
    world = build(client)
    top_up(client, world, 5)
    response = client.post(
        f"{BALANCE}/topupBalance",
        json={"partyAccount": {"id": world.account_id}, "amount": {"amount": 5, "units": "USD"}},
    )
    assert response.status_code == 400
    assert "Currency mismatch" in response.text


def test_adjustments_go_both_ways_with_a_reason_and_never_below_zero(client: TestClient) -> None:
    world = build(client)
    top_up(client, world, 10)
    bucket_id = buckets(client, world)["monetary"]["id"]
    down = {
        "bucket": {"id": bucket_id},
        "amount": {"amount": 3, "units": "EUR"},
        "adjustType": "debit",
        "reason": "goodwill reversal",
    }
    assert client.post(f"{BALANCE}/adjustBalance", json=down).status_code == 201
    up = {
        "bucket": {"id": bucket_id},
        "amount": {"amount": 1.25, "units": "EUR"},
        "reason": "compensation",
    }
    assert client.post(f"{BALANCE}/adjustBalance", json=up).status_code == 201
    assert buckets(client, world)["monetary"]["remainingValue"]["amount"] == 8.25
    too_much = {**down, "amount": {"amount": 9, "units": "EUR"}}
    assert client.post(f"{BALANCE}/adjustBalance", json=too_much).status_code == 409
    no_reason = {k: v for k, v in up.items() if k != "reason"}
    assert client.post(f"{BALANCE}/adjustBalance", json=no_reason).status_code == 400
    assert buckets(client, world)["monetary"]["remainingValue"]["amount"] == 8.25


def test_a_reservation_holds_money_until_cancelled_or_committed(client: TestClient) -> None:
    world = build(client)
    top_up(client, world, 10)
    body = {"partyAccount": {"id": world.account_id}, "amount": {"amount": 4, "units": "EUR"}}
    first = client.post(f"{BALANCE}/reserveBalance", json=body).json()
    second = client.post(f"{BALANCE}/reserveBalance", json=body).json()
    money = buckets(client, world)["monetary"]
    assert money["reservedValue"]["amount"] == 8
    assert client.post(f"{BALANCE}/reserveBalance", json=body).status_code == 409  # 2 left
    cancelled = client.patch(
        f"{BALANCE}/reserveBalance/{first['id']}", json={"status": "cancelled"}
    )
    assert cancelled.json()["status"] == "cancelled"
    committed = client.patch(
        f"{BALANCE}/reserveBalance/{second['id']}", json={"status": "committed"}
    )
    assert committed.status_code == 200
    again = client.patch(f"{BALANCE}/reserveBalance/{second['id']}", json={"status": "cancelled"})
    assert again.status_code == 409
    money = buckets(client, world)["monetary"]
    assert money["remainingValue"]["amount"] == 6
    assert money["reservedValue"]["amount"] == 0
    assert client.get(f"{BALANCE}/reserveBalance/{first['id']}").json()["status"] == "cancelled"


def test_the_allowance_bucket_is_made_for_the_billing_period_on_first_use(
    client: TestClient,
) -> None:
    world = build(client, included_mb=100)
    use_data(client, 30)
    data = buckets(client, world)["data"]
    assert data["validFor"] == {
        "startDateTime": "2026-01-01T00:00:00.000Z",
        "endDateTime": "2026-02-01T00:00:00.000Z",
    }
    assert data["initialValue"] == {"amount": 100 * MB, "units": "byte"}
    assert data["remainingValue"] == {"amount": 70 * MB, "units": "byte"}
    assert data["product"]["id"] == world.product_id


def test_fair_usage_events_at_80_and_100_percent_once_per_period(
    client: TestClient, platform: bootstrap.Platform, clock: FixedClock
) -> None:
    world = build(client, included_mb=100, policy="throttle")
    use_data(client, 50)
    assert events(platform, "charging.allowance-threshold-reached") == []
    use_data(client, 35, sequence=10)  # 85 %
    use_data(client, 5, sequence=20)  # 90 %: no second 80 % event
    reached = events(platform, "charging.allowance-threshold-reached")
    assert [(e["percent"], e["policy"], e["kind"]) for e in reached] == [(80, "throttle", "data")]
    assert reached[0]["product_id"] == world.product_id
    assert (reached[0]["throttle_down_kbps"], reached[0]["throttle_up_kbps"]) == (1000, 256)
    use_data(client, 10, sequence=30)  # 100 %
    top_up(client, world, 1)
    use_data(client, 10, sequence=40)  # beyond the allowance, paid from credit: no event
    assert [e["percent"] for e in events(platform, "charging.allowance-threshold-reached")] == [
        80,
        100,
    ]
    clock.set(datetime(2026, 2, 3, tzinfo=UTC))  # a new period: a new bucket, new thresholds
    use_data(client, 85, sequence=50)
    assert [e["percent"] for e in events(platform, "charging.allowance-threshold-reached")] == [
        80,
        100,
        80,
    ]


def test_unused_allowance_rolls_over_up_to_the_price_maximum(
    client: TestClient, clock: FixedClock
) -> None:
    world = build(client, included_mb=100, rollover={"maxQuantity": {"amount": 50, "units": "MB"}})
    use_data(client, 30)
    clock.set(datetime(2026, 2, 10, tzinfo=UTC))
    use_data(client, 1, sequence=10)
    listed = client.get(
        f"{BALANCE}/bucket", params={"partyAccount.id": world.account_id, "usageType": "data"}
    ).json()
    january, february = listed
    assert january["status"] == "expired"
    assert february["initialValue"]["amount"] == 150 * MB  # 100 + min(70, 50)
    assert february["rolloverValue"]["amount"] == 50 * MB
    assert february["remainingValue"]["amount"] == 149 * MB


def test_no_rollover_unless_the_price_says_so(client: TestClient, clock: FixedClock) -> None:
    world = build(client, included_mb=100)
    use_data(client, 30)
    clock.set(datetime(2026, 2, 10, tzinfo=UTC))
    use_data(client, 1, sequence=10)
    active = client.get(
        f"{BALANCE}/bucket", params={"partyAccount.id": world.account_id, "status": "active"}
    ).json()
    assert [b["initialValue"]["amount"] for b in active] == [100 * MB]


def test_low_balance_event_when_credit_drops_below_the_threshold(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    world = build(client, included_mb=None)
    top_up(client, world, 6)  # threshold 5.00 EUR
    use_data(client, 50)  # 0.50 EUR: 5.50 left
    assert events(platform, "charging.low-balance") == []
    use_data(client, 60, sequence=10)  # 0.60 EUR: 4.90 left
    use_data(client, 10, sequence=20)  # stays below: no second event
    low = events(platform, "charging.low-balance")
    assert len(low) == 1
    assert low[0]["remaining_minor"] == 490
    assert low[0]["billing_account_id"] == world.account_id
    assert buckets(client, world)["monetary"]["remainingValue"]["amount"] == 4.8


def test_hub_subscribers_hear_of_top_ups(client: TestClient, platform: bootstrap.Platform) -> None:
    world = build(client)
    hub = client.post(f"{BALANCE}/hub", json={"callback": "http://127.0.0.1:9/listener"})
    assert hub.status_code == 201
    top_up(client, world, 5)
    platform.dispatcher.run_pending()
    due = events(platform, "tmf.hub-notification-due")
    assert [d["body"]["eventType"] for d in due] == ["TopupBalanceCreateEvent"]
    assert due[0]["body"]["event"]["topupBalance"]["amount"] == {"amount": 5, "units": "EUR"}


def test_reads_need_a_key_and_writes_a_role(
    client: TestClient, app_client: TestClient, platform: bootstrap.Platform
) -> None:
    from conftest import key_for

    world = build(client)
    assert app_client.get(f"{BALANCE}/bucket", headers={"Authorization": ""}).status_code == 401
    readonly = {"Authorization": f"Bearer {key_for(platform, 'readonly')}"}
    body = {"partyAccount": {"id": world.account_id}, "amount": {"amount": 5, "units": "EUR"}}
    assert (
        app_client.post(f"{BALANCE}/topupBalance", json=body, headers=readonly).status_code == 403
    )
    assert app_client.get(f"{BALANCE}/bucket", headers=readonly).status_code == 200


def test_unknown_things_are_404(client: TestClient) -> None:
    assert client.get(f"{BALANCE}/bucket/nope").status_code == 404
    assert client.get(f"{BALANCE}/topupBalance/nope").status_code == 404
    assert client.get(f"{BALANCE}/accumulatedBalance/nope").status_code == 404
    assert (
        client.patch(f"{BALANCE}/reserveBalance/nope", json={"status": "cancelled"}).status_code
        == 404
    )


def test_an_allowance_bucket_can_be_topped_up_in_its_own_units(client: TestClient) -> None:
    world = build(client, included_mb=100)
    use_data(client, 10)
    data = buckets(client, world)["data"]
    body = {"bucket": {"id": data["id"]}, "amount": {"amount": 0.5, "units": "GB"}}
    topped = client.post(f"{BALANCE}/topupBalance", json=body)
    assert topped.status_code == 201, topped.text
    assert topped.json()["amount"] == {"amount": 512 * MB, "units": "byte"}
    assert buckets(client, world)["data"]["remainingValue"]["amount"] == 602 * MB
    wrong = {"bucket": {"id": data["id"]}, "amount": {"amount": 5, "units": "min"}}
    assert client.post(f"{BALANCE}/topupBalance", json=wrong).status_code == 400
