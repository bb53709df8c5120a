"""TMF642 request bodies into alarm operations: POST (through ``store.ingest``), PATCH,
DELETE and the task resources. Bodies are validated against the spec before anything is
written, so a bad body changes nothing (the edge's transaction rolls back on any error)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.orm import Session

from ossbss.assurance import lifecycle
from ossbss.assurance.alarm_queries import find_alarm, get_alarm
from ossbss.assurance.alarm_view import BASE_PATH, SPEC_FILE, alarm_ref, notify, render_alarm
from ossbss.assurance.models import Alarm, AlarmComment, AlarmTask
from ossbss.assurance.rules import tmf_reduction_key
from ossbss.assurance.signals import ALARM_TYPES, CLEARED, SEVERITIES, AlarmSignal
from ossbss.assurance.store import IngestOutcome, ingest
from ossbss.kernel import new_id
from ossbss.kernel.errors import Conflict, InvalidInput
from ossbss.kernel.time import format_datetime, parse_datetime
from ossbss.tmf import Spec
from ossbss.tmf.specs import load_spec

# Most alarms a task pattern may select (a broader pattern is refused, not truncated).
MAX_TASK_ALARMS = 10_000
# PATCH may change these; the rest of the Alarm is the network's or correlation's to say.
PATCHABLE = {
    "ackState",
    "ackUserId",
    "ackSystemId",
    "perceivedSeverity",
    "state",
    "clearUserId",
    "clearSystemId",
    "comment",
    "@type",
}
# alarmPattern attributes a task can match on.
PATTERN_COLUMNS: dict[str, Any] = {
    "id": Alarm.id,
    "state": Alarm.state,
    "ackState": Alarm.ack_state,
    "alarmType": Alarm.alarm_type,
    "perceivedSeverity": Alarm.perceived_severity,
    "probableCause": Alarm.probable_cause,
    "specificProblem": Alarm.specific_problem,
    "sourceSystemId": Alarm.source,
    "externalAlarmId": Alarm.external_alarm_id,
    "alarmedObjectType": Alarm.alarmed_object_type,
    "isRootCause": Alarm.is_root_cause,
}
_PATTERN_IGNORED = {"href", "@type", "@baseType", "@schemaLocation", "@referredType"}


@cache
def spec() -> Spec:
    """TMF642 v4 as published, except that alarm ids are strings: the file types
    ``Alarm.id`` and ``AlarmRefOrValue.id`` as integers while ``AlarmRef.id`` (and every
    other TM Forum id) is a string (docs/api.md, deviations)."""
    document = copy.deepcopy(load_spec(SPEC_FILE).document)
    for name in ("Alarm", "AlarmRefOrValue"):
        document["definitions"][name]["properties"]["id"] = {"type": "string"}
    return Spec(document)


def _valid(payload: Any, definition: str, *, partial: bool = False) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    spec().validate(definition, payload, partial=partial)
    return payload


def _time(payload: dict[str, Any], name: str) -> datetime | None:
    raw = payload.get(name)
    if raw is None:
        return None
    try:
        return parse_datetime(raw)
    except ValueError:
        raise InvalidInput("Invalid date-time", field=name, detail=str(raw)) from None


def _one_of(payload: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = payload[name]
    if value not in allowed:
        raise InvalidInput(f"Invalid {name}", field=name, detail=f"one of {', '.join(allowed)}")
    return str(value)


# -- POST /alarm ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlarmReport:
    """A valid TMF642 POST body, as the signal it stands for and the comments it carries."""

    signal: AlarmSignal
    comments: tuple[dict[str, Any], ...]


def parse_report(payload: Any, *, now: datetime) -> AlarmReport:
    """Validate a POST body (400 naming the field) without touching the database."""
    body = _valid(payload, "Alarm_Create")
    severity = _one_of(body, "perceivedSeverity", (*SEVERITIES, CLEARED))
    alarm_type = _one_of(body, "alarmType", ALARM_TYPES)
    state = _one_of(body, "state", ("raised", "updated", CLEARED))
    clears = CLEARED in (severity, state)
    occurred_at = _time(body, "alarmClearedTime" if clears else "alarmRaisedTime") or now
    alarmed = body["alarmedObject"]
    comments = tuple(body.get("comment") or ())
    for entry in comments:
        _comment_text(entry)
    signal = AlarmSignal(
        source="tmf642",
        reduction_key=tmf_reduction_key(
            external_alarm_id=body.get("externalAlarmId"),
            alarmed_object_id=alarmed.get("id"),
            alarm_type=alarm_type,
            probable_cause=body["probableCause"],
            specific_problem=body.get("specificProblem"),
        ),
        alarm_type=alarm_type,
        probable_cause=body["probableCause"],
        perceived_severity=severity if not clears else CLEARED,
        occurred_at=occurred_at,
        alarmed_object_id=alarmed.get("id"),
        alarmed_object_type=body.get("alarmedObjectType") or alarmed.get("@referredType"),
        source_address=body["sourceSystemId"],
        specific_problem=body.get("specificProblem"),
        text=body.get("alarmDetails"),
        external_alarm_id=body.get("externalAlarmId"),
        clears=clears,
    )
    return AlarmReport(signal=signal, comments=comments)


def create_alarm(session: Session, *, payload: Any, now: datetime) -> tuple[bool, dict[str, Any]]:
    """Report an alarm in this transaction: a new reduction key raises one (True), a known
    one counts on the active alarm (False); a cleared perceivedSeverity or state clears it."""
    report = parse_report(payload, now=now)
    signal = report.signal
    active = _active_id(session, signal.reduction_key)
    if signal.clears and active is None:
        raise _nothing_to_clear()
    outcome = ingest(session, signals=[signal], now=now)
    alarm_id = outcome.raised[0] if outcome.raised else active
    assert alarm_id is not None  # a raise without an active alarm always raises one
    for entry in report.comments:
        _add_comment(session, alarm_id, entry, now)
    return bool(outcome.raised), get_alarm(session, alarm_id=alarm_id)


def reported(
    session: Session, *, report: AlarmReport, outcome: IngestOutcome, now: datetime
) -> tuple[bool, dict[str, Any]]:
    """After the pipeline stored ``report``: was it a new alarm, and the alarm as it is now
    (with the report's comments added)."""
    signal = report.signal
    alarm = session.scalars(
        select(Alarm)
        .where(Alarm.reduction_key == signal.reduction_key)
        .order_by(Alarm.pk.desc())
        .limit(1)
    ).first()
    # a clear leaves a flapping alarm active: that is not a clear of nothing
    cleared = alarm is not None and (alarm.id in outcome.cleared or alarm.flapping)
    if alarm is None or (signal.clears and not cleared):
        raise _nothing_to_clear()
    for entry in report.comments:
        _add_comment(session, alarm.id, entry, now)
    return alarm.id in outcome.raised, get_alarm(session, alarm_id=alarm.id)


def _nothing_to_clear() -> Conflict:
    return Conflict(
        "Nothing to clear", field="perceivedSeverity", detail="no active alarm has this key"
    )


def _active_id(session: Session, reduction_key: str) -> str | None:
    return session.scalar(
        select(Alarm.id).where(Alarm.reduction_key == reduction_key, Alarm.state != CLEARED)
    )


def _comment_text(entry: dict[str, Any]) -> str:
    text = entry.get("comment")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("Empty comment", field="comment.comment")
    return text


def _add_comment(session: Session, alarm_id: str, entry: dict[str, Any], now: datetime) -> None:
    text = _comment_text(entry)
    session.add(
        AlarmComment(
            alarm_id=alarm_id,
            user_id=entry.get("userId"),
            system_id=entry.get("systemId"),
            comment=text,
            at=_time(entry, "time") or now,
        )
    )


# -- PATCH and DELETE /alarm/{id} ----------------------------------------------------------


def patch_alarm(
    session: Session, *, alarm_id: str, payload: Any, user: str, now: datetime
) -> dict[str, Any]:
    """Acknowledge or not (ackState), change the severity or clear (perceivedSeverity
    "cleared" or state "cleared"), append comments; anything else is refused by name."""
    body = _valid(payload, "Alarm_Update", partial=True)
    for name in body:
        if name not in PATCHABLE:
            raise InvalidInput(
                "Not changeable",
                field=name,
                detail="PATCH changes ackState, "
                "perceivedSeverity, state (cleared) and comment (appended)",
            )
    find_alarm(session, alarm_id)
    if "ackState" in body:
        ack = _one_of(body, "ackState", ("acknowledged", "unacknowledged"))
        action = lifecycle.acknowledge if ack == "acknowledged" else lifecycle.unacknowledge
        action(session, alarm_ids=[alarm_id], user_id=body.get("ackUserId") or user, now=now)
    severity = body.get("perceivedSeverity")
    if "state" in body and body["state"] != CLEARED:
        raise InvalidInput("Invalid state", field="state", detail="only cleared can be set")
    if severity == CLEARED or body.get("state") == CLEARED:
        result = lifecycle.clear(
            session, alarm_ids=[alarm_id], user_id=body.get("clearUserId") or user, now=now
        )
        if not result.changed:
            raise Conflict("The alarm is already cleared", field="state")
    elif severity is not None:
        lifecycle.change_severity(session, alarm_id=alarm_id, severity=severity, now=now)
    comments = body.get("comment")
    if comments is not None:
        for entry in comments:
            _add_comment(session, alarm_id, {"userId": user, **entry}, now)
        find_alarm(session, alarm_id).changed_at = now
    session.flush()
    return get_alarm(session, alarm_id=alarm_id)


def delete_alarm(session: Session, *, alarm_id: str, now: datetime) -> None:
    """Only a cleared alarm may go (an active one would come back with its next signal)."""
    alarm = find_alarm(session, alarm_id, lock=True)
    if alarm.state != CLEARED:
        raise Conflict("Only a cleared alarm can be deleted", field="state", detail=alarm.state)
    document = render_alarm(alarm)
    session.execute(delete(AlarmComment).where(AlarmComment.alarm_id == alarm_id))
    session.delete(alarm)
    notify(session, resource="alarm", change="Delete", documents=[document], now=now)


# -- task resources ------------------------------------------------------------------------


def run_task(
    session: Session, *, kind: str, payload: Any, user: str, now: datetime
) -> dict[str, Any]:
    """Do the task at once (state "done") and keep its document for GET by id."""
    body = _valid(payload, kind[0].upper() + kind[1:] + "_Create")
    document = {k: v for k, v in body.items() if k not in ("id", "href", "state")}
    task_id = new_id()
    TASKS[kind](session, body, document, user, now)
    document.update(
        {
            "id": task_id,
            "href": f"{BASE_PATH}/{kind}/{task_id}",
            "state": "done",
            "@type": kind[0].upper() + kind[1:],
        }
    )
    session.add(AlarmTask(id=task_id, kind=kind, state="done", document=document, created_at=now))
    notify(session, resource=kind, change="Create", documents=[document], now=now)
    return document


def _report(document: dict[str, Any], field: str, result: lifecycle.Result) -> None:
    document[field] = [alarm_ref(alarm_id) for alarm_id in result.changed]
    # an extension: the alarms the task matched but left alone, and why
    document["skippedAlarm"] = [
        {**alarm_ref(skipped.alarm_id), "reason": skipped.reason} for skipped in result.skipped
    ]


def _ack(
    session: Session, body: dict[str, Any], doc: dict[str, Any], user: str, now: datetime
) -> None:
    ids, missing = _matching(session, body["alarmPattern"])
    result = lifecycle.acknowledge(session, alarm_ids=ids, user_id=body["ackUserId"], now=now)
    _report(doc, "ackedAlarm", _with_missing(result, missing))
    doc["ackTime"] = format_datetime(now)


def _unack(
    session: Session, body: dict[str, Any], doc: dict[str, Any], user: str, now: datetime
) -> None:
    ids, missing = _matching(session, body["alarmPattern"])
    result = lifecycle.unacknowledge(session, alarm_ids=ids, user_id=body["ackUserId"], now=now)
    _report(doc, "unAckedAlarm", _with_missing(result, missing))
    doc["ackTime"] = format_datetime(now)


def _clear(
    session: Session, body: dict[str, Any], doc: dict[str, Any], user: str, now: datetime
) -> None:
    ids, missing = _matching(session, body["alarmPattern"])
    cleared_at = _time(body, "alarmClearedTime") or now
    result = lifecycle.clear(
        session, alarm_ids=ids, user_id=body["clearUserId"], now=now, cleared_at=cleared_at
    )
    _report(doc, "clearedAlarm", _with_missing(result, missing))


def _comment(
    session: Session, body: dict[str, Any], doc: dict[str, Any], user: str, now: datetime
) -> None:
    ids, missing = _matching(session, body["alarmPattern"])
    entry = body["comment"]
    result = lifecycle.comment(
        session,
        alarm_ids=ids,
        text=str(entry.get("comment") or ""),
        user_id=entry.get("userId") or user,
        system_id=entry.get("systemId"),
        now=_time(entry, "time") or now,
    )
    _report(doc, "commentedAlarm", _with_missing(result, missing))


def _group(
    session: Session, body: dict[str, Any], doc: dict[str, Any], user: str, now: datetime
) -> None:
    parent, children = _parent_and_children(body)
    result = lifecycle.group(session, parent_id=parent, alarm_ids=children, now=now)
    _report(doc, "groupedAlarm", result)
    doc["alarmChangedTime"] = format_datetime(now)


def _ungroup(
    session: Session, body: dict[str, Any], doc: dict[str, Any], user: str, now: datetime
) -> None:
    parent, children = _parent_and_children(body)
    result = lifecycle.ungroup(session, parent_id=parent, alarm_ids=children, now=now)
    _report(doc, "unGroupedAlarm", result)
    doc["alarmChangedTime"] = format_datetime(now)


TaskRunner = Callable[[Session, dict[str, Any], dict[str, Any], str, datetime], None]
TASKS: dict[str, TaskRunner] = {
    "ackAlarms": _ack,
    "unAckAlarms": _unack,
    "clearAlarms": _clear,
    "commentAlarms": _comment,
    "groupAlarms": _group,
    "unGroupAlarms": _ungroup,
}


def _parent_and_children(body: dict[str, Any]) -> tuple[str, list[str]]:
    parent = body["parentAlarm"].get("id")
    if not isinstance(parent, str):
        raise InvalidInput("Missing parent alarm", field="parentAlarm.id")
    children = []
    for index, ref in enumerate(body["correlatedAlarm"]):
        if not isinstance(ref.get("id"), str):
            raise InvalidInput("Missing alarm id", field=f"correlatedAlarm[{index}].id")
        children.append(ref["id"])
    if not children:
        raise InvalidInput("No alarm to group", field="correlatedAlarm")
    return parent, children


def _with_missing(result: lifecycle.Result, missing: list[str]) -> lifecycle.Result:
    result.skipped.extend(lifecycle.Skipped(alarm_id, lifecycle.UNKNOWN) for alarm_id in missing)
    return result


def _matching(session: Session, patterns: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The alarms any pattern matches (a pattern is the AND of its attributes), and the
    ids patterns named that match nothing."""
    if not patterns:
        raise InvalidInput("No alarm pattern", field="alarmPattern")
    conditions = [_pattern(index, pattern) for index, pattern in enumerate(patterns)]
    ids = list(
        session.scalars(
            select(Alarm.id).where(or_(*conditions)).order_by(Alarm.pk).limit(MAX_TASK_ALARMS + 1)
        )
    )
    if len(ids) > MAX_TASK_ALARMS:
        raise InvalidInput(
            "Pattern too broad", field="alarmPattern", detail=f"more than {MAX_TASK_ALARMS} alarms"
        )
    found = set(ids)
    named = [p["id"] for p in patterns if isinstance(p.get("id"), str)]
    return ids, [alarm_id for alarm_id in named if alarm_id not in found]


def _pattern(index: int, pattern: dict[str, Any]) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    for name, value in pattern.items():
        if name in _PATTERN_IGNORED:
            continue
        if name == "alarmedObject" and isinstance(value, dict) and "id" in value:
            conditions.append(Alarm.alarmed_object_id == value["id"])
            continue
        column = PATTERN_COLUMNS.get(name)
        if column is None:
            raise InvalidInput(
                "Unsupported pattern attribute", field=f"alarmPattern[{index}].{name}"
            )
        conditions.append(column == value)
    if not conditions:
        raise InvalidInput("Empty alarm pattern", field=f"alarmPattern[{index}]")
    return and_(*conditions)
