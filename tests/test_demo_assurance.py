"""The demo's assurance history (``demo.fault_history``) on a small demo world, read back
through the public APIs: last month's access-device outage is a cleared root alarm with its
port alarms grouped under it and the customers it cut off, a ticket opened and resolved, SLA
credits on the affected products' accounts (once), and a fortnight of uplink KPIs with a 95th
percentile and a capacity forecast."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from ossbss import billing, bootstrap, demo, performance
from ossbss.kernel import FixedClock
from ossbss.provisioning.drivers.fake import FakeDriver

ALARMS = "/tmf-api/alarmManagement/v4/alarm"
TICKETS = "/tmf-api/troubleTicket/v4/troubleTicket"
INVENTORY = "/tmf-api/resourceInventoryManagement/v4/resource"
PRODUCTS = "/tmf-api/productInventory/v4/product"
PERFORMANCE = "/performance/v1"
# Enough customers for the demo's orders (8 fibre lines on the OLT, mobiles, one on the core).
CUSTOMERS = 22
QUIET = Console(quiet=True)


def _last_month(now: datetime) -> tuple[datetime, datetime]:
    this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (this_month - timedelta(days=1)).replace(day=1), this_month


@pytest.fixture
def world(
    platform: bootstrap.Platform, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[demo.AssuranceReport]:
    """The demo loaded 80 days ago (as ``ossbss demo load`` does), billed, then its fault
    history played at today's date. The OLT's NETCONF device is the fake driver, so the fibre
    lines go active; the bills' PDFs are not rendered (most of the time, nothing to do here)."""
    monkeypatch.setattr(billing, "render_pending", lambda *args, **kwargs: 0)
    drivers = platform.activator.drivers
    assert isinstance(drivers, dict)
    previous = drivers["netconf"]
    drivers["netconf"] = FakeDriver("netconf")
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        clock.set(now - timedelta(days=80))
        report = demo.load(platform, customers=CUSTOMERS, console=QUIET)
        clock.set(now)
        demo.bill_history(platform, cycle_ids=report.cycle_ids, console=QUIET)
        yield demo.fault_history(platform, console=QUIET)
    finally:
        drivers["netconf"] = previous


