"""Correlation: root causes through the topology and the impact of each root alarm.

Called by ``store.ingest`` in the same transaction, after a batch of signals is stored.
Set-based: a handful of queries per batch whatever its size (docs/rooms/assurance-correlation.md).

- A device down (``topology_rules.outage_kind``) becomes a root and groups every active
  alarm on the device, its ports, the devices behind it (they lose every path to the core
  without it), their ports and the links between them; a link down (on the link, or on a
  port that ends one) groups both ends and what is behind the link. The widest scope wins.
- A port down that hurts active services (an access port) is a root of its own.
- An alarm arriving later on a resource an active root covers is grouped at arrival.
- Each new root's impact (services, customers, products) is stored on it and announced;
  a cleared root ends the outages it announced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ossbss import inventory
from ossbss.assurance import impact, scope
from ossbss.assurance.scope import ALARMS, matching
from ossbss.assurance.topology_rules import Candidate, elect_roots, grown, outage_kind
from ossbss.kernel import Event
from ossbss.kernel.outbox import publish_many


class Outcome(Protocol):
    """What ``store.IngestOutcome`` tells correlation (ids of alarms)."""

    @property
    def raised(self) -> tuple[str, ...]: ...

    @property
    def updated(self) -> tuple[str, ...]: ...

    @property
    def cleared(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class Cleared:
    """An outcome for alarms cleared outside ``store.ingest`` (by hand)."""

    cleared: tuple[str, ...]
    raised: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Alarm:
    pk: int
    id: str
    state: str
    object_id: str | None
    object_type: str | None
    probable_cause: str
    severity: str
    raised_at: datetime
    cleared_at: datetime | None
    is_root_cause: bool
    parent_alarm_id: str | None
    impact: dict[str, Any] | None


def correlate(session: Session, *, outcome: Any, now: datetime) -> None:
    """Group the batch's new alarms under their root causes and record each root's impact
    (``outcome`` is the ``store.IngestOutcome`` of the batch)."""
    events: list[Event] = []
    raised = tuple(getattr(outcome, "raised", ()))
    updated = set(getattr(outcome, "updated", ()))
    cleared = set(getattr(outcome, "cleared", ()))
    alarms = _load(session, list(dict.fromkeys((*raised, *updated, *cleared))))
    active = [a for a in alarms if a.state != "cleared" and a.id not in cleared]
    fresh = [a for a in active if not a.is_root_cause and a.parent_alarm_id is None]
    escalated_roots = [a for a in active if a.is_root_cause and a.id in updated]
    if fresh:
        events += _correlate_fresh(session, fresh, now)
    if escalated_roots:
        events += _reassess(session, escalated_roots, now)
    if cleared:
        events += _end(session, [a for a in alarms if a.id in cleared and a.state == "cleared"])
    publish_many(session, events, now=now)


def _load(session: Session, ids: Sequence[str]) -> list[_Alarm]:
    c = ALARMS.c
    found: list[_Alarm] = []
    for condition in matching(session, c.id, ids):
        rows = session.execute(
            select(
                c.pk,
                c.id,
                c.state,
                c.alarmed_object_id,
                c.alarmed_object_type,
                c.probable_cause,
                c.perceived_severity,
                c.raised_at,
                c.cleared_at,
                c.is_root_cause,
                c.parent_alarm_id,
                c.impact,
            ).where(condition)
        )
        found += [_Alarm(*row) for row in rows]  # type: ignore[call-arg]
    found.sort(key=lambda alarm: alarm.pk)
    return found


# --- new alarms --------------------------------------------------------------------------


def _correlate_fresh(session: Session, fresh: list[_Alarm], now: datetime) -> list[Event]:
    objects = {alarm.object_id for alarm in fresh if alarm.object_id is not None}
    covered = scope.roots_covering(session, resource_ids=objects)
    # Alarms on what an active root already covers join it, whatever they say.
    joining: dict[str, list[str]] = {}
    planned_roots: set[str] = set()
    rest = []
    for alarm in fresh:
        owner = covered.get(alarm.object_id or "")
        if owner is None:
            rest.append(alarm)
            continue
        joining.setdefault(owner[0], []).append(alarm.id)
        if owner[1]:
            planned_roots.add(owner[0])
    for root_id, members in joining.items():
        _set_parent(session, root_id, members, planned=root_id in planned_roots)
    candidates = _candidates(session, rest)
    if not candidates:
        return []
    # Widest first: a port down inside a device's or a link's scope is grouped under it.
    roots, _ = elect_roots(candidates)
    by_id = {alarm.id: alarm for alarm in rest}
    assessments = impact.assess(
        session, roots=[_root(candidate, by_id[candidate.alarm_id]) for candidate in roots], now=now
    )
    # A port down that hurts no service stays a plain alarm.
    kept = [a for a in assessments if a.root.kind != "port" or a.services]
    if not kept:
        return []
    scope.add_many(session, {a.root.alarm_id: a.root.scope for a in kept})
    _group(session, kept)
    _mark_roots(session, kept, {alarm.id: alarm.pk for alarm in rest})
    return [event for a in kept for event in impact.started_events(a, occurred_at=now)]


def _candidates(session: Session, alarms: list[_Alarm]) -> list[Candidate]:
    """The alarms that say something is down, each with the scope it would group."""
    kinds = {
        alarm.id: outage_kind(
            probable_cause=alarm.probable_cause,
            severity=alarm.severity,
            object_type=alarm.object_type,
        )
        for alarm in alarms
        if alarm.object_id is not None
    }
    if not any(kinds.values()):
        return []
    ports_down = [a.object_id for a in alarms if kinds.get(a.id) == "port" and a.object_id]
    if set(kinds.values()) <= {"port", None} and not inventory.link_ends(session, ports_down):
        # access ports only (the common case): no need to read the whole graph
        topology = inventory.build_topology(devices=(), links=(), roles={})
    else:
        topology = inventory.network_topology(session)
    # (alarm, kind, object, devices it takes down, ports it takes down)
    planned: list[tuple[_Alarm, str, str, set[str], set[str]]] = []
    for alarm in alarms:
        kind: str | None = kinds.get(alarm.id)
        object_id = str(alarm.object_id)
        if kind == "port":
            link = topology.link_at(object_id)
            if link is not None:  # the port ends a link: the link is down
                kind = "link"
                object_id = link.id
        if kind == "device":
            planned.append(
                (
                    alarm,
                    kind,
                    object_id,
                    {object_id} | inventory.behind_device(topology, object_id),
                    set(),
                )
            )
        elif kind == "link":
            link = topology.link(object_id)
            if link is None:
                continue
            behind = inventory.behind_link(topology, link.id)
            planned.append((alarm, kind, link.id, behind, {link.port_a, link.port_b}))
        elif kind == "port":
            planned.append((alarm, kind, object_id, set(), {object_id}))
    devices = set().union(*(entry[3] for entry in planned)) if planned else set()
    ports = inventory.ports_of_devices(session, devices)
    candidates = []
    for alarm, kind, object_id, down_devices, down_ports in planned:
        members = set(down_devices) | down_ports
        for device in down_devices:
            members.update(ports.get(device, ()))
        if kind != "port":
            members.update(link.id for link in topology.links_touching(members))
        members.add(object_id)
        # the alarm's own object too: a port alarm that became a link's root covers its port
        members.add(str(alarm.object_id))
        candidates.append(
            Candidate(
                alarm_id=alarm.id,
                order=alarm.pk,
                kind=kind,  # type: ignore[arg-type]
                object_id=object_id,
                scope=frozenset(members),
            )
        )
    return candidates


def _root(candidate: Candidate, alarm: _Alarm) -> impact.Root:
    return impact.Root(
        alarm_id=candidate.alarm_id,
        kind=candidate.kind,
        object_id=candidate.object_id,
        severity=alarm.severity,
        raised_at=alarm.raised_at,
        scope=candidate.scope,
    )


def _group(session: Session, assessments: Sequence[impact.Assessment]) -> None:
    """Every active alarm on a new root's scope becomes its child (the first root's, in
    election order, when scopes overlap); roots among them step down (they keep the outages
    they announced; their scopes go; their children follow them)."""
    owner: dict[str, str] = {}
    for assessment in assessments:
        for member in assessment.root.scope:
            owner.setdefault(member, assessment.root.alarm_id)
    planned = {a.root.alarm_id for a in assessments if a.planned}
    new_roots = {a.root.alarm_id for a in assessments}
    c = ALARMS.c
    children: dict[str, list[str]] = {}
    demoted: dict[str, list[str]] = {}
    for condition in matching(session, c.alarmed_object_id, owner):
        rows = session.execute(
            select(c.id, c.alarmed_object_id, c.is_root_cause).where(
                condition, c.state != "cleared"
            )
        )
        for alarm_id, object_id, was_root in rows:
            root_id = owner[object_id]
            if alarm_id in new_roots:
                continue
            children.setdefault(root_id, []).append(alarm_id)
            if was_root:
                demoted.setdefault(root_id, []).append(alarm_id)
    scope.drop(session, root_alarm_ids=[i for ids in demoted.values() for i in ids])
    for root_id, members in children.items():
        _set_parent(session, root_id, members, planned=root_id in planned)
    for root_id, members in demoted.items():
        for condition in matching(session, c.parent_alarm_id, members):
            session.execute(
                update(ALARMS)
                .where(condition, c.state != "cleared")
                .values(parent_alarm_id=root_id)
            )


def _set_parent(session: Session, root_id: str, ids: Sequence[str], *, planned: bool) -> None:
    values: dict[str, Any] = {"parent_alarm_id": root_id, "is_root_cause": False}
    if planned:
        values["planned_outage"] = True
    for condition in matching(session, ALARMS.c.id, ids):
        session.execute(update(ALARMS).where(condition).values(**values))


def _mark_roots(
    session: Session, assessments: Sequence[impact.Assessment], pks: dict[str, int]
) -> None:
    if not assessments:
        return
    session.execute(
        update(ALARMS)
        .where(ALARMS.c.pk == bindparam("b_pk"))
        .values(
            is_root_cause=True,
            parent_alarm_id=None,
            service_affecting=bindparam("b_affecting"),
            planned_outage=bindparam("b_planned"),
            impact=bindparam("b_impact"),
        ),
        [
            {
                "b_pk": pks[a.root.alarm_id],
                "b_affecting": bool(a.services),
                "b_planned": a.planned,
                "b_impact": a.document(),
            }
            for a in assessments
        ],
    )


# --- escalated roots: the impact may have grown ------------------------------------------


def _reassess(session: Session, roots: list[_Alarm], now: datetime) -> list[Event]:
    events: list[Event] = []
    for alarm in roots:
        members = scope.resources_of(session, root_alarm_id=alarm.id)
        if not members:
            continue
        before = impact.hurt_services(alarm.impact)
        kind = str((alarm.impact or {}).get("rootKind") or "device")
        root = impact.Root(
            alarm_id=alarm.id,
            kind=kind,
            object_id=str(alarm.object_id),
            severity=alarm.severity,
            raised_at=alarm.raised_at,
            scope=frozenset(members),
        )
        (assessment,) = impact.assess(session, roots=[root], now=now)
        new_ids = set(grown((s.id for s in before), assessment.service_ids))
        if not new_ids:
            continue
        _mark_roots(session, [assessment], {alarm.id: alarm.pk})
        added = [service for service in assessment.services if service.id in new_ids]
        events += impact.started_events(assessment, services=added, occurred_at=now)
    return events


# --- cleared roots -----------------------------------------------------------------------


def _end(session: Session, cleared: list[_Alarm]) -> list[Event]:
    """Cleared alarms: their scopes go; the outages they announced end (a root that stepped
    down under a wider one still ends its own)."""
    events: list[Event] = []
    for alarm in cleared:
        if alarm.impact:
            ended_at = alarm.cleared_at or alarm.raised_at
            events += impact.ended_events(alarm.id, alarm.impact, ended_at=ended_at)
    scope.drop(session, root_alarm_ids=[alarm.id for alarm in cleared if alarm.is_root_cause])
    return events
