"""The whole assurance flow on a real inventory with customers: a signal through the alarm
store, correlation finds the root and the customers it hurts, the outbox delivers
RootCauseImpact, a ticket opens; a maintenance window means no ticket; the clear resolves it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from correlation_world import Network, build_network, order_line
from ossbss import assurance
from ossbss.assurance import AlarmSignal
from ossbss.bootstrap import Platform
from ossbss.kernel import FixedClock
from tickets_world import TICKETS


@pytest.fixture
def network(client: TestClient, platform: Platform) -> Iterator[Network]:
    found = build_network(client)
    order_line(client, platform, found, "olt:ge-1", "Ada Olt")
    order_line(client, platform, found, "olt:ge-2", "Bob Olt")
    platform.dispatcher.run_pending()
    return found


def _olt_down(network: Network, clock: FixedClock, *, clears: bool = False) -> AlarmSignal:
    olt = network.devices["olt"]
    return AlarmSignal(
        source="snmp",
        reduction_key=f"deviceDown:{olt}",
        alarm_type="equipmentAlarm",
        probable_cause="deviceDown",
        perceived_severity="cleared" if clears else "critical",
        occurred_at=clock.now(),
        alarmed_object_id=olt,
        alarmed_object_type="Device",
        clears=clears,
    )


def _ingest(platform: Platform, signal: AlarmSignal) -> None:
    with platform.database.unit_of_work() as session:
        assurance.ingest(session, signals=[signal], now=platform.clock.now())
    platform.dispatcher.run_pending()


def test_a_device_down_opens_one_ticket_for_its_customers_and_its_clear_resolves_it(
    client: TestClient, platform: Platform, clock: FixedClock, network: Network
) -> None:
    _ingest(platform, _olt_down(network, clock))
    [ticket] = client.get(TICKETS, params={"ticketType": "networkOutage"}).json()
    customers = {network.lines[key][0] for key in ("olt:ge-1", "olt:ge-2")}
    assert {party["id"] for party in ticket["relatedParty"]} == customers
    assert ticket["priority"] == "P1"
    assert ticket["name"] == "deviceDown on olt"  # the device's name, as staff know it
    services = {e["id"] for e in ticket["relatedEntity"] if e["@referredType"] == "Service"}
    assert {network.lines[key][2] for key in ("olt:ge-1", "olt:ge-2")} <= services
    _ingest(platform, _olt_down(network, clock))  # a duplicate: still one ticket
    assert client.get(TICKETS).headers["X-Total-Count"] == "1"
    clock.advance(timedelta(minutes=12))
    _ingest(platform, _olt_down(network, clock, clears=True))
    resolved = client.get(f"{TICKETS}/{ticket['id']}").json()
    assert resolved["status"] == "resolved"
    assert resolved["sla"]["breached"] is False  # within P1's 15 minutes


def test_inside_a_maintenance_window_the_outage_opens_no_ticket(
    client: TestClient, platform: Platform, clock: FixedClock, network: Network
) -> None:
    start = clock.now() - timedelta(minutes=5)
    window = {
        "name": "OLT firmware",
        "resources": [{"id": network.devices["olt"]}],
        "validFor": {
            "startDateTime": start.isoformat(),
            "endDateTime": (start + timedelta(hours=1)).isoformat(),
        },
    }
    assert client.post("/assurance/v1/maintenanceWindow", json=window).status_code == 201
    _ingest(platform, _olt_down(network, clock))
    assert client.get(TICKETS).json() == []
