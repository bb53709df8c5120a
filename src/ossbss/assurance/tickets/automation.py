"""Tickets the network opens and resolves by itself: one ticket per customer-impacting root
alarm (outside maintenance windows), resolved when that alarm clears (or noted, when
OSSBSS_TICKET_AUTO_RESOLVE is off). Handlers are idempotent: the ticket is keyed by alarm."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss import inventory
from ossbss.assurance.models import Alarm
from ossbss.assurance.signals import SEVERITIES
from ossbss.assurance.tickets import domain
from ossbss.assurance.tickets.service import create_ticket, patch_ticket, ticket_for_alarm
from ossbss.assurance.tickets.wiring import auto_resolve
from ossbss.events.assurance import AlarmCleared, RootCauseImpact
from ossbss.kernel import Clock, HandlerRegistry
from ossbss.kernel.errors import NotFound
from ossbss.kernel.time import format_datetime

ALARM_PATH = "/tmf-api/alarmManagement/v4/alarm"
CUSTOMER_PATH = "/tmf-api/customerManagement/v4/customer"
SERVICE_PATH = "/tmf-api/serviceInventory/v4/service"
TICKET_TYPE = "networkOutage"
CHANNEL = {"id": "assurance", "name": "assurance", "@referredType": "Channel"}


def subscribe_tickets(registry: HandlerRegistry, clock: Clock) -> None:
    registry.subscribe(RootCauseImpact, on_root_cause_impact, name="assurance.tickets.open")
    registry.subscribe(AlarmCleared, on_alarm_cleared, name="assurance.tickets.resolve")


def on_root_cause_impact(session: Session, event: RootCauseImpact) -> None:
    if not event.customer_ids or event.in_maintenance:
        return
    open_for_root_alarm(
        session,
        alarm_id=event.alarm_id,
        severity=event.perceived_severity,
        customer_ids=event.customer_ids,
        service_ids=event.service_ids,
        now=event.occurred_at,
    )


def on_alarm_cleared(session: Session, event: AlarmCleared) -> None:
    # Any alarm with a ticket: a root that later stepped down under a wider root (no longer
    # is_root_cause when it clears) still resolves the ticket it opened.
    root_alarm_cleared(session, alarm_id=event.alarm_id, now=event.occurred_at)


def open_for_root_alarm(
    session: Session,
    *,
    alarm_id: str,
    severity: str,
    customer_ids: Sequence[str],
    service_ids: Sequence[str],
    now: datetime,
) -> str:
    """The root alarm's ticket: opened the first time, widened (more customers, services, a
    worse severity) when the impact grows. Returns the ticket id."""
    parties = [_customer(customer_id) for customer_id in customer_ids]
    services = [_service(service_id) for service_id in service_ids]
    existing = ticket_for_alarm(session, alarm_id=alarm_id)
    if existing is None:
        alarm = session.scalars(select(Alarm).where(Alarm.id == alarm_id)).one_or_none()
        payload = {
            "name": _title(session, alarm, alarm_id),
            "description": _description(session, alarm, alarm_id, len(parties), len(services)),
            "severity": severity,
            "ticketType": TICKET_TYPE,
            "channel": CHANNEL,
            "relatedEntity": [_alarm_ref(alarm, alarm_id), *services],
            "relatedParty": parties,
        }
        document = create_ticket(
            session, payload=payload, now=now, alarm_id=alarm_id, author="assurance", system=True
        )
        return str(document["id"])
    body = existing.body
    patch: dict[str, Any] = {}
    new_parties = _missing(body.get("relatedParty") or [], parties)
    new_services = _missing(body.get("relatedEntity") or [], services)
    if new_parties:
        patch["relatedParty"] = [*(body.get("relatedParty") or []), *new_parties]
    if new_services:
        patch["relatedEntity"] = [*(body.get("relatedEntity") or []), *new_services]
    if _worse(severity, body.get("severity")):
        patch["severity"] = severity
    if patch:
        added = ", ".join(ref["id"] for ref in [*new_parties, *new_services]) or "none"
        text = f"Impact grew at {format_datetime(now)}: added {added}"
        if "severity" in patch:
            text += f"; severity now {severity}"
        patch["note"] = [{"text": text}]
        patch_ticket(
            session, ticket_id=existing.id, patch=patch, now=now, author="assurance", system=True
        )
    return existing.id


def root_alarm_cleared(session: Session, *, alarm_id: str, now: datetime) -> None:
    ticket = ticket_for_alarm(session, alarm_id=alarm_id)
    if ticket is None or ticket.status not in domain.OPEN:
        return
    when = format_datetime(now)
    if auto_resolve():
        patch: dict[str, Any] = {
            "status": domain.RESOLVED,
            "statusChangeReason": "root alarm cleared",
            "note": [{"text": f"Root alarm {alarm_id} cleared at {when}: resolved automatically"}],
        }
    else:
        patch = {
            "note": [{"text": f"Root alarm {alarm_id} cleared at {when}: resolve once verified"}]
        }
    patch_ticket(
        session, ticket_id=ticket.id, patch=patch, now=now, author="assurance", system=True
    )


def _worse(severity: str, current: Any) -> bool:
    rank = {name: index for index, name in enumerate(SEVERITIES)}
    new, old = rank.get(severity.lower()), rank.get(str(current or "").lower())
    return new is not None and (old is None or new < old)


def _missing(existing: Sequence[Any], wanted: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    known = {(ref.get("@referredType"), ref.get("id")) for ref in existing}
    return [ref for ref in wanted if (ref["@referredType"], ref["id"]) not in known]


def _customer(customer_id: str) -> dict[str, Any]:
    return {
        "id": customer_id,
        "href": f"{CUSTOMER_PATH}/{customer_id}",
        "role": "customer",
        "@referredType": "Customer",
    }


def _service(service_id: str) -> dict[str, Any]:
    return {
        "id": service_id,
        "href": f"{SERVICE_PATH}/{service_id}",
        "role": "affectedService",
        "@referredType": "Service",
    }


def _alarm_ref(alarm: Alarm | None, alarm_id: str) -> dict[str, Any]:
    ref = {
        "id": alarm_id,
        "href": f"{ALARM_PATH}/{alarm_id}",
        "role": "rootCause",
        "@referredType": "Alarm",
    }
    if alarm is not None:
        ref["name"] = alarm.probable_cause
    return ref


def _title(session: Session, alarm: Alarm | None, alarm_id: str) -> str:
    if alarm is None:
        return f"Network outage (alarm {alarm_id})"
    where = _object_name(session, alarm) or alarm.source_address or "an unresolved object"
    return f"{alarm.probable_cause} on {where}"[:200]


def _description(
    session: Session, alarm: Alarm | None, alarm_id: str, customers: int, services: int
) -> str:
    what = "A network fault"
    if alarm is not None:
        what = alarm.probable_cause
        if alarm.specific_problem:
            what += f" ({alarm.specific_problem})"
        if alarm.alarmed_object_id:
            kind = alarm.alarmed_object_type or "resource"
            what += f" on {kind} {_object_name(session, alarm)} ({alarm.alarmed_object_id})"
    return (
        f"{what}, root alarm {alarm_id}, affects {services} service(s) of {customers} customer(s)."
    )


def _object_name(session: Session, alarm: Alarm) -> str | None:
    """The alarmed resource's name as staff know it (``olt-leeds-1``), else its id."""
    if alarm.alarmed_object_id is None:
        return None
    try:
        resource = inventory.get_resource(session, resource_id=alarm.alarmed_object_id)
    except NotFound:
        return alarm.alarmed_object_id
    return str(resource.get("name") or alarm.alarmed_object_id)
