"""Trouble ticket use cases: create, change (status, notes, priority ...), read, list, delete.

Keyword-only, take ``session`` and ``now``, never commit. Writes go through the TMF store (the
document and its reference index) and then set the ticket's narrow SLA columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ossbss import party
from ossbss.assurance.models import Alarm
from ossbss.assurance.tickets import domain
from ossbss.assurance.tickets.models import TroubleTicket
from ossbss.assurance.tickets.render import Document, render
from ossbss.assurance.tickets.resource import SERVER_FIELDS, TICKET_API, TROUBLE_TICKET
from ossbss.assurance.tickets.wiring import current_policy
from ossbss.kernel.errors import Conflict, InvalidInput, InvalidStateTransition, NotFound
from ossbss.kernel.ids import new_id
from ossbss.kernel.outbox import publish
from ossbss.kernel.time import format_datetime
from ossbss.tmf import ResourceChanged, check_initial, has_subscribers, merge_patch
from ossbss.tmf import store as tmf_store

SYSTEM_AUTHOR = "ossbss"
# What a status change alone changes: not an attribute change worth its own notification.
_STATUS_FIELDS = frozenset(
    {"status", "statusChange", "statusChangeDate", "statusChangeReason", "resolutionDate"}
)
_QUIET = frozenset({"lastUpdate"})


# --- reading --------------------------------------------------------------------------------


def ticket_row(session: Session, ticket_id: str, *, for_update: bool = False) -> TroubleTicket:
    if "\x00" in ticket_id:
        raise NotFound(f"No troubleTicket with id {ticket_id!r}", field="id")
    query = (
        select(TroubleTicket)
        .where(TroubleTicket.id == ticket_id)
        .execution_options(populate_existing=True)
    )
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFound(f"No troubleTicket with id {ticket_id}", field="id")
    return row


def get_ticket(session: Session, *, ticket_id: str, now: datetime) -> Document:
    return render(ticket_row(session, ticket_id), now=now, near=current_policy().near_breach)


def ticket_for_alarm(session: Session, *, alarm_id: str) -> TroubleTicket | None:
    return session.scalars(
        select(TroubleTicket)
        .where(TroubleTicket.alarm_id == alarm_id)
        .execution_options(populate_existing=True)
    ).one_or_none()


# --- creating -------------------------------------------------------------------------------


def create_ticket(
    session: Session,
    *,
    payload: Any,
    now: datetime,
    author: str | None = None,
    alarm_id: str | None = None,
    system: bool = False,
) -> Document:
    """A ticket from a TMF621 ``TroubleTicket_Create`` body: validated against the spec, then
    given its status history, priority (from the severity when absent) and SLA due times.
    ``alarm_id`` ties an automatic ticket to its root alarm (one ticket per alarm)."""
    body = _object(payload)
    TICKET_API.spec.validate("TroubleTicket_Create", body)
    check_initial(domain.INITIAL, body.get("status"), field="status")
    policy = current_policy()
    priority = body.get("priority") or policy.priority_for(body.get("severity"))
    _check_priority(priority)
    if not system:  # the server's own references (correlation's customers) are known good
        _check_references(session, body, old=None)
    body = {key: value for key, value in body.items() if key not in SERVER_FIELDS}
    stamp = format_datetime(now)
    body.update(
        status=domain.ACKNOWLEDGED,
        priority=priority,
        creationDate=stamp,
        lastUpdate=stamp,
        statusChangeDate=stamp,
        statusChange=[
            {"status": domain.ACKNOWLEDGED, "changeDate": stamp, "changeReason": "opened"}
        ],
        note=_with_new_notes([], body.get("note") or [], now=now, author=author),
    )
    timers = domain.timers(policy, priority, now)
    if timers.resolve_by is not None:
        body["expectedResolutionDate"] = format_datetime(timers.resolve_by)
    ticket_id = new_id()
    tmf_store.insert_document(session, TROUBLE_TICKET, ticket_id, body, now)
    session.execute(
        update(TroubleTicket)
        .where(TroubleTicket.id == ticket_id)
        .values(alarm_id=alarm_id, respond_by=timers.respond_by, resolve_by=timers.resolve_by)
    )
    document = get_ticket(session, ticket_id=ticket_id, now=now)
    notify(session, "Create", document, now)
    return document


# --- changing -------------------------------------------------------------------------------


def patch_ticket(
    session: Session,
    *,
    ticket_id: str,
    patch: Any,
    now: datetime,
    author: str | None = None,
    system: bool = False,
) -> Document:
    """A JSON merge patch. Status moves follow the lifecycle (409 naming ``status``; the
    ``system`` may resolve an open ticket directly); notes are append-only (entries without a
    known id are added with their author and date); a new priority or severity recomputes the
    SLA due times from the ticket's creation."""
    changes = _object(patch)
    for name in changes:
        if name in SERVER_FIELDS:
            raise InvalidInput("Attribute not patchable", field=name, detail="is set by the server")
    TICKET_API.spec.validate(
        "TroubleTicket_Update", {k: v for k, v in changes.items() if v is not None}, partial=True
    )
    row = ticket_row(session, ticket_id, for_update=True)
    old: Document = dict(row.body)
    notes = changes.pop("note", None)
    new = merge_patch(old, changes)
    if notes is not None:
        new["note"] = _with_new_notes(old.get("note") or [], notes, now=now, author=author)
    TICKET_API.spec.validate("TroubleTicket_Create", new)
    if not system:
        _check_references(session, new, old=old)
    policy = current_policy()
    if "severity" in changes and "priority" not in changes:
        new["priority"] = policy.priority_for(new.get("severity"))
    _check_priority(new.get("priority"))
    columns: dict[str, Any] = {}
    if new.get("priority") != old.get("priority"):
        timers = domain.timers(policy, new.get("priority"), row.created_at)
        columns.update(respond_by=timers.respond_by, resolve_by=timers.resolve_by)
        new.pop("expectedResolutionDate", None)
        if timers.resolve_by is not None:
            new["expectedResolutionDate"] = format_datetime(timers.resolve_by)
    status_moved = new.get("status") != old.get("status")
    if status_moved:
        columns.update(_move(row, old, new, now=now, system=system))
    if new == old:
        return render(row, now=now, near=policy.near_breach)
    new["lastUpdate"] = format_datetime(now)
    tmf_store.update_document(session, TROUBLE_TICKET, ticket_id, new, now, old=old)
    if columns:
        session.execute(
            update(TroubleTicket).where(TroubleTicket.id == ticket_id).values(**columns)
        )
    document = get_ticket(session, ticket_id=ticket_id, now=now)
    if status_moved:
        notify(session, "StatusChange", document, now)
        if new["status"] == domain.RESOLVED:
            notify(session, "Resolved", document, now)
    if _others(old) != _others(new):
        notify(session, "AttributeValueChange", document, now)
    return document