def _items(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(path, params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    return items


def _device(client: TestClient, name: str) -> dict[str, Any]:
    (device,) = _items(client, INVENTORY, name=name)
    return device


def test_fault_history(
    client: TestClient, platform: bootstrap.Platform, world: demo.AssuranceReport
) -> None:
    """One test, three stories: the demo world takes most of the time to build."""
    _root_alarm_with_its_customers_and_resolved_tickets(client, platform.clock.now())
    _sla_credits_once(client, platform, world)
    _uplink_kpis_with_a_forecast(client, platform)


def _root_alarm_with_its_customers_and_resolved_tickets(client: TestClient, now: datetime) -> None:
    olt = _device(client, "olt-leeds-1")
    alarms = _items(client, ALARMS)
    (root,) = [a for a in alarms if a["probableCause"] == "DeviceDown"]
    assert root["isRootCause"] is True
    assert root["alarmedObject"]["id"] == olt["id"]
    assert root["state"] == "cleared"
    start, end = _last_month(now)
    raised = datetime.fromisoformat(root["alarmRaisedTime"])
    cleared = datetime.fromisoformat(root["alarmClearedTime"])
    assert start <= raised < cleared < end
    assert cleared - raised == timedelta(hours=3, minutes=20) - timedelta(seconds=40)

    children = [a for a in alarms if a["parentAlarm"]]
    assert len(children) == 8
    assert {child["parentAlarm"][0]["id"] for child in children} == {root["id"]}
    assert all(child["state"] == "cleared" for child in children)
    assert all(child["alarmedObjectType"] == "Port" for child in children)
    single = client.get(f"{ALARMS}/{root['id']}").json()
    assert {ref["id"] for ref in single["correlatedAlarm"]} == {c["id"] for c in children}

    # The eight fibre customers on the OLT's first ports, each with the product on that line.
    fibre = [p for p in _items(client, PRODUCTS, status="active") if _on_olt(p, olt, client)]
    assert len(fibre) == 8
    customers = {c["id"] for c in root["impactedCustomer"]}
    assert customers == {_customer_of(p) for p in fibre}
    assert {p["id"] for p in root["impactedProduct"]} >= {p["id"] for p in fibre}

    # The lone port outage later in the month is a root of its own (one customer's line).
    (lone,) = [a for a in alarms if a["isRootCause"] and a["id"] != root["id"]]
    assert lone["state"] == "cleared"
    assert lone["alarmedObjectType"] == "Port"
    assert len(lone["impactedCustomer"]) == 1
    assert lone["impactedCustomer"][0]["id"] in customers

    tickets = {
        entity["id"]: ticket
        for ticket in _items(client, TICKETS)
        for entity in ticket["relatedEntity"]
    }
    for alarm in (root, lone):
        ticket = tickets[alarm["id"]]
        assert ticket["status"] == "resolved"
        assert ticket["ticketType"] == "networkOutage"


def _on_olt(product: dict[str, Any], olt: dict[str, Any], client: TestClient) -> bool:
    characteristics = {c["name"]: c["value"] for c in product.get("productCharacteristic") or []}
    port_id = characteristics.get("accessPort")
    if not port_id:
        return False
    port = client.get(f"{INVENTORY}/{port_id}").json()
    return any(r["resource"]["id"] == olt["id"] for r in port["resourceRelationship"])


def _customer_of(product: dict[str, Any]) -> str:
    (customer,) = [p["id"] for p in product["relatedParty"] if p["role"] == "customer"]
    return str(customer)


def _sla_credits_once(
    client: TestClient, platform: bootstrap.Platform, world: demo.AssuranceReport
) -> None:
    start, _ = _last_month(platform.clock.now())
    month = f"{start:%Y-%m}"
    report = client.get(f"{PERFORMANCE}/slaReport", params={"month": month})
    assert report.status_code == 200, report.text
    breached = [line for line in report.json()["line"] if line["breached"]]
    assert len(breached) == world.credits == 8
    assert all(line["downtimeSeconds"] >= 3 * 3600 for line in breached)
    assert all(line["creditPercent"] > 0 for line in breached)

    accounts = {line["billingAccountId"] for line in breached}
    with platform.database.unit_of_work(write=False) as session:
        pending = billing.pending_adjustments(session, account_ids=sorted(accounts))
    credits = [a for found in pending.values() for a in found if a.source == "sla"]
    assert {a.billing_account_id for a in credits} == accounts
    assert len(credits) == len(breached)
    assert all(a.amount_minor < 0 for a in credits)

    # The same month evaluated again (as the monthly job would) credits nothing more.
    with platform.database.unit_of_work() as session:
        again = performance.evaluate_sla(session, month=month, now=platform.clock.now())
    assert again == []
    while platform.dispatcher.run_pending():
        pass
    with platform.database.unit_of_work(write=False) as session:
        pending = billing.pending_adjustments(session, account_ids=sorted(accounts))
    assert sum(a.source == "sla" for found in pending.values() for a in found) == len(credits)


def _uplink_kpis_with_a_forecast(client: TestClient, platform: bootstrap.Platform) -> None:
    now = platform.clock.now()
    period = {"start": (now - timedelta(days=15)).isoformat(), "end": now.isoformat()}
    uplinks = [
        r
        for r in _items(client, INVENTORY, **{"@type": "Port"})
        if {c["name"]: c["value"] for c in r["resourceCharacteristic"]}.get("role") == "uplink"
    ]
    assert len(uplinks) == 2
    for port in uplinks:
        found = client.get(
            f"{PERFORMANCE}/performanceMeasurement",
            params={"resourceId": port["id"], "metric": performance.IN_UTILISATION, **period},
        )
        assert found.status_code == 200, found.text
        points = found.json()["point"]
        assert sum(p["count"] for p in points) == 14 * 24
        assert 20 < min(p["min"] for p in points) < max(p["max"] for p in points) < 80

    links = _items(client, f"{PERFORMANCE}/linkUtilisation", **period)
    (link,) = links
    assert {link["portA"], link["portB"]} == {p["id"] for p in uplinks}
    assert 50 < link["percentile95"] < 70
    crossing = date.fromisoformat(link["forecastCrossing"])
    # a story for the capacity planner: weeks ahead, not tomorrow and not next year
    assert now.date() + timedelta(days=14) < crossing < now.date() + timedelta(days=60)
