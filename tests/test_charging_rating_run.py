"""The rating run over stored usage: the subscriber's records of a period are rated with their
offering's usage tariff, allowances continue across runs, 80% and 100% of an allowance are
announced once, a tariff correction is applied by re-rating, and usage of a kind the offering
has no usage price for is part of the flat rate (rated at 0, with the reason)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from ordering_world import CATALOG, PRODUCTS, SERVICES, World, build, order_body, place, settle
from ossbss import bootstrap, charging, cli, usage
from ossbss.charging.cli import parse_period
from ossbss.kernel import FixedClock, InvalidInput, OutboxMessage, Period
from ossbss.kernel.time import parse_datetime
from ossbss.tmf import characteristic_values
from tmf_cases import create

USAGE = "/tmf-api/usageManagement/v4/usage"
JANUARY = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
MB = 1024 * 1024
LAUNCHED = {"lifecycleStatus": "Launched", "validFor": {"startDateTime": "2025-01-01T00:00:00Z"}}


def _data_price(client: TestClient, per_mb: str, **extra: Any) -> dict[str, Any]:
    return create(
        client,
        f"{CATALOG}/productOfferingPrice",
        {
            "name": f"Data at {per_mb}/MB",
            **LAUNCHED,
            "priceType": "usage",
            "unitOfMeasure": {"amount": 1, "units": "MB"},
            "includedQuantity": {"amount": 100, "units": "MB"},
            "price": {"unit": "EUR", "value": float(per_mb)},
            "fairUsage": {"policy": "throttle", "throttleDownKbps": 512, "throttleUpKbps": 256},
            **extra,
        },
    )


def _metered_world(client: TestClient) -> tuple[World, str]:
    world = build(client)
    price = _data_price(client, "0.01")
    offering = client.get(f"{CATALOG}/productOffering/{world.offering_id}").json()
    response = client.patch(
        f"{CATALOG}/productOffering/{world.offering_id}",
        json={"productOfferingPrice": [*offering["productOfferingPrice"], {"id": price["id"]}]},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    return world, price["id"]


def _radius(client: TestClient, product_id: str) -> dict[str, str]:
    """The characteristics of the product's RADIUS subscriber service."""
    product = client.get(f"{PRODUCTS}/{product_id}").json()
    cfs = client.get(f"{SERVICES}/{product['realizingService'][0]['id']}").json()
    rfs_id = next(s["id"] for s in cfs["supportingService"] if s["name"] == "radius-subscriber")
    rfs = client.get(f"{SERVICES}/{rfs_id}").json()
    return characteristic_values(rfs["serviceCharacteristic"])


def _username(client: TestClient, product_id: str) -> str:
    return _radius(client, product_id)["username"]


def _order(client: TestClient, platform: bootstrap.Platform, world: World) -> str:
    item = {
        "id": "1",
        "action": "add",
        "productOffering": {"id": world.offering_id},
        "product": {"productCharacteristic": [{"name": "downloadSpeed", "value": 300}]},
    }
    order = place(client, platform, order_body(world, item))
    assert order["state"] == "completed", order
    return str(order["productOrderItem"][0]["product"]["id"])


def _ingest(platform: bootstrap.Platform, records: list[usage.UsageInput]) -> None:
    with platform.database.unit_of_work() as session:
        report = usage.ingest(session, records=records, now=platform.clock.now())
    assert report.accepted == len(records), report


def _data(subscriber: str, key: str, day: int, megabytes: int) -> usage.UsageInput:
    return usage.UsageInput(
        record_key=key,
        kind="data",
        subscriber=subscriber,
        started_at=datetime(2026, 1, day, 12, tzinfo=UTC),
        bytes_down=megabytes * MB,
        source="radius",
    )


def _rate(platform: bootstrap.Platform, *, rerate: bool = False) -> charging.RatingSummary:
    with platform.database.unit_of_work() as session:
        return charging.rate_period(
            session, period=JANUARY, now=platform.clock.now(), rerate=rerate
        )


def _amounts(client: TestClient) -> dict[str, tuple[str, str]]:
    """record key (from the description the ingest wrote) -> (status, amount)."""
    records = client.get(USAGE, params={"limit": 100}).json()
    return {
        record["id"]: (
            record["status"],
            str(
                (record.get("ratedProductUsage") or [{}])[0]
                .get("taxExcludedRatingAmount", {})
                .get("value")
            ),
        )
        for record in records
    }


def _thresholds(platform: bootstrap.Platform) -> list[int]:
    with platform.database.unit_of_work(write=False) as session:
        payloads = session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.topic == "charging.allowance-threshold-reached")
            .order_by(OutboxMessage.pk)
        ).all()
    return [payload["percent"] for payload in payloads]