def _move(
    row: TroubleTicket, old: Document, new: Document, *, now: datetime, system: bool
) -> dict[str, Any]:
    before, after = str(old.get("status")), str(new.get("status"))
    automatic = system and before in domain.OPEN and after == domain.RESOLVED
    if not (automatic or domain.may_move(before, after)):
        allowed = ", ".join(sorted(domain.allowed_moves(before))) or "none (final state)"
        raise InvalidStateTransition(
            "Invalid status change",
            field="status",
            detail=f"cannot go from {before} to {after}; allowed: {allowed}",
        )
    stamp = format_datetime(now)
    change = {"status": after, "changeDate": stamp}
    if new.get("statusChangeReason"):
        change["changeReason"] = new["statusChangeReason"]
    new["statusChange"] = [*(old.get("statusChange") or []), change]
    new["statusChangeDate"] = stamp
    moved = domain.apply_move(
        old=before,
        new=after,
        at=now,
        responded_at=row.responded_at,
        ended_at=row.ended_at,
    )
    if after == domain.RESOLVED:
        new["resolutionDate"] = stamp
    elif after in domain.OPEN:
        new.pop("resolutionDate", None)  # reopened: the earlier resolution did not hold
    return {"status": after, "responded_at": moved.responded_at, "ended_at": moved.ended_at}


def add_note(
    session: Session, *, ticket_id: str, text: str, now: datetime, author: str | None = None
) -> Document:
    return patch_ticket(
        session,
        ticket_id=ticket_id,
        patch={"note": [{"text": text}]},
        now=now,
        author=author,
        system=True,
    )


