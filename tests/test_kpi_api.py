"""/performance/v1 over HTTP: series, thresholds (validated, 400 naming the field), roles,
availability, the SLA report in JSON and CSV; and the performance CLI."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import key_for
from ossbss import bootstrap, performance
from ossbss.events.assurance import ServiceOutageEnded, ServiceOutageStarted
from ossbss.kernel import FixedClock, publish
from ossbss.performance import cli as performance_cli

BASE = "/performance/v1"
T0 = datetime(2026, 10, 1, tzinfo=UTC)


def test_series_over_http(platform: bootstrap.Platform, client: TestClient) -> None:
    with platform.database.unit_of_work() as session:
        performance.record_samples(
            session,
            samples=[
                performance.Sample("port-1", performance.IN_BPS, T0 + timedelta(minutes=m), 1e6 * m)
                for m in range(10)
            ],
            now=T0,
        )
    params = {
        "resourceId": "port-1",
        "metric": performance.IN_BPS,
        "start": "2026-10-01T00:00:00Z",
        "end": "2026-10-01T01:00:00Z",
    }
    raw = client.get(f"{BASE}/performanceMeasurement", params=params)
    assert raw.status_code == 200, raw.text
    assert raw.json()["source"] == "raw"
    assert len(raw.json()["point"]) == 10
    stepped = client.get(f"{BASE}/performanceMeasurement", params={**params, "step": "300"})
    points = stepped.json()["point"]
    assert [(p["time"], p["count"], p["min"], p["max"]) for p in points] == [
        ("2026-10-01T00:00:00.000Z", 5, 0.0, 4e6),
        ("2026-10-01T00:05:00.000Z", 5, 5e6, 9e6),
    ]
    assert points[0]["avg"] == 2e6
    for bad, field in (
        ({"resourceId": None}, "resourceId"),
        ({"start": "yesterday"}, "start"),
        ({"step": "fast"}, "step"),
        ({"start": "2026-10-02T00:00:00Z"}, "start"),
    ):
        query = {k: v for k, v in {**params, **bad}.items() if v is not None}
        response = client.get(f"{BASE}/performanceMeasurement", params=query)
        assert response.status_code == 400, (bad, response.text)
        assert response.json()["message"].startswith(field), response.text
    assert client.get(f"{BASE}/performanceIndicatorSpecification").status_code == 200


def test_threshold_crud_and_validation(platform: bootstrap.Platform, client: TestClient) -> None:
    body = {
        "name": "Uplink utilisation",
        "metric": performance.OUT_UTILISATION,
        "raiseLevel": 80,
        "clearLevel": 70,
        "severity": "major",
        "forSamples": 3,
    }
    created = client.post(f"{BASE}/threshold", json=body)
    assert created.status_code == 201, created.text
    threshold = created.json()
    assert threshold["scope"] == "all"
    assert threshold["direction"] == "above"
    assert created.headers["Location"] == threshold["href"]
    path = f"{BASE}/threshold/{threshold['id']}"
    patched = client.patch(path, json={"clearLevel": 60, "severity": "minor"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["clearLevel"], patched.json()["severity"]) == (60.0, "minor")
    assert client.get(path).json()["clearLevel"] == 60.0
    assert [t["id"] for t in client.get(f"{BASE}/threshold").json()] == [threshold["id"]]

    for bad, field in (
        ({"clearLevel": 90}, "clearLevel"),
        ({"severity": "meh"}, "severity"),
        ({"scope": "resource"}, "scopeId"),
        ({"raiseLevel": None}, "raiseLevel"),
        ({"forSamples": 1.5}, "forSamples"),
        ({"direction": "up"}, "direction"),
        ({"colour": "red"}, "colour"),
    ):
        response = client.post(f"{BASE}/threshold", json={**body, **bad})
        assert response.status_code == 400, (bad, response.text)
        assert response.json()["message"].startswith(field), response.text
    refused = client.patch(path, json={"raiseLevel": 50})  # below the clear level now
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("clearLevel")
    assert client.post(f"{BASE}/threshold", json=[1]).status_code == 400

    readonly = {"Authorization": f"Bearer {key_for(platform, 'readonly')}"}
    assert client.get(path, headers=readonly).status_code == 200
    assert client.delete(path, headers=readonly).status_code == 403
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404


def outage(platform: bootstrap.Platform, product: str, start: datetime, end: datetime) -> None:
    with platform.database.unit_of_work() as session:
        now = platform.clock.now()
        started = ServiceOutageStarted(
            alarm_id="a1",
            service_id="s1",
            product_ids=(product,),
            customer_id=None,
            planned=False,
            started_at=start,
        )
        publish(session, started, now=now)
        publish(session, ServiceOutageEnded(alarm_id="a1", service_id="s1", ended_at=end), now=now)
    platform.dispatcher.run_pending()


def test_availability_and_sla_report(
    platform: bootstrap.Platform, client: TestClient, clock: FixedClock
) -> None:
    from reporting_world import add_product, recurring
    from test_sla import account, offering

    clock.set(datetime(2026, 11, 5, tzinfo=UTC))
    account_id = account(client)
    offering_id = offering(client, "Fibre 300")
    with platform.database.unit_of_work() as session:
        product = add_product(
            session,
            account=account_id,
            offering=offering_id,
            start=T0 - timedelta(days=5),
            prices=[recurring(30)],
        )
    outage(platform, product, T0 + timedelta(days=2), T0 + timedelta(days=2, hours=2))
    found = client.get(
        f"{BASE}/availability",
        params={"serviceId": "s1", "start": "2026-10-03T00:00:00Z", "end": "2026-10-04T00:00:00Z"},
    )
    assert found.status_code == 200, found.text
    assert found.json()["availabilityPpm"] == 916_666
    assert found.json()["downtimeSeconds"] == 7200
    assert client.get(f"{BASE}/availability").status_code == 400

    report = client.get(f"{BASE}/slaReport", params={"month": "2026-10"})
    assert report.status_code == 200, report.text
    (line,) = report.json()["line"]
    assert line["productId"] == product
    assert line["availability"] == 99.7311
    assert line["breached"] is True
    assert line["creditPercent"] == 10
    as_csv = client.get(
        f"{BASE}/slaReport", params={"month": "2026-10"}, headers={"Accept": "text/csv"}
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert rows[0]["productId"] == product
    assert rows[0]["availability"] == "99.7311"
    assert rows[0]["serviceIds"] == "s1"
    bad = client.get(f"{BASE}/slaReport", params={"month": "2026-13"})
    assert bad.status_code == 400
    assert bad.json()["message"].startswith("month")


def test_the_cli(platform: bootstrap.Platform) -> None:
    @contextmanager
    def opened() -> Iterator[bootstrap.Platform]:
        yield platform

    app = performance_cli.build_app(opened)
    runner = CliRunner()
    seeded = runner.invoke(app, ["seed-thresholds"])
    assert seeded.exit_code == 0, seeded.output
    assert "5 thresholds created" in seeded.output
    done = runner.invoke(app, ["downsample"])
    assert done.exit_code == 0, done.output
    assert "rolled up 0 5-minute" in done.output
    report = runner.invoke(app, ["sla-report", "--month", "2025-12"])
    assert report.exit_code == 0, report.output
    refused = runner.invoke(app, ["sla-evaluate", "--month", "2026-10"])
    assert refused.exit_code == 2
    assert "month" in refused.output
    evaluated = runner.invoke(app, ["sla-evaluate"])  # the clock says January 2026
    assert evaluated.exit_code == 0, evaluated.output
    assert "0 SLA breaches published for 2025-12" in evaluated.output
