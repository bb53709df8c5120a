"""Correlation and impact on a real inventory with customers (both engines): a device down
groups its ports' alarms and those of the devices behind it, a link down groups both ends,
each root lists the services, customers and products it hurts, outages are announced per
customer and per service on raise and on clear, maintenance makes them planned."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from correlation_world import Network, build_network, order_line
from ossbss import assurance, bootstrap
from ossbss.assurance.models import Alarm, MaintenanceWindow
from ossbss.assurance.signals import AlarmSignal
from ossbss.kernel import OutboxMessage, new_id


def ingest(platform: bootstrap.Platform, signals: Sequence[AlarmSignal]) -> None:
    """One batch through the alarm store, which correlates it."""
    with platform.database.unit_of_work() as session:
        assurance.ingest(session, signals=signals, now=platform.clock.now())


def signal(
    object_id: str,
    object_type: str,
    cause: str = "linkDown",
    *,
    severity: str = "major",
    clears: bool = False,
    at: Any = None,
) -> AlarmSignal:
    return AlarmSignal(
        source="snmp",
        reduction_key=f"{cause}:{object_id}",
        alarm_type="communicationsAlarm",
        probable_cause=cause,
        perceived_severity="cleared" if clears else severity,
        occurred_at=at,
        alarmed_object_id=object_id,
        alarmed_object_type=object_type,
        clears=clears,
    )


@pytest.fixture
def network(client: TestClient, platform: bootstrap.Platform) -> Iterator[Network]:
    found = build_network(client)
    order_line(client, platform, found, "olt:ge-1", "Ada Olt")
    order_line(client, platform, found, "olt:ge-2", "Bob Olt")
    order_line(client, platform, found, "switch:ge-1", "Cy Switch")
    order_line(client, platform, found, "core:ge-9", "Di Core")
    return found


class Alarms:
    def __init__(self, platform: bootstrap.Platform, network: Network) -> None:
        self.platform = platform
        self.network = network

    def raise_(self, *signals: AlarmSignal) -> None:
        now = self.platform.clock.now()
        ingest(self.platform, [_at(s, now) for s in signals])

    def by_object(self, object_id: str, cause: str = "linkDown") -> Alarm:
        with self.platform.database.unit_of_work(write=False) as session:
            alarm = session.scalars(
                select(Alarm).where(Alarm.reduction_key == f"{cause}:{object_id}")
            ).one()
            session.expunge(alarm)
            return alarm

    def events(self, topic: str) -> list[dict[str, Any]]:
        with self.platform.database.unit_of_work(write=False) as session:
            return [
                dict(payload)
                for payload in session.scalars(
                    select(OutboxMessage.payload)
                    .where(OutboxMessage.topic == topic)
                    .order_by(OutboxMessage.pk)
                )
            ]

    def port(self, key: str) -> str:
        return self.network.ports[key]

    def device(self, name: str) -> str:
        return self.network.devices[name]


def _at(item: AlarmSignal, now: Any) -> AlarmSignal:
    from dataclasses import replace

    return item if item.occurred_at is not None else replace(item, occurred_at=now)


@pytest.fixture
def alarms(platform: bootstrap.Platform, network: Network) -> Alarms:
    return Alarms(platform, network)


def _ids(entries: list[dict[str, Any]]) -> set[str]:
    return {entry["id"] for entry in entries}


def test_a_device_down_groups_its_ports_and_the_devices_behind_it(
    alarms: Alarms, network: Network, platform: bootstrap.Platform
) -> None:
    # a switch port went down first: it hurts Cy, so it is a root of its own
    alarms.raise_(signal(alarms.port("switch:ge-1"), "Port"))
    early = alarms.by_object(alarms.port("switch:ge-1"))
    assert early.is_root_cause
    assert early.service_affecting
    # then the OLT is down, with alarms on its ports and on the switch behind it
    alarms.raise_(
        signal(alarms.port("olt:ge-1"), "Port"),
        signal(alarms.device("olt"), "Device", "deviceDown", severity="critical"),
        signal(alarms.port("olt:ge-2"), "Port"),
        signal(alarms.device("switch"), "Device", "unreachable", severity="critical"),
        signal(alarms.port("core:ge-9"), "Port", "highTemperature"),
    )
    root = alarms.by_object(alarms.device("olt"), "deviceDown")
    assert root.is_root_cause
    assert root.parent_alarm_id is None
    assert root.service_affecting
    for child in (
        alarms.by_object(alarms.port("olt:ge-1")),
        alarms.by_object(alarms.port("olt:ge-2")),
        alarms.by_object(alarms.device("switch"), "unreachable"),
        alarms.by_object(alarms.port("switch:ge-1")),  # the earlier root steps down
    ):
        assert child.parent_alarm_id == root.id
        assert not child.is_root_cause
    # the core is not behind the OLT
    assert alarms.by_object(alarms.port("core:ge-9"), "highTemperature").parent_alarm_id is None

    # a later alarm on something the root covers joins it at arrival
    platform.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
    alarms.raise_(signal(alarms.port("switch:ge-2"), "Port"))
    assert alarms.by_object(alarms.port("switch:ge-2")).parent_alarm_id == root.id

    customers = {name: line[0] for name, line in network.lines.items()}
    impact = root.impact or {}
    assert _ids(impact["customers"]) == {
        customers["olt:ge-1"],
        customers["olt:ge-2"],
        customers["switch:ge-1"],
    }
    assert {c["name"] for c in impact["customers"]} == {"Ada Olt", "Bob Olt", "Cy Switch"}
    assert _ids(impact["services"]) == {
        network.lines[key][2] for key in ("olt:ge-1", "olt:ge-2", "switch:ge-1")
    }
    assert set(impact["products"]) == {
        network.lines[key][1] for key in ("olt:ge-1", "olt:ge-2", "switch:ge-1")
    }

    impacts = alarms.events("assurance.root-cause-impact")
    assert [event["alarm_id"] for event in impacts] == [early.id, root.id]
    assert set(impacts[1]["customer_ids"]) == _ids(impact["customers"])
    assert impacts[1]["in_maintenance"] is False
    started = alarms.events("assurance.customer-outage-started")
    assert {e["customer_id"] for e in started if e["alarm_id"] == root.id} == _ids(
        impact["customers"]
    )
    services = alarms.events("assurance.service-outage-started")
    assert {e["service_id"] for e in services if e["alarm_id"] == root.id} == _ids(
        impact["services"]
    )
    assert all(e["planned"] is False for e in services)


def test_a_link_down_groups_both_ends_and_hurts_what_is_behind_it(
    alarms: Alarms, network: Network
) -> None:
    near, far = alarms.port("olt:xe-down"), alarms.port("switch:xe-up")
    alarms.raise_(signal(near, "Port"))
    alarms.raise_(signal(far, "Port"), signal(alarms.port("switch:ge-1"), "Port"))
    root = alarms.by_object(near)
    assert root.is_root_cause
    assert alarms.by_object(far).parent_alarm_id == root.id
    assert alarms.by_object(alarms.port("switch:ge-1")).parent_alarm_id == root.id
    impact = root.impact or {}
    assert impact["rootKind"] == "link"
    # the switch's customer only: the OLT's own lines still work
    assert _ids(impact["customers"]) == {network.lines["switch:ge-1"][0]}


def test_an_alarm_on_the_link_itself_is_its_root(alarms: Alarms, network: Network) -> None:
    link_id = network.links["core-olt"]
    alarms.raise_(signal(link_id, "Link"), signal(alarms.port("olt:xe-up"), "Port"))
    root = alarms.by_object(link_id)
    assert root.is_root_cause
    assert alarms.by_object(alarms.port("olt:xe-up")).parent_alarm_id == root.id
    # behind the core-olt link: the OLT and the switch, all three of their customers
    assert len((root.impact or {})["customers"]) == 3


def test_an_access_port_down_is_a_root_when_it_hurts_a_customer(
    alarms: Alarms, network: Network
) -> None:
    alarms.raise_(
        signal(alarms.port("olt:ge-1"), "Port"),
        signal(alarms.port("switch:ge-2"), "Port"),  # nobody on it
    )
    root = alarms.by_object(alarms.port("olt:ge-1"))
    assert root.is_root_cause
    assert root.service_affecting
    assert _ids((root.impact or {})["customers"]) == {network.lines["olt:ge-1"][0]}
    idle = alarms.by_object(alarms.port("switch:ge-2"))
    assert not idle.is_root_cause
    assert not idle.service_affecting
    assert idle.impact is None


def test_outages_end_when_the_root_clears_and_duplicates_announce_nothing(
    alarms: Alarms, network: Network, platform: bootstrap.Platform
) -> None:
    olt = alarms.device("olt")
    alarms.raise_(signal(olt, "Device", "nodeDown"))
    alarms.raise_(signal(olt, "Device", "nodeDown"))  # the same problem again
    assert len(alarms.events("assurance.root-cause-impact")) == 1
    assert len(alarms.events("assurance.customer-outage-started")) == 3
    assert len(alarms.events("assurance.service-outage-started")) == 3

    platform.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]
    alarms.raise_(signal(olt, "Device", "nodeDown", clears=True))
    ended = alarms.events("assurance.customer-outage-ended")
    assert {e["customer_id"] for e in ended} == {
        network.lines[key][0] for key in ("olt:ge-1", "olt:ge-2", "switch:ge-1")
    }
    by_customer = {e["customer_id"]: e for e in ended}
    ada = by_customer[network.lines["olt:ge-1"][0]]
    assert ada["service_ids"] == [network.lines["olt:ge-1"][2]]
    assert ada["product_ids"] == [network.lines["olt:ge-1"][1]]
    assert len(alarms.events("assurance.service-outage-ended")) == 3

    # after the clear, a port alarm behind the OLT is no longer grouped under it
    alarms.raise_(signal(alarms.port("switch:ge-2"), "Port"))
    assert alarms.by_object(alarms.port("switch:ge-2")).parent_alarm_id is None


def test_the_core_down_takes_every_customer(alarms: Alarms, network: Network) -> None:
    alarms.raise_(signal(alarms.device("core"), "Device", "deviceDown"))
    root = alarms.by_object(alarms.device("core"), "deviceDown")
    assert _ids((root.impact or {})["customers"]) == {line[0] for line in network.lines.values()}


def test_maintenance_makes_the_outage_planned(
    alarms: Alarms, network: Network, platform: bootstrap.Platform
) -> None:
    now = platform.clock.now()
    with platform.database.unit_of_work() as session:
        session.add(
            MaintenanceWindow(
                id=new_id(),
                name="OLT software upgrade",
                resource_ids=[alarms.device("olt")],
                starts_at=now - timedelta(minutes=5),
                ends_at=now + timedelta(hours=1),
                created_at=now,
            )
        )
    alarms.raise_(
        signal(alarms.device("olt"), "Device", "deviceDown"),
        signal(alarms.port("olt:ge-1"), "Port"),
    )
    root = alarms.by_object(alarms.device("olt"), "deviceDown")
    assert root.planned_outage
    assert alarms.by_object(alarms.port("olt:ge-1")).planned_outage
    (impact,) = alarms.events("assurance.root-cause-impact")
    assert impact["in_maintenance"] is True
    assert all(e["planned"] for e in alarms.events("assurance.service-outage-started"))
    # a port under the window's device is covered too
    alarms.raise_(signal(alarms.port("core:ge-9"), "Port"))
    assert not alarms.by_object(alarms.port("core:ge-9")).planned_outage


def test_a_root_cleared_by_hand_ends_its_outages(
    alarms: Alarms, network: Network, platform: bootstrap.Platform
) -> None:
    from ossbss.assurance import lifecycle

    alarms.raise_(signal(alarms.port("olt:ge-1"), "Port"))
    root = alarms.by_object(alarms.port("olt:ge-1"))
    with platform.database.unit_of_work() as session:
        lifecycle.clear(session, alarm_ids=[root.id], user_id="noc-1", now=platform.clock.now())
    (ended,) = alarms.events("assurance.customer-outage-ended")
    assert ended["customer_id"] == network.lines["olt:ge-1"][0]
    assert [e["alarm_id"] for e in alarms.events("assurance.service-outage-ended")] == [root.id]


def test_an_escalated_root_announces_only_the_customers_it_adds(
    alarms: Alarms, network: Network, platform: bootstrap.Platform, client: TestClient
) -> None:
    olt = alarms.device("olt")
    alarms.raise_(signal(olt, "Device", "deviceDown", severity="minor"))
    assert len(alarms.events("assurance.customer-outage-started")) == 3
    # a line activated on the OLT while it is down, then the alarm gets worse
    newcomer, _, _ = order_line(client, platform, network, "olt:ge-2", "Eve Late")
    alarms.raise_(signal(olt, "Device", "deviceDown", severity="critical"))
    started = alarms.events("assurance.customer-outage-started")
    assert [e["customer_id"] for e in started[3:]] == [newcomer]
    impacts = alarms.events("assurance.root-cause-impact")
    assert len(impacts) == 2
    assert newcomer in impacts[1]["customer_ids"]
    root = alarms.by_object(olt, "deviceDown")
    assert newcomer in {c["id"] for c in (root.impact or {})["customers"]}
    # a plain duplicate announces nothing
    alarms.raise_(signal(olt, "Device", "deviceDown", severity="critical"))
    assert len(alarms.events("assurance.root-cause-impact")) == 2


def test_work_on_a_device_covers_the_links_at_its_ports(
    alarms: Alarms, network: Network, platform: bootstrap.Platform
) -> None:
    now = platform.clock.now()
    with platform.database.unit_of_work() as session:
        session.add(
            MaintenanceWindow(
                id=new_id(),
                name="core line card swap",
                resource_ids=[alarms.device("core")],
                starts_at=now,
                ends_at=now + timedelta(hours=1),
                created_at=now,
            )
        )
    alarms.raise_(signal(alarms.port("olt:xe-up"), "Port"))
    root = alarms.by_object(alarms.port("olt:xe-up"))
    assert (root.impact or {})["rootKind"] == "link"
    assert root.planned_outage
    (impact,) = alarms.events("assurance.root-cause-impact")
    assert impact["alarmed_object_id"] == network.links["core-olt"]
    assert impact["in_maintenance"] is True