def delete_ticket(session: Session, *, ticket_id: str, now: datetime) -> None:
    """Only a ticket in a final state (closed, cancelled, rejected) goes: an open or resolved
    one is service history still running its SLA clocks."""
    row = ticket_row(session, ticket_id, for_update=True)
    if row.status not in domain.FINAL:
        raise Conflict(
            "Ticket still open",
            field="status",
            detail=f"a {row.status} ticket cannot be deleted; close or cancel it first",
        )
    document = render(row, now=now, near=current_policy().near_breach)
    tmf_store.delete_document(session, TROUBLE_TICKET, ticket_id)
    notify(session, "Delete", document, now)


# --- rules needing the database, and helpers ------------------------------------------------


def _check_priority(priority: Any) -> None:
    known = current_policy().targets
    if priority not in known:
        raise InvalidInput(
            "Unknown priority", field="priority", detail=f"must be one of {', '.join(known)}"
        )


def _check_references(session: Session, body: Document, *, old: Document | None) -> None:
    """Customers and alarms a ticket points at must exist (those already on it stay valid)."""
    kept = {
        (entry.get("@referredType"), entry.get("id"))
        for name in ("relatedParty", "relatedEntity")
        for entry in (old or {}).get(name) or []
    }
    for index, entry in enumerate(body.get("relatedParty") or []):
        if (entry.get("@referredType"), entry.get("id")) in kept:
            continue
        if entry.get("@referredType") == "Customer" and not _customer_found(session, entry["id"]):
            raise InvalidInput(
                "Unknown customer",
                field=f"relatedParty[{index}].id",
                detail=f"no customer {entry['id']}",
            )
    for index, entry in enumerate(body.get("relatedEntity") or []):
        if (entry.get("@referredType"), entry.get("id")) in kept:
            continue
        if entry.get("@referredType") == "Alarm" and not _alarm_found(session, entry["id"]):
            raise InvalidInput(
                "Unknown alarm",
                field=f"relatedEntity[{index}].id",
                detail=f"no alarm {entry['id']}",
            )


def _customer_found(session: Session, customer_id: str) -> bool:
    try:
        party.get_customer(session, customer_id=customer_id)
    except NotFound:
        return False
    return True


def _alarm_found(session: Session, alarm_id: str) -> bool:
    return session.scalar(select(Alarm.pk).where(Alarm.id == alarm_id)) is not None


def _with_new_notes(
    existing: Sequence[Document], given: Any, *, now: datetime, author: str | None
) -> list[Document]:
    """Notes are append-only: an entry with a known id must be that note unchanged; the
    others are new and get an id, the date and the author (unless they bring their own)."""
    if not isinstance(given, list):
        raise InvalidInput("Invalid type", field="note", detail="must be array")
    known = {str(note.get("id")): note for note in existing if note.get("id") is not None}
    notes = [dict(note) for note in existing]
    for index, note in enumerate(given):
        if not isinstance(note, Mapping):
            raise InvalidInput("Invalid type", field=f"note[{index}]", detail="must be object")
        note_id = note.get("id")
        if note_id is not None and str(note_id) in known:
            if dict(note) != known[str(note_id)]:
                raise InvalidInput(
                    "Notes are append-only",
                    field=f"note[{index}]",
                    detail=f"note {note_id} cannot be changed; add a new note instead",
                )
            continue
        if not str(note.get("text") or "").strip():
            raise InvalidInput("Missing mandatory attribute", field=f"note[{index}].text")
        notes.append(
            {
                **note,
                "id": str(note_id) if note_id is not None else new_id(),
                "author": note.get("author") or author or SYSTEM_AUTHOR,
                "date": note.get("date") or format_datetime(now),
            }
        )
    return notes


def _others(document: Document) -> Document:
    return {k: v for k, v in document.items() if k not in _STATUS_FIELDS | _QUIET}


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    return dict(payload)


def notify(session: Session, change: str, document: Document, now: datetime) -> None:
    """Hub notifications (TroubleTicket<change>Event); nothing to queue without subscribers."""
    if not has_subscribers(session, api=TICKET_API.name):
        return
    publish(
        session,
        ResourceChanged(
            api=TICKET_API.name,
            resource=TROUBLE_TICKET.name,
            resource_id=document["id"],
            change=change,
            document=document,
            occurred_at=now,
        ),
        now=now,
    )
