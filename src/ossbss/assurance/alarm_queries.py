"""Reading alarms for TMF642: list filters on the narrow columns, one alarm with its
comments and correlated (child) alarms, tasks by id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ossbss.assurance.alarm_view import render_alarm
from ossbss.assurance.models import Alarm, AlarmComment, AlarmTask
from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.kernel.time import parse_datetime
from ossbss.tmf.query import Filter, ListQuery, SortKey

# TMF642 attribute path -> column; the extensions are filterable too.
COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "id": Alarm.id,
    "state": Alarm.state,
    "perceivedSeverity": Alarm.perceived_severity,
    "alarmType": Alarm.alarm_type,
    "ackState": Alarm.ack_state,
    "probableCause": Alarm.probable_cause,
    "specificProblem": Alarm.specific_problem,
    "sourceSystemId": Alarm.source,
    "alarmedObjectType": Alarm.alarmed_object_type,
    "alarmedObject.id": Alarm.alarmed_object_id,
    "parentAlarm.id": Alarm.parent_alarm_id,
    "externalAlarmId": Alarm.external_alarm_id,
    "isRootCause": Alarm.is_root_cause,
    "serviceAffecting": Alarm.service_affecting,
    "alarmRaisedTime": Alarm.raised_at,
    "alarmChangedTime": Alarm.changed_at,
    "alarmClearedTime": Alarm.cleared_at,
    "reductionKey": Alarm.reduction_key,
    "flapping": Alarm.flapping,
    "alarmedObjectResolved": Alarm.resolved,
    "occurrenceCount": Alarm.count,
}
_BOOLEANS = {"isRootCause", "serviceAffecting", "flapping", "alarmedObjectResolved"}
_TIMES = {"alarmRaisedTime", "alarmChangedTime", "alarmClearedTime"}
_PLANNED = {"inService": False, "outOfService": True}


def list_alarms(session: Session, *, query: ListQuery) -> tuple[int, list[dict[str, Any]]]:
    conditions = [_condition(flt) for flt in query.filters]
    total = session.scalar(select(func.count()).select_from(Alarm).where(*conditions)) or 0
    order = [_order(key) for key in query.sort] or [Alarm.pk.desc()]
    rows = session.scalars(
        select(Alarm)
        .where(*conditions)
        .order_by(*order, Alarm.pk.desc())
        .offset(query.offset)
        .limit(query.limit)
    )
    return total, [render_alarm(alarm) for alarm in rows]


def get_alarm(session: Session, *, alarm_id: str) -> dict[str, Any]:
    alarm = find_alarm(session, alarm_id)
    comments = session.scalars(
        select(AlarmComment).where(AlarmComment.alarm_id == alarm_id).order_by(AlarmComment.pk)
    ).all()
    children = session.scalars(
        select(Alarm.id).where(Alarm.parent_alarm_id == alarm_id).order_by(Alarm.pk)
    ).all()
    return render_alarm(alarm, comments=comments, children=children)


def find_alarm(session: Session, alarm_id: str, *, lock: bool = False) -> Alarm:
    query = select(Alarm).where(Alarm.id == alarm_id)
    alarm = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if alarm is None:
        raise NotFound(f"No alarm with id {alarm_id}", field="id")
    return alarm


def get_task(session: Session, *, kind: str, task_id: str) -> dict[str, Any]:
    task = session.scalars(
        select(AlarmTask).where(AlarmTask.id == task_id, AlarmTask.kind == kind)
    ).one_or_none()
    if task is None:
        raise NotFound(f"No {kind} with id {task_id}", field="id")
    return task.document


def list_tasks(
    session: Session, *, kind: str, offset: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    total = session.scalar(select(func.count()).where(AlarmTask.kind == kind)) or 0
    tasks = session.scalars(
        select(AlarmTask.document)
        .where(AlarmTask.kind == kind)
        .order_by(AlarmTask.pk.desc())
        .offset(offset)
        .limit(limit)
    )
    return total, list(tasks)


def _condition(flt: Filter) -> ColumnElement[bool]:
    if flt.path == "plannedOutageIndicator":
        values = [_PLANNED.get(value) for value in flt.values]
        if flt.op != "eq" or None in values:
            raise InvalidInput("Invalid filter", field=flt.path, detail="inService or outOfService")
        return Alarm.planned_outage.in_(values)
    column = COLUMNS.get(flt.path)
    if column is None:
        raise InvalidInput("Unknown filter", field=flt.path, detail="not a filterable attribute")
    values = [_coerce(flt.path, value) for value in flt.values]
    if flt.op == "eq":
        return column.in_(values)
    comparisons = {"gt": column > values[0], "gte": column >= values[0]}
    comparisons |= {"lt": column < values[0], "lte": column <= values[0]}
    return comparisons[flt.op]


def _coerce(path: str, raw: str) -> Any:
    if path in _BOOLEANS:
        if raw not in ("true", "false"):
            raise InvalidInput("Invalid filter", field=path, detail="true or false")
        return raw == "true"
    if path in _TIMES:
        try:
            return parse_datetime(raw)
        except ValueError:
            raise InvalidInput("Invalid filter", field=path, detail="a date-time") from None
    if path == "occurrenceCount":
        if not raw.isdigit():
            raise InvalidInput("Invalid filter", field=path, detail="a whole number")
        return int(raw)
    return raw


def _order(key: SortKey) -> Any:
    column = COLUMNS.get(key.path)
    if column is None:
        raise InvalidInput("Invalid sort", field="sort", detail=f"cannot sort by {key.path}")
    return column.desc() if key.descending else column.asc()
