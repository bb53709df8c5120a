"""3GPP Nchf_ConvergedCharging: create / update / release, grants from allowance then
money, final unit indication, result codes and statuses, retransmissions, and no over-grant
however many sessions of one account run at once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from charging_world import MB, MSISDN, NCHF, World, buckets, build, charging_request, top_up, usage
from ossbss import bootstrap, charging
from ossbss.charging.models import BalanceAction, Reservation


@pytest.fixture(autouse=True)
def directory() -> Iterator[charging.DictDirectory]:
    found = charging.DictDirectory()
    previous = charging.configure(directory=found, pricer=charging.TariffPricer(cache_seconds=0))
    yield found
    charging.restore(previous)


# The rater rounds each amount half-even to 10^-6 EUR, so what money buys may exceed the exact
# rate by half a micro-euro's worth: at 0.01 EUR/MB, up to 52 bytes a grant (never more money).
SLACK = 53


def open_session(
    client: TestClient, *usages: dict[str, Any], sequence: int = 0
) -> tuple[str, dict[str, Any]]:
    response = client.post(NCHF, json=charging_request(sequence, *usages))
    assert response.status_code == 201, response.text
    return response.headers["Location"].rsplit("/", 1)[1], response.json()


def by_group(body: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {info["ratingGroup"]: info for info in body["multipleUnitInformation"]}


def test_create_grants_from_the_allowance_and_answers_201_with_a_location(
    client: TestClient,
) -> None:
    build(client, included_mb=100)
    response = client.post(NCHF, json=charging_request(0, usage(10, request=0)))  # "some" units
    assert response.status_code == 201, response.text
    assert response.headers["Location"].startswith(f"http://testserver{NCHF}/")
    body = response.json()
    assert body["invocationSequenceNumber"] == 0
    info = by_group(body)[10]
    assert info["resultCode"] == "SUCCESS"
    assert info["grantedUnit"] == {"totalVolume": 10 * MB}  # the default quota
    assert 0 < info["validityTime"] <= 3600
    assert "finalUnitIndication" not in info


def test_update_debits_what_was_used_and_grants_again(client: TestClient) -> None:
    world = build(client, included_mb=100)
    ref, _ = open_session(client, usage(10, request=40 * MB))
    response = client.post(
        f"{NCHF}/{ref}/update", json=charging_request(1, usage(10, request=40 * MB, used=30 * MB))
    )
    assert response.status_code == 200, response.text
    assert by_group(response.json())[10]["grantedUnit"] == {"totalVolume": 40 * MB}
    data = buckets(client, world)["data"]
    assert data["remainingValue"]["amount"] == 70 * MB
    assert data["reservedValue"]["amount"] == 40 * MB
    assert (
        client.post(
            f"{NCHF}/{ref}/release", json=charging_request(2, usage(10, used=5 * MB))
        ).status_code
        == 204
    )
    data = buckets(client, world)["data"]
    assert (data["remainingValue"]["amount"], data["reservedValue"]["amount"]) == (65 * MB, 0)


def test_beyond_the_allowance_money_pays_and_the_last_grant_says_so(client: TestClient) -> None:
    world = build(client, included_mb=10)
    top_up(client, world, 0.2)  # 0.01 EUR per MB: 20 MB
    ref, body = open_session(client, usage(10, request=25 * MB))
    info = by_group(body)[10]
    assert info["grantedUnit"] == {"totalVolume": 25 * MB}  # 10 included + 15 paid
    assert "finalUnitIndication" not in info  # 5 MB more could still be bought
    response = client.post(
        f"{NCHF}/{ref}/update", json=charging_request(1, usage(10, request=25 * MB, used=25 * MB))
    )
    info = by_group(response.json())[10]
    assert 5 * MB <= info["grantedUnit"]["totalVolume"] < 5 * MB + SLACK
    assert info["finalUnitIndication"] == {"finalUnitAction": "TERMINATE"}
    response = client.post(
        f"{NCHF}/{ref}/update", json=charging_request(2, usage(10, request=5 * MB, used=5 * MB))
    )
    info = by_group(response.json())[10]
    assert info["resultCode"] == "QUOTA_LIMIT_REACHED"
    assert "grantedUnit" not in info
    assert client.post(f"{NCHF}/{ref}/release", json=charging_request(3)).status_code == 204
    assert buckets(client, world)["monetary"]["remainingValue"]["amount"] == 0


def test_tiers_continue_across_requests_as_in_the_rating_run(client: TestClient) -> None:
    """Beyond 10 MB included: 5 MB at 0.02 EUR, then 0.01 EUR per MB — counted over the
    period, not restarted by each request."""
    euro = {"unit": "EUR"}
    world = build(
        client,
        included_mb=10,
        tiers=[
            {"fromQuantity": 0, "toQuantity": 5, "price": {**euro, "value": 0.02}},
            {"fromQuantity": 5, "price": {**euro, "value": 0.01}},
        ],
    )
    top_up(client, world, 1.0)
    ref, _body = open_session(client, usage(10, request=20 * MB))
    # 10 MB included + 5 MB at 0.02 + 5 MB at 0.01 = 0.15
    client.post(f"{NCHF}/{ref}/update", json=charging_request(1, usage(10, used=20 * MB)))
    # 5 MB more, all in the second tier: 0.05 (not 0.10 from the first tier again)
    client.post(f"{NCHF}/{ref}/update", json=charging_request(2, usage(10, used=5 * MB)))
    assert client.post(f"{NCHF}/{ref}/release", json=charging_request(3)).status_code == 204
    assert buckets(client, world)["monetary"]["remainingValue"]["amount"] == 0.8


def test_a_new_session_with_nothing_to_grant_is_refused_with_403(client: TestClient) -> None:
    build(client, included_mb=None)  # prepaid, no credit, no allowance
    response = client.post(NCHF, json=charging_request(0, usage(10, request=MB)))
    assert response.status_code == 403
    body = response.json()
    assert body["invocationResult"]["error"]["cause"] == "QUOTA_LIMIT_REACHED"
    assert by_group(body)[10]["finalUnitIndication"] == {"finalUnitAction": "TERMINATE"}
    assert "Location" not in response.headers


def test_the_block_policy_stops_at_the_allowance_even_with_credit(client: TestClient) -> None:
    world = build(client, included_mb=10, policy="block")
    top_up(client, world, 5)
    ref, body = open_session(client, usage(10, request=15 * MB))
    info = by_group(body)[10]
    assert info["grantedUnit"] == {"totalVolume": 10 * MB}
    assert info["finalUnitIndication"] == {"finalUnitAction": "TERMINATE"}
    response = client.post(
        f"{NCHF}/{ref}/update", json=charging_request(1, usage(10, request=MB, used=10 * MB))
    )
    assert by_group(response.json())[10]["resultCode"] == "END_USER_SERVICE_DENIED"


def test_postpaid_is_not_limited_by_money_and_its_usage_is_kept(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    world = build(client, prepaid=False, included_mb=10)
    ref, body = open_session(client, usage(10, request=500 * MB))
    assert by_group(body)[10]["grantedUnit"] == {"totalVolume": 500 * MB}
    assert "finalUnitIndication" not in by_group(body)[10]
    assert (
        client.post(
            f"{NCHF}/{ref}/release", json=charging_request(1, usage(10, used=110 * MB))
        ).status_code
        == 204
    )
    assert buckets(client, world)["data"]["remainingValue"]["amount"] == 0
    with platform.database.unit_of_work(write=False) as session:
        query = select(BalanceAction).where(BalanceAction.action == "postpaidUsage")
        kept = session.scalars(query).one()
    assert (kept.amount, kept.units, kept.body["quantity"]) == (100, "EUR", 100 * MB)  # 1.00 EUR


def test_several_rating_groups_in_one_request(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    world = build(client, included_mb=None)
    top_up(client, world, 1)
    ref, body = open_session(
        client,
        usage(10, request=10 * MB),
        usage(20, request=120, field="time"),
        usage(30, request=1, field="serviceSpecificUnits"),
        usage(99, request=1),
    )
    infos = by_group(body)
    assert infos[10]["grantedUnit"] == {"totalVolume": 10 * MB}  # 0.10
    assert infos[20]["grantedUnit"] == {"time": 120}  # 0.12
    assert infos[30]["grantedUnit"] == {"serviceSpecificUnits": 1}  # 0.10
    assert infos[99]["resultCode"] == "RATING_FAILED"
    assert buckets(client, world)["monetary"]["reservedValue"]["amount"] == 0.32
    release = charging_request(
        1,
        usage(20, used=61, field="time"),
        usage(30, used=1, field="serviceSpecificUnits"),
        usage(99, used=5),
    )
    assert client.post(f"{NCHF}/{ref}/release", json=release).status_code == 204
    money = buckets(client, world)["monetary"]
    assert money["reservedValue"]["amount"] == 0
    assert money["remainingValue"]["amount"] == 0.83  # 1 - 0.07 (61 s, rounded up) - 0.10
    with platform.database.unit_of_work(write=False) as session:
        query = select(BalanceAction).where(BalanceAction.action == "unratedUsage")
        kept = session.scalars(query).one()  # the unknown rating group's use is not dropped
    assert (kept.status, kept.body["ratingGroup"]) == ("pending", 99)
    assert kept.body["usedUnitContainer"][0]["totalVolume"] == 5


def test_a_retransmission_gets_the_same_answer_and_is_not_debited_twice(client: TestClient) -> None:
    world = build(client, included_mb=100)
    create = charging_request(0, usage(10, request=10 * MB), chargingId=7)
    first = client.post(NCHF, json=create)
    again = client.post(NCHF, json={**create, "retransmissionIndicator": True})
    assert again.status_code == 201
    assert again.headers["Location"] == first.headers["Location"]
    assert again.json() == first.json()
    ref = first.headers["Location"].rsplit("/", 1)[1]
    update = charging_request(1, usage(10, request=10 * MB, used=10 * MB))
    one = client.post(f"{NCHF}/{ref}/update", json=update)
    two = client.post(f"{NCHF}/{ref}/update", json={**update, "retransmissionIndicator": True})
    three = client.post(f"{NCHF}/{ref}/update", json=update)  # same sequence number, no flag
    assert one.json() == two.json() == three.json()
    data = buckets(client, world)["data"]
    assert (data["remainingValue"]["amount"], data["reservedValue"]["amount"]) == (90 * MB, 10 * MB)
    release = charging_request(2, usage(10, used=MB))
    assert client.post(f"{NCHF}/{ref}/release", json=release).status_code == 204
    assert client.post(f"{NCHF}/{ref}/release", json=release).status_code == 204  # retransmitted
    assert buckets(client, world)["data"]["remainingValue"]["amount"] == 89 * MB


def test_unknown_subscriber_and_unknown_or_closed_sessions(client: TestClient) -> None:
    build(client)
    response = client.post(
        NCHF, json=charging_request(0, usage(10, request=MB), msisdn="440000000000")
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["cause"] == "USER_UNKNOWN"
    missing = client.post(f"{NCHF}/nope/update", json=charging_request(1, usage(10, request=MB)))
    assert (missing.status_code, missing.json()["cause"]) == (404, "CONTEXT_NOT_FOUND")
    ref, _ = open_session(client, usage(10, request=MB))
    assert client.post(f"{NCHF}/{ref}/release", json=charging_request(1)).status_code == 204
    closed = client.post(f"{NCHF}/{ref}/update", json=charging_request(2, usage(10, request=MB)))
    assert (closed.status_code, closed.json()["cause"]) == (404, "CONTEXT_NOT_FOUND")
    assert client.post(f"{NCHF}/{ref}/release", json=charging_request(3)).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        [],
        {"invocationTimeStamp": "2026-01-15T09:30:00Z", "invocationSequenceNumber": 0},
        {k: v for k, v in charging_request(0).items() if k != "invocationSequenceNumber"},
        charging_request(-1),
        charging_request(0, {"ratingGroup": "ten"}),
        charging_request(0, usage(10, request=-5)),
        charging_request(0, usage(10, request=MB), usage(10, request=MB)),
        charging_request(0, {"ratingGroup": 10, "usedUnitContainer": [{"totalVolume": 5}]}),
        {**charging_request(0), "subscriberIdentifier": 12},
    ],
)
def test_malformed_requests_are_400_charging_failed(
    client: TestClient, platform: bootstrap.Platform, body: Any
) -> None:
    build(client)
    content = body if isinstance(body, str) else None
    response = client.post(NCHF, content=content, json=None if content else body)
    assert response.status_code == 400, response.text
    assert response.json()["cause"] == "CHARGING_FAILED"
    with platform.database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Reservation)) == 0


def test_an_api_key_is_required(app_client: TestClient) -> None:
    response = app_client.post(NCHF, json=charging_request(0, usage(10, request=MB)))
    assert response.status_code == 401


def test_a_suspended_account_is_denied(client: TestClient) -> None:
    world = build(client)
    patched = client.patch(
        f"/tmf-api/accountManagement/v4/billingAccount/{world.account_id}",
        json={"state": "Suspended"},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    if patched.status_code != 200:
        pytest.skip(f"the account cannot be suspended here: {patched.text}")
    response = client.post(NCHF, json=charging_request(0, usage(10, request=MB)))
    assert (response.status_code, response.json()["cause"]) == (403, "END_USER_REQUEST_DENIED")


# --- many sessions of one account at once -------------------------------------------------

SESSIONS = 100
QUOTA = 3 * MB


def _run_session(client: TestClient, number: int) -> tuple[int, int, int]:
    """Open, then report what was granted and ask again until refused; (granted, used, answers)."""
    granted = used = 0
    create = charging_request(0, usage(10, request=QUOTA), msisdn=MSISDN, chargingId=number)
    response = client.post(NCHF, json=create)
    if response.status_code == 403:
        return 0, 0, 0
    assert response.status_code == 201, response.text
    ref = response.headers["Location"].rsplit("/", 1)[1]
    last = by_group(response.json())[10].get("grantedUnit", {}).get("totalVolume", 0)
    granted += last
    sequence = 1
    while last:
        # use all but one byte in ten of what was granted (reports need not match grants)
        spent = last - (number % 10 == 0)
        used += spent
        response = client.post(
            f"{NCHF}/{ref}/update",
            json=charging_request(sequence, usage(10, request=QUOTA, used=spent)),
        )
        assert response.status_code == 200, response.text
        last = by_group(response.json())[10].get("grantedUnit", {}).get("totalVolume", 0)
        granted += last
        sequence += 1
    assert client.post(f"{NCHF}/{ref}/release", json=charging_request(sequence)).status_code == 204
    return granted, used, sequence


def test_a_hundred_parallel_sessions_never_get_more_than_the_balance(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    world: World = build(client, included_mb=50)
    top_up(client, world, 1.5)  # 150 MB at 0.01 EUR/MB: 200 MB in all
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda n: _run_session(client, n), range(SESSIONS)))
    granted = sum(g for g, _, _ in results)
    used = sum(u for _, u, _ in results)
    grants = sum(n for _, _, n in results)
    assert granted <= 200 * MB + grants * SLACK
    assert granted >= 200 * MB - SESSIONS  # everything was handed out (bar a byte a session)
    state = buckets(client, world)
    data, money = state["data"], state["monetary"]
    assert (data["reservedValue"]["amount"], money["reservedValue"]["amount"]) == (0, 0)
    # the debits are exactly what was reported used: the allowance first, then money
    from_allowance = 50 * MB - data["remainingValue"]["amount"]
    assert from_allowance == min(used, 50 * MB)
    with platform.database.unit_of_work(write=False) as session:
        debits = session.scalars(
            select(BalanceAction.amount).where(
                BalanceAction.action == "usage", BalanceAction.units == "EUR"
            )
        ).all()
    assert 150 - money["remainingValue"]["amount"] * 100 == -sum(debits)
    assert money["remainingValue"]["amount"] >= 0


def test_holds_of_a_silent_session_expire_and_go_to_others(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    from datetime import timedelta

    world = build(client, included_mb=None)
    top_up(client, world, 0.1)  # 10 MB
    first = client.post(NCHF, json=charging_request(0, usage(10, request=10 * MB), chargingId=1))
    assert by_group(first.json())[10]["grantedUnit"] == {"totalVolume": 10 * MB}
    assert by_group(first.json())[10]["validityTime"] == 3600
    refused = client.post(NCHF, json=charging_request(0, usage(10, request=MB), chargingId=2))
    assert refused.status_code == 403
    clock = platform.clock
    assert hasattr(clock, "advance")
    clock.advance(timedelta(seconds=3600 + 61))  # validity and grace have run out
    second = client.post(NCHF, json=charging_request(0, usage(10, request=MB), chargingId=3))
    assert second.status_code == 201, second.text
    assert by_group(second.json())[10]["grantedUnit"] == {"totalVolume": MB}
    # the silent session's late report is still debited, never dropped
    ref = first.headers["Location"].rsplit("/", 1)[1]
    late = client.post(f"{NCHF}/{ref}/release", json=charging_request(1, usage(10, used=4 * MB)))
    assert late.status_code == 204
    money = buckets(client, world)["monetary"]
    assert (money["remainingValue"]["amount"], money["reservedValue"]["amount"]) == (0.06, 0.01)


def test_a_grant_is_valid_no_longer_than_the_allowance_period(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    from datetime import UTC, datetime

    build(client, included_mb=100)
    platform.clock.set(datetime(2026, 1, 31, 23, 50, tzinfo=UTC))  # type: ignore[attr-defined]
    _, body = open_session(client, usage(10, request=MB))
    assert by_group(body)[10]["validityTime"] == 600


def test_subscribers_are_found_through_the_usage_room_by_default(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    from ossbss import usage as usage_room

    world = build(client, included_mb=100)
    charging.configure(directory=charging.FunctionDirectory(usage_room.find_subscriber))
    with platform.database.unit_of_work() as session:
        usage_room.register_subscriber(
            session,
            identifier="001010000000009",
            product_id=world.product_id,
            billing_account_id=world.account_id,
            offering_id=world.offering_id,
            customer_id=None,
            valid_from=platform.clock.now(),
            now=platform.clock.now(),
        )
    request = {
        **charging_request(0, usage(10, request=MB)),
        "subscriberIdentifier": "imsi-001010000000009",
    }
    response = client.post(NCHF, json=request)
    assert response.status_code == 201, response.text
    assert buckets(client, world)["data"]["reservedValue"]["amount"] == MB