def test_usage_is_rated_with_the_allowance_continued_across_runs(
    client: TestClient, platform: bootstrap.Platform, clock: FixedClock
) -> None:
    world, _price_id = _metered_world(client)
    product_id = _order(client, platform, world)
    username = _username(client, product_id)
    clock.advance(timedelta(days=10))

    _ingest(platform, [_data(username, "a", 16, 60), _data(username, "b", 17, 30)])
    first = _rate(platform)
    assert (first.records, first.rated, first.rejected) == (2, 2, 0)
    assert first.amounts == {}  # 90 MB of 100 included
    assert _thresholds(platform) == [80]

    _ingest(platform, [_data(username, "c", 18, 25)])
    second = _rate(platform)
    # 10 MB were left of the allowance: 15 MB at 0.01 EUR
    assert second.amounts == {"EUR": 15}
    assert _thresholds(platform) == [80, 100]
    assert _rate(platform).records == 0  # nothing left to rate


def test_the_fair_usage_policy_throttles_at_100_percent_and_a_new_period_lifts_it(
    client: TestClient, platform: bootstrap.Platform, clock: FixedClock
) -> None:
    world, _price_id = _metered_world(client)
    product_id = _order(client, platform, world)
    username = _username(client, product_id)
    clock.advance(timedelta(days=10))
    _ingest(platform, [_data(username, "a", 16, 120)])
    _rate(platform)
    settle(platform)
    assert _download_rate(client, product_id) == "512"  # the price's fairUsage throttle

    clock.advance(timedelta(days=30))  # February: a new allowance
    february = usage.UsageInput(
        record_key="b",
        kind="data",
        subscriber=username,
        started_at=datetime(2026, 2, 2, tzinfo=UTC),
        bytes_down=MB,
    )
    _ingest(platform, [february])
    with platform.database.unit_of_work() as session:
        charging.rate_period(
            session,
            period=Period(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
            now=platform.clock.now(),
        )
    settle(platform)
    assert _download_rate(client, product_id) == "300000"


def _download_rate(client: TestClient, product_id: str) -> str:
    return _radius(client, product_id)["rateDownKbps"]


def test_a_tariff_correction_is_applied_by_re_rating_the_period(
    client: TestClient, platform: bootstrap.Platform, clock: FixedClock
) -> None:
    world, _price_id = _metered_world(client)
    product_id = _order(client, platform, world)
    username = _username(client, product_id)
    clock.advance(timedelta(days=10))
    _ingest(platform, [_data(username, "a", 16, 150)])
    assert _rate(platform).amounts == {"EUR": 50}

    # The correction: a price of 0.02/MB valid from the start of the month wins over the old
    # one (the latest-starting valid price applies).
    corrected = _data_price(client, "0.02", validFor={"startDateTime": "2026-01-01T00:00:00Z"})
    offering = client.get(f"{CATALOG}/productOffering/{world.offering_id}").json()
    client.patch(
        f"{CATALOG}/productOffering/{world.offering_id}",
        json={"productOfferingPrice": [*offering["productOfferingPrice"], {"id": corrected["id"]}]},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    summary = _rate(platform, rerate=True)
    assert (summary.records, summary.rated) == (1, 1)
    assert summary.amounts == {"EUR": 100}
    [record] = client.get(USAGE).json()
    assert record["status"] == "rerated"
    assert record["ratedProductUsage"][0]["taxExcludedRatingAmount"]["value"] == 1.0


def test_usage_without_a_usage_price_is_part_of_the_flat_rate(
    client: TestClient, platform: bootstrap.Platform, clock: FixedClock
) -> None:
    world = build(client)
    product_id = _order(client, platform, world)
    username = _username(client, product_id)
    clock.advance(timedelta(days=10))
    _ingest(platform, [_data(username, "a", 16, 5000)])
    summary = _rate(platform)
    assert (summary.rated, summary.flat_rate, summary.amounts) == (1, 1, {})
    [record] = client.get(USAGE).json()
    assert record["status"] == "rated"


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-01", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
        ("2026-12", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("2026-01-01/2026-01-16", "2026-01-01T00:00:00Z", "2026-01-16T00:00:00Z"),
        ("2026-01-01T12:00:00Z/2026-01-02", "2026-01-01T12:00:00Z", "2026-01-02T00:00:00Z"),
    ],
)
def test_the_rating_periods_the_cli_accepts(text: str, start: str, end: str) -> None:
    assert parse_period(text) == Period(parse_datetime(start), parse_datetime(end))


@pytest.mark.parametrize("text", ["2026-13", "January", "2026-02-01/2026-01-01", "x/y"])
def test_a_period_the_cli_cannot_read_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_period(text)
    assert error.value.field == "period"


def test_ossbss_rate_rates_the_period_and_prints_a_summary(
    client: TestClient,
    platform: bootstrap.Platform,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, _price_id = _metered_world(client)
    username = _username(client, _order(client, platform, world))
    clock.advance(timedelta(days=10))
    _ingest(platform, [_data(username, "a", 16, 150), _data(username, "b", 17, 1)])
    monkeypatch.setenv("OSSBSS_DATABASE_URL", platform.settings.database_url)
    result = CliRunner().invoke(cli.app, ["rate", "--period", "2026-01"])
    assert result.exit_code == 0, result.output
    assert "rated 2 of 2 records" in result.output
    assert "EUR 0.51" in result.output
    again = CliRunner().invoke(cli.app, ["rate", "--period", "2026-01"])
    assert "rated 0 of 0 records" in again.output
