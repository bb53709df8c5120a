"""Capacity: nearest-rank 95th percentile, least squares, the crossing forecast; over a
synthetic link whose busiest direction grows 2 points a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from ossbss import bootstrap, inventory, performance
from ossbss.kernel import FixedClock, Period
from ossbss.performance.capacity import crossing_day, least_squares, percentile

DAY0 = datetime(2026, 10, 1, tzinfo=UTC)
NOW = DAY0 + timedelta(days=10, minutes=30)
RES = "/tmf-api/resourceInventoryManagement/v4/resource"


def test_nearest_rank_percentile() -> None:
    assert percentile([]) is None
    assert percentile([7.0]) == 7.0
    values = [float(v) for v in range(1, 101)]
    assert percentile(values) == 95.0
    assert percentile(list(reversed(values)), 50) == 50.0
    # 20 values: the top one (5 %) is forgiven
    assert percentile([1.0] * 19 + [100.0]) == 1.0


@given(
    st.floats(min_value=-100, max_value=100),
    st.floats(min_value=-10, max_value=10),
    st.integers(min_value=2, max_value=40),
)
def test_least_squares_recovers_a_line(intercept: float, slope: float, count: int) -> None:
    xs = [float(x) for x in range(count)]
    fit = least_squares(xs, [intercept + slope * x for x in xs])
    assert fit is not None
    assert fit[0] == pytest.approx(intercept, abs=1e-6)
    assert fit[1] == pytest.approx(slope, abs=1e-6)


def test_crossing_day() -> None:
    today = date(2026, 10, 11)
    rising = [(date(2026, 10, 1) + timedelta(days=d), 40.0 + 2 * d) for d in range(10)]
    assert crossing_day(rising, level=80.0, today=today) == date(2026, 10, 21)
    falling = [(day, 100 - value) for day, value in rising]
    assert crossing_day(falling, level=80.0, today=today) is None
    assert crossing_day(rising[:2], level=80.0, today=today) is None  # too few days
    assert crossing_day(rising, level=50.0, today=today) == today  # already past it


# --- over the store ------------------------------------------------------------------------


def chars(**values: Any) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in values.items()]


def post(client: TestClient, body: dict[str, Any]) -> str:
    response = client.post(RES, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def network(client: TestClient) -> tuple[str, str, str]:
    """Two routers and one link between them: (link id, port a, port b)."""
    ports = []
    for name, address in (("r1", "192.0.2.1"), ("r2", "192.0.2.2")):
        device = post(
            client,
            {
                "@type": "Device",
                "name": name,
                "resourceCharacteristic": chars(
                    vendor="Juniper", model="MX204", managementAddress=address
                ),
            },
        )
        ports.append(
            post(
                client,
                {
                    "@type": "Port",
                    "name": "xe-0/0/0",
                    "resourceCharacteristic": chars(name="xe-0/0/0", speedMbps=10000),
                    "resourceRelationship": [
                        {"relationshipType": "isContainedIn", "resource": {"id": device}}
                    ],
                },
            )
        )
    link = post(
        client,
        {
            "@type": "Link",
            "name": "r1-r2",
            "resourceRelationship": [
                {"relationshipType": "connectsTo", "resource": {"id": ports[0]}},
                {"relationshipType": "connectsTo", "resource": {"id": ports[1]}},
            ],
        },
    )
    return link, ports[0], ports[1]


def load_traffic(platform: bootstrap.Platform, busy_port: str, quiet_port: str) -> None:
    """Ten days of 5-minute samples: the busy port's outbound runs at 40 + 2·day % with 14
    spikes to 100 % a day (4.9 %: the 95th percentile forgives them); everything else ~10 %."""
    samples = []
    for day in range(10):
        for slot in range(288):
            at = DAY0 + timedelta(days=day, minutes=5 * slot)
            busy = 100.0 if slot % 20 == 0 and slot < 280 else 40.0 + 2 * day
            samples.append(performance.Sample(busy_port, performance.OUT_UTILISATION, at, busy))
            samples.append(performance.Sample(busy_port, performance.IN_UTILISATION, at, 10.0))
            samples.append(performance.Sample(quiet_port, performance.IN_UTILISATION, at, 12.0))
            samples.append(performance.Sample(quiet_port, performance.OUT_UTILISATION, at, 9.0))
    with platform.database.unit_of_work() as session:
        performance.record_samples(session, samples=samples, now=NOW)
        performance.downsample(session, now=DAY0 + timedelta(days=5))  # half rolled up


def test_link_95th_percentile_and_forecast(
    platform: bootstrap.Platform, client: TestClient, clock: FixedClock
) -> None:
    link_id, port_a, port_b = network(client)
    load_traffic(platform, port_b, port_a)
    month = Period(DAY0, DAY0 + timedelta(days=10))
    with platform.database.unit_of_work() as session:
        port_p95 = performance.percentile_95(
            session, resource_id=port_b, metric=performance.OUT_UTILISATION, period=month
        )
        first_day = performance.percentile_95(
            session,
            resource_id=port_b,
            metric=performance.OUT_UTILISATION,
            period=Period(DAY0, DAY0 + timedelta(days=1)),
        )
        (link,) = inventory.links(session)
        load = performance.link_percentile_95(session, link=link, period=month)
        crossing = performance.forecast_crossing(
            session, resource_id=port_b, metric=performance.OUT_UTILISATION, now=NOW
        )
        quiet = performance.forecast_crossing(
            session, resource_id=port_a, metric=performance.IN_UTILISATION, now=NOW
        )
    assert port_p95 == 58.0
    assert first_day == 40.0
    assert load.percentile_95 == 58.0
    assert load.busiest == (port_b, performance.OUT_UTILISATION)
    assert crossing == date(2026, 10, 21)  # 40 + 2·d reaches 80 on day 20
    assert quiet is None

    clock.set(NOW)
    response = client.get(
        "/performance/v1/linkUtilisation",
        params={"start": "2026-10-01T00:00:00Z", "end": "2026-10-11T00:00:00Z"},
    )
    assert response.status_code == 200, response.text
    (body,) = response.json()
    assert body["linkId"] == link_id
    assert body["percentile95"] == 58.0
    assert body["busiest"] == {"portId": port_b, "metric": performance.OUT_UTILISATION}
    assert body["forecastCrossing"] == "2026-10-21"
    bad = client.get("/performance/v1/linkUtilisation", params={"limit": "0"})
    assert bad.status_code == 400
    assert "limit" in bad.json()["message"]
