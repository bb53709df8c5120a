"""Alertmanager in: the webhook receiver and the API-v2-compatible ingest, through HTTP, and a
real prometheus-alertmanager firing and resolving into our webhook."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from alarm_sinks import RecordingSink, lab_directory
from conftest import ADMIN_KEY, key_for
from ossbss import bootstrap
from ossbss.assurance import Overloaded, alertmanager
from ossbss.kernel.time import FixedClock
from ossbss.lab import alertmanager as lab_alertmanager
from served_app import ServedApp

WEBHOOK = "/assurance/v1/alertmanager/webhook"
V2 = "/assurance/v1/alertmanager/api/v2/alerts"
LABELS = {"alertname": "InterfaceDown", "instance": "10.0.0.1:9100", "ifName": "GigabitEthernet0/1"}


@pytest.fixture
def sink() -> Iterator[RecordingSink]:
    recording = RecordingSink()
    alertmanager.use_sink(lambda: recording)
    alertmanager.directories.forget()
    yield recording
    alertmanager.use_sink(None)
    alertmanager.directories.forget()


@pytest.fixture
def lab_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    directory = lab_directory()
    monkeypatch.setattr(alertmanager.directories, "get", lambda _database: directory)


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_fingerprint_is_alertmanagers() -> None:
    # values printed by a real Alertmanager 0.25 for these label sets (see the live test too)
    assert alertmanager.fingerprint({}) == "cbf29ce484222325"
    assert alertmanager.fingerprint({"a": "b"}) == alertmanager.fingerprint({"a": "b"})
    assert alertmanager.fingerprint({"a": "b", "c": "d"}) != alertmanager.fingerprint({"a": "bc"})


def test_posted_alert_fires_then_resolves_by_ends_at(
    client: TestClient, sink: RecordingSink, clock: FixedClock, lab_objects: None
) -> None:
    now = clock.now()
    firing = {
        "labels": {**LABELS, "severity": "critical"},
        "annotations": {"summary": "Gi0/1 down", "description": "oper status down for 2m"},
        "startsAt": _stamp(now - timedelta(minutes=2)),
        "generatorURL": "http://prometheus/graph?g0.expr=up",
    }
    answer = client.post(V2, json=[firing])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 1}
    resolved = {**firing, "endsAt": _stamp(now - timedelta(seconds=1))}
    assert client.post(V2, json=[resolved]).status_code == 200
    raised, cleared = sink.signals
    key = "alertmanager:" + alertmanager.fingerprint(firing["labels"])
    assert raised.reduction_key == cleared.reduction_key == key
    assert (raised.source, raised.clears, raised.perceived_severity) == (
        "alertmanager",
        False,
        "critical",
    )
    assert raised.probable_cause == "InterfaceDown"
    assert raised.occurred_at == now - timedelta(minutes=2)
    assert raised.specific_problem == "Gi0/1 down"
    assert raised.text == "oper status down for 2m"
    assert (raised.alarmed_object_id, raised.alarmed_object_type) == ("port-router1-gi0-1", "Port")
    assert raised.details["generatorURL"].startswith("http://prometheus")
    assert (cleared.clears, cleared.perceived_severity) == (True, "cleared")
    assert cleared.occurred_at == now - timedelta(seconds=1)


def test_ends_at_in_the_future_is_still_firing(
    client: TestClient, sink: RecordingSink, clock: FixedClock
) -> None:
    alert = {"labels": {"alertname": "Hot"}, "endsAt": _stamp(clock.now() + timedelta(minutes=5))}
    assert client.post(V2, json=[alert]).status_code == 200
    (signal,) = sink.signals
    assert not signal.clears
    assert signal.perceived_severity == "indeterminate"
    assert signal.alarmed_object_id is None  # unresolved: nothing in the inventory


def test_webhook_payload_firing_and_resolved(
    client: TestClient, sink: RecordingSink, lab_objects: None
) -> None:
    body = {
        "version": "4",
        "status": "firing",
        "receiver": "ossbss",
        "groupKey": '{}:{alertname="SiteDown"}',
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "SiteDown", "device": "olt3", "severity": "major"},
                "annotations": {},
                "startsAt": "2026-11-26T10:00:00.123456789Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "0123456789abcdef",
            },
            {
                "status": "resolved",
                "labels": {"alertname": "PortDown", "device": "olt3", "ifIndex": "1001003"},
                "startsAt": "2026-11-26T09:00:00Z",
                "endsAt": "2026-11-26T09:30:00+01:00",
                "fingerprint": "fedcba9876543210",
            },
        ],
    }
    assert client.post(WEBHOOK, json=body).status_code == 200
    site, port = sink.signals
    assert site.reduction_key == "alertmanager:0123456789abcdef"
    assert site.external_alarm_id == "0123456789abcdef"
    assert site.occurred_at == datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC)
    assert (site.alarmed_object_id, site.perceived_severity) == ("dev-olt3", "major")
    assert port.clears
    assert port.alarmed_object_id == "port-olt3-pon-1-1-3"
    assert port.occurred_at == datetime(2026, 11, 26, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (V2, {"labels": {}}, "body"),
        (V2, [{"labels": {"a": "b"}}, {"labels": {}}], "[1].labels"),
        (V2, [{"labels": {"a": 1}}], "[0].labels.a"),
        (V2, [{"labels": {"a": "b"}, "startsAt": "yesterday"}], "[0].startsAt"),
        (V2, [{"labels": {"a": "b"}, "endsAt": "2026-02-30T00:00:00Z"}], "[0].endsAt"),
        (V2, [{"labels": {"a": "b"}, "generatorURL": 7}], "[0].generatorURL"),
        (WEBHOOK, [], "body"),
        (WEBHOOK, {"version": "3", "alerts": []}, "version"),
        (WEBHOOK, {"status": "firing"}, "alerts"),
        (WEBHOOK, {"alerts": [{"labels": {"a": "b"}, "status": "pending"}]}, "alerts[0].status"),
        (WEBHOOK, {"alerts": [{"labels": {"a": "b"}, "fingerprint": 5}]}, "alerts[0].fingerprint"),
    ],
)
def test_a_bad_body_is_refused_whole_naming_the_field(
    client: TestClient, sink: RecordingSink, path: str, body: Any, field: str
) -> None:
    answer = client.post(path, json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert error["@type"] == "Error"
    assert error["message"].startswith(f"{field}: ")
    assert sink.signals == []


def test_malformed_json_is_refused(client: TestClient, sink: RecordingSink) -> None:
    answer = client.post(V2, content=b"[{", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert sink.signals == []


def test_credentials_are_the_api_key(
    app_client: TestClient, sink: RecordingSink, platform: bootstrap.Platform
) -> None:
    alert = [{"labels": {"alertname": "X"}}]
    assert app_client.post(V2, json=alert).status_code == 401
    readonly = key_for(platform, "readonly")
    headers = {"Authorization": f"Bearer {readonly}"}
    assert app_client.post(WEBHOOK, json={"alerts": []}, headers=headers).status_code == 403
    noc = key_for(platform, "noc")
    answer = app_client.post(V2, json=alert, headers={"Authorization": f"Bearer {noc}"})
    assert answer.status_code == 200
    assert len(sink.signals) == 1


# -- a real Alertmanager ----------------------------------------------------------------------


@pytest.mark.skipif(not lab_alertmanager.available(), reason="needs prometheus-alertmanager")
def test_a_real_alertmanager_fires_and_resolves_into_our_webhook(
    platform: bootstrap.Platform, sink: RecordingSink, tmp_path: Path
) -> None:
    with ServedApp(platform) as served:
        peer = lab_alertmanager.start_alertmanager(
            workdir=tmp_path / "am",
            webhook_url=f"http://127.0.0.1:{served.port}{WEBHOOK}",
            bearer=ADMIN_KEY,
        )
        try:
            am = peer.endpoints["http"]
            labels = {"alertname": "IfDown", "instance": "router1:9100", "severity": "warning"}
            alert = {"labels": labels, "annotations": {"summary": "link down"}}
            httpx.post(f"{am}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()
            (raised,) = sink.wait_for(lambda seen: len(seen) >= 1, timeout=15)
            # Alertmanager's own fingerprint is the one we compute for the bare label set
            assert raised.reduction_key == f"alertmanager:{alertmanager.fingerprint(labels)}"
            assert (raised.clears, raised.perceived_severity) == (False, "warning")
            ended = {**alert, "endsAt": _stamp(datetime.now(UTC) - timedelta(seconds=1))}
            httpx.post(f"{am}/api/v2/alerts", json=[ended], timeout=5).raise_for_status()
            seen = sink.wait_for(lambda seen: any(s.clears for s in seen), timeout=15)
        finally:
            peer.stop()
    cleared = next(signal for signal in seen if signal.clears)
    assert cleared.reduction_key == raised.reduction_key
    assert cleared.perceived_severity == "cleared"


def test_a_full_pipeline_answers_503_so_the_sender_retries(client: TestClient) -> None:
    class Full:
        def submit_durable(self, signals: object) -> Future[object]:
            refused: Future[object] = Future()
            refused.set_exception(Overloaded("full"))
            return refused

    alertmanager.use_sink(Full)
    try:
        answer = client.post(V2, json=[{"labels": {"alertname": "X"}}])
    finally:
        alertmanager.use_sink(None)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1"
    assert answer.json()["@type"] == "Error"
