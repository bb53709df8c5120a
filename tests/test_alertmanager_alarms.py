"""End to end: Alertmanager bodies through our routes and the real alarm pipeline into alarm
rows — Prometheus' body posted straight to us, and a real Alertmanager firing and resolving
into our webhook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from alarm_rows import alarms, wait_alarms
from conftest import ADMIN_KEY
from ossbss import bootstrap
from ossbss.assurance import alertmanager
from ossbss.kernel.time import FixedClock
from ossbss.lab import alertmanager as lab_alertmanager
from test_alertmanager import V2, WEBHOOK, ServedApp
from test_inventory_api import device, port


@pytest.fixture
def pipeline(platform: bootstrap.Platform) -> Iterator[None]:
    alertmanager.directories.forget()
    platform.alarm_pipeline.start()
    yield
    platform.alarm_pipeline.stop()
    alertmanager.directories.forget()


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_prometheus_body_raises_repeats_and_clears_an_alarm_on_the_port(
    client: TestClient, platform: bootstrap.Platform, clock: FixedClock, pipeline: None
) -> None:
    router = device(client, "edge1")
    xe = port(client, router, "xe-0/0/1")
    labels = {"alertname": "IfOperDown", "instance": "edge1:9116", "ifName": "xe-0/0/1"}
    alert = {"labels": {**labels, "severity": "critical"}, "startsAt": _stamp(clock.now())}
    for _ in range(3):  # Prometheus re-sends a firing alert every evaluation
        assert client.post(V2, json=[alert]).status_code == 200
    # answered after the commit: the rows are there when the 200 is
    (alarm,) = alarms(platform)
    assert alarm.count == 3
    assert alarm.source == "alertmanager"
    assert alarm.reduction_key == f"alertmanager:{alertmanager.fingerprint(alert['labels'])}"
    assert (alarm.alarmed_object_id, alarm.alarmed_object_type) == (xe, "Port")
    assert alarm.perceived_severity == "critical"
    ended = {**alert, "endsAt": _stamp(clock.now() - timedelta(seconds=1))}
    assert client.post(V2, json=[ended]).status_code == 200
    (alarm,) = alarms(platform)
    assert alarm.state == "cleared"


def test_a_refused_body_stores_nothing(
    client: TestClient, platform: bootstrap.Platform, pipeline: None
) -> None:
    good = {"labels": {"alertname": "A"}}
    answer = client.post(V2, json=[good, {"labels": {"alertname": "B"}, "startsAt": "soon"}])
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("[1].startsAt: ")
    assert alarms(platform) == []


@pytest.mark.skipif(not lab_alertmanager.available(), reason="needs prometheus-alertmanager")
def test_a_real_alertmanager_raises_and_clears_an_alarm(
    platform: bootstrap.Platform, pipeline: None, tmp_path: Path
) -> None:
    with ServedApp(platform) as served:
        peer = lab_alertmanager.start_alertmanager(
            workdir=tmp_path / "am",
            webhook_url=f"http://127.0.0.1:{served.port}{WEBHOOK}",
            bearer=ADMIN_KEY,
        )
        try:
            am = peer.endpoints["http"]
            labels = {"alertname": "SiteDown", "instance": "site-b", "severity": "major"}
            alert = {"labels": labels, "annotations": {"summary": "site B unreachable"}}
            httpx.post(f"{am}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()
            (raised,) = wait_alarms(platform, lambda rows: len(rows) == 1)
            assert raised.specific_problem == "site B unreachable"
            assert not raised.resolved  # no site-b in the inventory: flagged unresolved
            ended = {**alert, "endsAt": _stamp(datetime.now(UTC) - timedelta(seconds=1))}
            httpx.post(f"{am}/api/v2/alerts", json=[ended], timeout=5).raise_for_status()
            (cleared,) = wait_alarms(platform, lambda rows: rows[0].state == "cleared")
        finally:
            peer.stop()
    assert cleared.reduction_key == raised.reduction_key
    assert cleared.external_alarm_id == alertmanager.fingerprint(labels)
