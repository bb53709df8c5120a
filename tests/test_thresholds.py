"""Thresholds with hysteresis: pure rules, then through record_samples to the outbox, and the
mapping assurance makes of the events."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from ossbss import bootstrap, performance
from ossbss.assurance.threshold_alarms import signal_for
from ossbss.events.performance import ThresholdCleared, ThresholdCrossed
from ossbss.kernel import FixedClock, InvalidInput, OutboxMessage
from ossbss.performance import hysteresis
from ossbss.performance.hysteresis import CLEAR, RAISE, Rule, Standing, step

T0 = datetime(2026, 10, 1, tzinfo=UTC)
UTILISATION = Rule("above", raise_level=80.0, clear_level=70.0)


def run(rule: Rule, values: list[float]) -> list[str | None]:
    standing = Standing()
    found: list[str | None] = []
    for value in values:
        standing, transition = step(rule, standing, value)
        found.append(transition)
    return found


def test_raises_above_80_holds_between_70_and_80_and_clears_below_70() -> None:
    assert run(UTILISATION, [50, 80, 81, 79, 71, 85, 70, 69.9, 75, 79.9, 80.1]) == [
        None,
        None,  # 80 is not above 80
        RAISE,
        None,  # between the levels: still raised, no flapping
        None,
        None,  # already raised
        None,  # 70 is not below 70
        CLEAR,
        None,
        None,
        RAISE,
    ]


def test_consecutive_samples_are_needed_both_ways() -> None:
    rule = Rule("above", 80.0, 70.0, for_samples=3)
    assert run(rule, [90, 90, 50, 90, 90, 90, 60, 60, 75, 60, 60, 60]) == [
        None,
        None,
        None,  # the streak broke
        None,
        None,
        RAISE,
        None,
        None,
        None,  # back between the levels: the clearing streak breaks
        None,
        None,
        CLEAR,
    ]


def test_below_thresholds_mirror() -> None:
    rule = Rule("below", raise_level=10.0, clear_level=20.0)
    assert run(rule, [15, 9, 15, 21, 9]) == [None, RAISE, None, CLEAR, RAISE]


@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), max_size=60))
def test_transitions_alternate_and_never_happen_between_the_levels(values: list[float]) -> None:
    transitions = [t for t in run(UTILISATION, values) if t]
    assert all(a != b for a, b in itertools.pairwise(transitions))
    assert not transitions or transitions[0] == RAISE
    for value, transition in zip(values, run(UTILISATION, values), strict=True):
        if 70 <= value <= 80:
            assert transition is None


def test_bad_rules_name_their_field() -> None:
    assert hysteresis.problem(Rule("above", 80, 90)) == (
        "clearLevel",
        "must not be above the raise level (direction above)",
    )
    assert hysteresis.problem(Rule("sideways", 80, 70))[0] == "direction"  # type: ignore[index]
    assert hysteresis.problem(Rule("above", 80, 70, for_samples=0))[0] == "forSamples"  # type: ignore[index]


# --- through the store ---------------------------------------------------------------------


def events(platform: bootstrap.Platform) -> list[tuple[str, dict[str, object]]]:
    with platform.database.unit_of_work() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.topic.like("performance.threshold-%"))
            .order_by(OutboxMessage.pk)
        )
        return [(row.topic, row.payload) for row in rows]


def feed(
    platform: bootstrap.Platform, resource: str, values: list[float], *, start: int = 0
) -> None:
    """One sample a minute, one batch per sample (as the poller does)."""
    for offset, value in enumerate(values, start=start):
        at = T0 + timedelta(minutes=offset)
        with platform.database.unit_of_work() as session:
            performance.record_samples(
                session,
                samples=[performance.Sample(resource, performance.IN_UTILISATION, at, value)],
                now=at,
            )


def make(platform: bootstrap.Platform, **values: object) -> performance.ThresholdView:
    definition: dict[str, object] = {
        "name": "Port inbound utilisation",
        "metric": performance.IN_UTILISATION,
        "raiseLevel": 80,
        "clearLevel": 70,
        "severity": "major",
        **values,
    }
    with platform.database.unit_of_work() as session:
        return performance.create_threshold(session, values=definition, now=T0)


def test_record_samples_publishes_one_crossing_and_one_clearing(
    platform: bootstrap.Platform,
) -> None:
    threshold = make(platform)
    feed(platform, "port-1", [50, 85, 75, 90, 79, 71, 65, 72, 60])
    found = events(platform)
    assert [topic for topic, _ in found] == [ThresholdCrossed.topic, ThresholdCleared.topic]
    crossed, cleared = found[0][1], found[1][1]
    key = f"threshold:{threshold.id}:port-1"
    assert crossed["reduction_key"] == key
    assert crossed["value"] == 85
    assert crossed["threshold"] == 80
    assert crossed["perceived_severity"] == "major"
    assert crossed["occurred_at"] == "2026-10-01T00:01:00.000Z"
    assert cleared["reduction_key"] == key
    assert cleared["value"] == 65


def test_one_batch_with_many_samples_is_evaluated_in_time_order(
    platform: bootstrap.Platform,
) -> None:
    make(platform, forSamples=2)
    samples = [
        performance.Sample("port-1", performance.IN_UTILISATION, T0 + timedelta(minutes=m), v)
        for m, v in reversed(list(enumerate([85, 86, 60, 60])))
    ]
    with platform.database.unit_of_work() as session:
        performance.record_samples(session, samples=samples, now=T0)
    assert [topic for topic, _ in events(platform)] == [
        ThresholdCrossed.topic,
        ThresholdCleared.topic,
    ]


def test_scopes_pick_their_resources(platform: bootstrap.Platform) -> None:
    make(
        platform, name="one port", scope="resource", scopeId="port-2", raiseLevel=50, clearLevel=40
    )
    feed(platform, "port-1", [60])
    assert events(platform) == []
    feed(platform, "port-2", [60], start=1)
    assert [payload["resource_id"] for _, payload in events(platform)] == ["port-2"]


def test_a_disabled_threshold_is_silent_and_patching_it_back_takes_effect(
    platform: bootstrap.Platform,
) -> None:
    threshold = make(platform, enabled=False)
    feed(platform, "port-1", [90])
    assert events(platform) == []
    with platform.database.unit_of_work() as session:
        performance.update_threshold(
            session, threshold_id=threshold.id, changes={"enabled": True}, now=T0
        )
    feed(platform, "port-1", [90], start=1)
    assert len(events(platform)) == 1


def test_definitions_are_validated_with_the_field_named(platform: bootstrap.Platform) -> None:
    cases = {
        "severity": {"severity": "dreadful"},
        "clearLevel": {"clearLevel": 95},
        "raiseLevel": {"raiseLevel": "high"},
        "scopeId": {"scope": "device"},
        "forSamples": {"forSamples": 0},
        "colour": {"colour": "red"},
    }
    for field, values in cases.items():
        with pytest.raises(InvalidInput) as error:
            make(platform, **values)
        assert error.value.field == field


def test_the_default_policy_seeds_once(platform: bootstrap.Platform) -> None:
    with platform.database.unit_of_work() as session:
        first = performance.seed_thresholds(session, now=T0)
        again = performance.seed_thresholds(session, now=T0)
        names = [t.name for t in performance.list_thresholds(session)]
    assert first == len(names) >= 2
    assert again == 0
    assert "Port inbound utilisation" in names


def test_assurance_maps_crossings_to_quality_of_service_alarms() -> None:
    crossed = ThresholdCrossed(
        reduction_key="threshold:t1:port-1",
        resource_id="port-1",
        metric="inUtilisation",
        value=85.5,
        threshold=80.0,
        perceived_severity="major",
        occurred_at=T0,
    )
    signal = signal_for(crossed)
    assert (signal.source, signal.alarm_type, signal.probable_cause) == (
        "threshold",
        "qualityOfServiceAlarm",
        "thresholdCrossed",
    )
    assert signal.reduction_key == "threshold:t1:port-1"
    assert signal.alarmed_object_id == "port-1"
    assert signal.perceived_severity == "major"
    assert not signal.clears
    cleared = signal_for(
        ThresholdCleared(
            reduction_key="threshold:t1:port-1",
            resource_id="port-1",
            metric="inUtilisation",
            value=60.0,
            occurred_at=T0,
        )
    )
    assert cleared.clears
    assert cleared.reduction_key == signal.reduction_key


def test_a_crossing_raises_an_alarm_and_the_clearing_clears_it(
    platform: bootstrap.Platform, client: TestClient, clock: FixedClock
) -> None:
    device = client.post(
        "/tmf-api/resourceInventoryManagement/v4/resource",
        json={
            "@type": "Device",
            "name": "r1",
            "resourceCharacteristic": [
                {"name": "vendor", "value": "Juniper"},
                {"name": "model", "value": "MX204"},
                {"name": "managementAddress", "value": "192.0.2.1"},
            ],
        },
    ).json()["id"]
    port = client.post(
        "/tmf-api/resourceInventoryManagement/v4/resource",
        json={
            "@type": "Port",
            "name": "xe-0/0/0",
            "resourceCharacteristic": [{"name": "name", "value": "xe-0/0/0"}],
            "resourceRelationship": [
                {"relationshipType": "isContainedIn", "resource": {"id": device}}
            ],
        },
    ).json()["id"]
    threshold = make(platform)
    clock.set(T0 + timedelta(days=1))  # the outbox delivers what is due by the clock
    feed(platform, port, [90, 85])
    platform.dispatcher.run_pending()
    alarms = client.get("/tmf-api/alarmManagement/v4/alarm").json()
    (alarm,) = alarms
    assert alarm["alarmType"] == "qualityOfServiceAlarm"
    assert alarm["probableCause"] == "thresholdCrossed"
    assert alarm["perceivedSeverity"] == "major"
    assert alarm["state"] == "raised"
    assert alarm["alarmedObject"]["id"] == port
    assert alarm["alarmedObject"]["@referredType"] == "Port"
    assert threshold.id in str(alarm)

    feed(platform, port, [60], start=2)
    platform.dispatcher.run_pending()
    (cleared,) = client.get("/tmf-api/alarmManagement/v4/alarm").json()
    assert cleared["id"] == alarm["id"]
    assert cleared["state"] == "cleared"


def test_a_device_scope_covers_that_devices_ports_only(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    resources = "/tmf-api/resourceInventoryManagement/v4/resource"
    devices, ports = [], []
    for name, address in (("r1", "192.0.2.1"), ("r2", "192.0.2.2")):
        characteristics = [
            {"name": "vendor", "value": "Juniper"},
            {"name": "model", "value": "MX204"},
            {"name": "managementAddress", "value": address},
        ]
        device = client.post(
            resources,
            json={"@type": "Device", "name": name, "resourceCharacteristic": characteristics},
        ).json()["id"]
        devices.append(device)
        ports.append(
            client.post(
                resources,
                json={
                    "@type": "Port",
                    "name": "xe-0/0/0",
                    "resourceCharacteristic": [{"name": "name", "value": "xe-0/0/0"}],
                    "resourceRelationship": [
                        {"relationshipType": "isContainedIn", "resource": {"id": device}}
                    ],
                },
            ).json()["id"]
        )
    make(platform, scope="device", scopeId=devices[0])
    feed(platform, ports[1], [95])
    feed(platform, ports[0], [95], start=1)
    assert [payload["resource_id"] for _, payload in events(platform)] == [ports[0]]
