"""What people do to alarms: acknowledge, unacknowledge, clear, comment, group, ungroup.

Used by the TMF642 task resources and by PATCH on one alarm. Each function takes alarm ids
and returns which alarms it changed and which it skipped, and why (unknown, or not in a
state the action applies to); it never commits. A hand clear publishes AlarmCleared like a
clear signal does; every change tells the hub subscribers (alarm_view.notify).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.assurance import correlation
from ossbss.assurance.alarm_view import notify, render_alarm
from ossbss.assurance.models import Alarm, AlarmComment
from ossbss.assurance.signals import CLEARED, SEVERITIES
from ossbss.events.assurance import AlarmCleared
from ossbss.kernel import publish
from ossbss.kernel.errors import Conflict, InvalidInput, NotFound

# Why an alarm was left alone (reported by the task resources).
UNKNOWN = "notFound"
ALREADY_ACKNOWLEDGED = "alreadyAcknowledged"
NOT_ACKNOWLEDGED = "notAcknowledged"
ALREADY_CLEARED = "alreadyCleared"
IS_PARENT = "isTheParentAlarm"
NOT_GROUPED = "notGroupedUnderParent"


@dataclass(frozen=True, slots=True)
class Skipped:
    alarm_id: str
    reason: str


@dataclass(slots=True)
class Result:
    changed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _load(session: Session, alarm_ids: Sequence[str], result: Result) -> list[Alarm]:
    """The alarms in the order asked (duplicates once), locked; unknown ids are skipped."""
    wanted = list(dict.fromkeys(alarm_ids))
    found = {
        alarm.id: alarm
        for alarm in session.scalars(
            select(Alarm).where(Alarm.id.in_(wanted)).order_by(Alarm.pk).with_for_update()
        )
    }
    for alarm_id in wanted:
        if alarm_id not in found:
            result.skipped.append(Skipped(alarm_id, UNKNOWN))
    return [found[alarm_id] for alarm_id in wanted if alarm_id in found]


def _tell(session: Session, alarms: Sequence[Alarm], change: str, now: datetime) -> None:
    session.flush()
    notify(
        session,
        resource="alarm",
        change=change,
        documents=[render_alarm(alarm) for alarm in alarms],
        now=now,
    )


def acknowledge(
    session: Session, *, alarm_ids: Sequence[str], user_id: str, now: datetime
) -> Result:
    result = Result()
    changed = []
    for alarm in _load(session, alarm_ids, result):
        if alarm.ack_state == "acknowledged":
            result.skipped.append(Skipped(alarm.id, ALREADY_ACKNOWLEDGED))
            continue
        alarm.ack_state, alarm.ack_user_id, alarm.ack_at = "acknowledged", user_id, now
        alarm.changed_at = now
        changed.append(alarm)
    result.changed = [alarm.id for alarm in changed]
    _tell(session, changed, "AttributeValueChange", now)
    return result


def unacknowledge(
    session: Session, *, alarm_ids: Sequence[str], user_id: str, now: datetime
) -> Result:
    result = Result()
    changed = []
    for alarm in _load(session, alarm_ids, result):
        if alarm.ack_state != "acknowledged":
            result.skipped.append(Skipped(alarm.id, NOT_ACKNOWLEDGED))
            continue
        alarm.ack_state, alarm.ack_user_id, alarm.ack_at = "unacknowledged", user_id, now
        alarm.changed_at = now
        changed.append(alarm)
    result.changed = [alarm.id for alarm in changed]
    _tell(session, changed, "AttributeValueChange", now)
    return result


def clear(
    session: Session,
    *,
    alarm_ids: Sequence[str],
    user_id: str,
    now: datetime,
    cleared_at: datetime | None = None,
) -> Result:
    """Clear by hand (a flapping alarm too: the operator has seen it)."""
    result = Result()
    changed = []
    for alarm in _load(session, alarm_ids, result):
        if alarm.state == CLEARED:
            result.skipped.append(Skipped(alarm.id, ALREADY_CLEARED))
            continue
        alarm.state, alarm.cleared_at, alarm.clear_user_id = CLEARED, cleared_at or now, user_id
        alarm.flapping, alarm.flap_cleared_at, alarm.changed_at = False, None, now
        changed.append(alarm)
        publish(
            session,
            AlarmCleared(
                alarm_id=alarm.id,
                reduction_key=alarm.reduction_key,
                alarmed_object_id=alarm.alarmed_object_id,
                is_root_cause=alarm.is_root_cause,
                occurred_at=alarm.cleared_at,
            ),
            now=now,
        )
    result.changed = [alarm.id for alarm in changed]
    _tell(session, changed, "StateChange", now)
    if changed:  # a root cleared by hand ends the outages it announced, as a clear would
        session.flush()
        correlation.correlate(session, outcome=correlation.Cleared(tuple(result.changed)), now=now)
    return result


def comment(
    session: Session,
    *,
    alarm_ids: Sequence[str],
    text: str,
    user_id: str | None,
    now: datetime,
    system_id: str | None = None,
) -> Result:
    if not text.strip():
        raise InvalidInput("Empty comment", field="comment.comment")
    result = Result()
    changed = _load(session, alarm_ids, result)
    for alarm in changed:
        session.add(
            AlarmComment(
                alarm_id=alarm.id, user_id=user_id, system_id=system_id, comment=text, at=now
            )
        )
        alarm.changed_at = now
    result.changed = [alarm.id for alarm in changed]
    _tell(session, changed, "AttributeValueChange", now)
    return result


def group(session: Session, *, parent_id: str, alarm_ids: Sequence[str], now: datetime) -> Result:
    """Put the alarms under ``parent_id`` (which becomes a root cause); an alarm grouped
    elsewhere moves."""
    parent = _parent(session, parent_id)
    result = Result()
    changed = []
    for alarm in _load(session, alarm_ids, result):
        if alarm.id == parent.id:
            result.skipped.append(Skipped(alarm.id, IS_PARENT))
            continue
        alarm.parent_alarm_id, alarm.is_root_cause, alarm.changed_at = parent.id, False, now
        changed.append(alarm)
    if changed and not parent.is_root_cause:
        parent.is_root_cause, parent.changed_at = True, now
        changed.append(parent)
    result.changed = [alarm.id for alarm in changed if alarm is not parent]
    _tell(session, changed, "AttributeValueChange", now)
    return result


def ungroup(session: Session, *, parent_id: str, alarm_ids: Sequence[str], now: datetime) -> Result:
    parent = _parent(session, parent_id)
    result = Result()
    changed = []
    for alarm in _load(session, alarm_ids, result):
        if alarm.parent_alarm_id != parent.id:
            result.skipped.append(Skipped(alarm.id, NOT_GROUPED))
            continue
        alarm.parent_alarm_id, alarm.changed_at = None, now
        changed.append(alarm)
    result.changed = [alarm.id for alarm in changed]
    _tell(session, changed, "AttributeValueChange", now)
    return result


def change_severity(session: Session, *, alarm_id: str, severity: str, now: datetime) -> None:
    """A new perceived severity by hand (PATCH): the alarm becomes "updated"."""
    if severity not in SEVERITIES:
        raise InvalidInput("Unknown severity", field="perceivedSeverity", detail=severity)
    alarm = _one(session, alarm_id)
    if alarm.state == CLEARED:
        raise Conflict("The alarm is cleared", field="perceivedSeverity")
    if alarm.perceived_severity == severity:
        return
    was = alarm.state
    alarm.perceived_severity, alarm.state, alarm.changed_at = severity, "updated", now
    _tell(session, [alarm], "StateChange" if was != "updated" else "AttributeValueChange", now)


def _one(session: Session, alarm_id: str) -> Alarm:
    alarm = session.scalars(select(Alarm).where(Alarm.id == alarm_id).with_for_update()).first()
    if alarm is None:
        raise NotFound(f"No alarm with id {alarm_id}", field="id")
    return alarm


def _parent(session: Session, parent_id: str) -> Alarm:
    parent = session.scalars(select(Alarm).where(Alarm.id == parent_id).with_for_update()).first()
    if parent is None:
        raise NotFound(f"No alarm with id {parent_id}", field="parentAlarm.id")
    return parent


__all__ = [
    "Result",
    "Skipped",
    "acknowledge",
    "change_severity",
    "clear",
    "comment",
    "group",
    "unacknowledge",
    "ungroup",
]
