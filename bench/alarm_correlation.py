"""Correlation of a device down with its port alarms: an OLT with 1,000 access ports, each
with a customer's line on it (an RFS on the port under a CFS, a product), three switches
behind the OLT with ports of their own, a core router.

Three scenarios, each timed around ``correlation.correlate`` only (the alarms are inserted
beforehand, as ``store.ingest`` would have written them):

- ports first: the 1,000 port alarms arrive as one batch (each hurts one customer: 1,000
  access-port roots with their impact), then the device down arrives and takes them over;
- one batch: the device down and the 1,000 port alarms together;
- the device down's batch alone is the issue's figure (≤ 1 s).

The reference, measured in the same run: a bare SELECT of the same alarms' rows by id (what
reading the batch costs before any correlation).

    .venv/bin/python bench/alarm_correlation.py                  # temp SQLite file
    scripts/with-postgres.sh sh -c \\
      '.venv/bin/python bench/alarm_correlation.py --database-url "$OSSBSS_TEST_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select

from ossbss import bootstrap, inventory, party, tmf
from ossbss.assurance import correlation
from ossbss.assurance.models import Alarm
from ossbss.assurance.scope import AlarmScope
from ossbss.kernel import Database, OutboxMessage, new_id

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ALARMS = cast(Table, Alarm.__table__)


@dataclass(frozen=True)
class Outcome:
    raised: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    cleared: tuple[str, ...] = ()


@dataclass
class Network:
    olt: str
    access_ports: list[str]
    switches: list[str]
    switch_ports: list[str]


def _chars(**values: Any) -> list[dict[str, Any]]:
    return [{"name": name, "value": value} for name, value in values.items()]


def _device(name: str, role: str, address: str) -> dict[str, Any]:
    return {
        "@type": "Device",
        "name": name,
        "resourceCharacteristic": _chars(
            vendor="lab", model="lab", managementAddress=address, role=role
        ),
    }


def _port(device_id: str, name: str, role: str) -> dict[str, Any]:
    return {
        "@type": "Port",
        "name": name,
        "resourceCharacteristic": _chars(name=name, role=role),
        "resourceRelationship": [
            {"relationshipType": "isContainedIn", "resource": {"id": device_id}}
        ],
    }


def _link(end_a: str, end_b: str) -> dict[str, Any]:
    return {
        "@type": "Link",
        "name": f"{end_a} <> {end_b}",
        "resourceRelationship": [
            {"relationshipType": "connectsTo", "resource": {"id": end}} for end in (end_a, end_b)
        ],
    }


def build(database: Database, *, ports: int, switches: int) -> Network:
    with database.unit_of_work() as session:

        def load(resource: Any, payloads: list[dict[str, Any]]) -> list[str]:
            return tmf.import_resources(session, resource=resource, payloads=payloads, now=NOW)

        core, olt, *behind = load(
            inventory.RESOURCE,
            [_device("core", "core", "10.0.0.1"), _device("olt", "access", "10.0.0.2")]
            + [_device(f"sw{n}", "access", f"10.0.1.{n}") for n in range(switches)],
        )
        (core_down,) = load(inventory.RESOURCE, [_port(core, "xe-0", "uplink")])
        olt_up, *olt_down = load(
            inventory.RESOURCE,
            [_port(olt, "xe-up", "uplink")]
            + [_port(olt, f"xe-d{n}", "uplink") for n in range(switches)],
        )
        access = load(inventory.RESOURCE, [_port(olt, f"ge-{n}", "access") for n in range(ports)])
        switch_ports: list[str] = []
        links = [_link(core_down, olt_up)]
        for n, switch in enumerate(behind):
            up, *rest = load(
                inventory.RESOURCE,
                [_port(switch, "xe-up", "uplink")]
                + [_port(switch, f"ge-{m}", "access") for m in range(10)],
            )
            links.append(_link(olt_down[n], up))
            switch_ports += [up, *rest]
        load(inventory.RESOURCE, links)
        people = load(
            party.INDIVIDUAL, [{"givenName": f"C{n}", "familyName": "Bench"} for n in range(ports)]
        )
        customers = load(
            party.CUSTOMER,
            [
                {"name": f"C{n} Bench", "engagedParty": {"id": p, "@referredType": "Individual"}}
                for n, p in enumerate(people)
            ],
        )
        parties = [[{"id": c, "role": "customer", "@referredType": "Customer"}] for c in customers]
        rfs = load(
            inventory.SERVICE,
            [
                {
                    "name": "access-line",
                    "category": "RFS",
                    "serviceSpecification": {"id": "rfs:access-line", "name": "access-line"},
                    "state": "active",
                    "serviceCharacteristic": _chars(port=port_id, device=olt, vlan=str(100 + n)),
                    "relatedParty": parties[n],
                }
                for n, port_id in enumerate(access)
            ],
        )
        load(
            inventory.SERVICE,
            [
                {
                    "name": "Internet access",
                    "category": "CFS",
                    "serviceSpecification": {"id": "cfs-internet", "name": "Internet access"},
                    "state": "active",
                    "supportingService": [{"id": rfs[n]}],
                    "relatedParty": parties[n],
                    "relatedEntity": [
                        {"id": f"product-{n}", "role": "product", "@referredType": "Product"}
                    ],
                }
                for n in range(ports)
            ],
        )
        # bulk imports skip the per-write footprint: the backfill the migration runs
        inventory.rebuild_footprint(session)
    return Network(olt, access, behind, switch_ports)


def _alarm(object_id: str, object_type: str, cause: str, severity: str) -> dict[str, Any]:
    return {
        "id": new_id(),
        "reduction_key": f"{cause}:{object_id}:{new_id()}",
        "source": "snmp",
        "state": "raised",
        "alarm_type": "communicationsAlarm",
        "probable_cause": cause,
        "perceived_severity": severity,
        "alarmed_object_id": object_id,
        "alarmed_object_type": object_type,
        "resolved": True,
        "raised_at": NOW,
        "last_occurred_at": NOW,
        "changed_at": NOW,
        "count": 1,
    }


def insert_alarms(database: Database, rows: list[dict[str, Any]]) -> tuple[str, ...]:
    with database.unit_of_work() as session:
        session.execute(insert(ALARMS), rows)
    return tuple(row["id"] for row in rows)


def timed_correlate(database: Database, ids: tuple[str, ...]) -> float:
    with database.unit_of_work() as session:
        began = time.perf_counter()
        correlation.correlate(session, outcome=Outcome(raised=ids), now=NOW + timedelta(seconds=1))
        session.flush()
        elapsed = time.perf_counter() - began
    return elapsed


def timed_bare_read(database: Database, ids: tuple[str, ...]) -> float:
    with database.unit_of_work(write=False) as session:
        began = time.perf_counter()
        for start in range(0, len(ids), 900):
            session.execute(select(ALARMS).where(ALARMS.c.id.in_(ids[start : start + 900]))).all()
        return time.perf_counter() - began


def reset(database: Database) -> None:
    with database.unit_of_work() as session:
        session.execute(delete(ALARMS))
        session.execute(delete(cast(Table, AlarmScope.__table__)))
        session.execute(delete(cast(Table, OutboxMessage.__table__)))


def port_alarms(network: Network) -> list[dict[str, Any]]:
    rows = [_alarm(port, "Port", "linkDown", "major") for port in network.access_ports]
    rows += [_alarm(sw, "Device", "unreachable", "critical") for sw in network.switches]
    rows += [_alarm(port, "Port", "linkDown", "major") for port in network.switch_ports]
    return rows


def check(database: Database, root: str, expected_children: int) -> None:
    with database.unit_of_work(write=False) as session:
        row = session.execute(select(ALARMS).where(ALARMS.c.id == root)).one()
        children = session.scalars(
            select(ALARMS.c.id).where(ALARMS.c.parent_alarm_id == root)
        ).all()
    assert row.is_root_cause, "the device down is not a root"
    assert len(children) == expected_children, (len(children), expected_children)
    assert len(row.impact["customers"]) >= 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--ports", type=int, default=1000, help="access ports on the OLT")
    parser.add_argument("--switches", type=int, default=3, help="switches behind the OLT")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each scenario")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}"
        database = Database(url)
        metadata = bootstrap.metadata()
        metadata.drop_all(database.engine)
        metadata.create_all(database.engine)
        began = time.perf_counter()
        network = build(database, ports=args.ports, switches=args.switches)
        print(
            f"network: {args.ports} access ports with a customer each, {args.switches} "
            f"switches behind the OLT ({time.perf_counter() - began:.1f} s to build)"
        )
        grouped = len(port_alarms(network))
        results: dict[str, list[float]] = {"ports": [], "device": [], "together": [], "bare": []}
        for _ in range(args.rounds):
            reset(database)
            ports = insert_alarms(database, port_alarms(network))
            results["bare"].append(timed_bare_read(database, ports))
            results["ports"].append(timed_correlate(database, ports))
            down = insert_alarms(database, [_alarm(network.olt, "Device", "deviceDown", "major")])
            results["device"].append(timed_correlate(database, down))
            check(database, down[0], grouped)
            reset(database)
            together = insert_alarms(
                database,
                [_alarm(network.olt, "Device", "deviceDown", "major"), *port_alarms(network)],
            )
            results["together"].append(timed_correlate(database, together))
            check(database, together[0], grouped)
        best = {name: min(values) for name, values in results.items()}
        print(f"engine: {database.engine.dialect.name}; {grouped} alarms grouped under the root")
        print(f"bare read of the {grouped} alarms:                  {best['bare'] * 1000:8.1f} ms")
        for name, label in (
            ("device", "device down, port alarms already there"),
            ("together", "device down and port alarms in one batch"),
            ("ports", "port alarms alone (1 root per customer)"),
        ):
            print(
                f"{label}: {best[name] * 1000:8.1f} ms "
                f"({best[name] / best['bare']:.1f}x the bare read)"
            )
        print(
            "target: a device down with 1,000 port alarms correlated in <= 1 s: "
            + ("met" if max(best["device"], best["together"]) <= 1.0 else "NOT met")
        )
        database.dispose()


if __name__ == "__main__":
    main()
