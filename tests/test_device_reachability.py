"""A device that stops answering its polls: the poller's ``reachable`` samples cross the
default "Device unreachable" threshold (two polls in a row), assurance raises a nodeDown alarm
on the device, correlation makes it the root cause of the alarms behind it, a ticket opens for
its customers; answering again clears it all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from correlation_world import Network, build_network, order_line
from ossbss import performance
from ossbss.bootstrap import Platform
from ossbss.kernel import FixedClock
from tickets_world import TICKETS

ALARMS = "/tmf-api/alarmManagement/v4/alarm"


@pytest.fixture
def network(client: TestClient, platform: Platform) -> Iterator[Network]:
    found = build_network(client)
    order_line(client, platform, found, "olt:ge-1", "Ada Olt")
    with platform.database.unit_of_work() as session:
        performance.seed_thresholds(session, now=platform.clock.now())
    platform.dispatcher.run_pending()
    return found


def _poll(platform: Platform, clock: FixedClock, device_id: str, *, answered: bool) -> None:
    """One poll cycle's reachability sample, as the poller hands it to the store."""
    clock.advance(timedelta(minutes=5))
    sample = performance.Sample(device_id, performance.REACHABLE, clock.now(), float(answered))
    with platform.database.unit_of_work() as session:
        performance.record_samples(session, samples=[sample], now=clock.now())
    while platform.dispatcher.run_pending():
        pass


def _node_down(client: TestClient, device_id: str) -> list[dict]:
    params = {"probableCause": "nodeDown", "alarmedObject.id": device_id}
    response = client.get(ALARMS, params=params)
    assert response.status_code == 200
    return response.json()


def test_an_unreachable_device_becomes_the_root_cause_and_clears_when_it_answers(
    client: TestClient, platform: Platform, clock: FixedClock, network: Network
) -> None:
    olt = network.devices["olt"]
    _poll(platform, clock, olt, answered=True)
    _poll(platform, clock, olt, answered=False)
    assert _node_down(client, olt) == []  # one lost poll is not an outage
    _poll(platform, clock, olt, answered=False)
    [alarm] = _node_down(client, olt)
    assert alarm["state"] == "raised"
    assert alarm["perceivedSeverity"] == "critical"
    assert alarm["alarmType"] == "communicationsAlarm"
    assert alarm["alarmedObjectType"] == "Device"
    assert alarm["isRootCause"] is True
    [ticket] = client.get(TICKETS, params={"relatedEntity.id": alarm["id"]}).json()
    assert ticket["name"] == "nodeDown on olt"
    assert {party["id"] for party in ticket["relatedParty"]} == {network.lines["olt:ge-1"][0]}

    _poll(platform, clock, olt, answered=True)
    assert _node_down(client, olt)[0]["state"] == "raised"  # hysteresis: two answers clear
    _poll(platform, clock, olt, answered=True)
    [cleared] = _node_down(client, olt)
    assert cleared["state"] == "cleared"
    [resolved] = client.get(TICKETS, params={"relatedEntity.id": alarm["id"]}).json()
    assert resolved["status"] == "resolved"
