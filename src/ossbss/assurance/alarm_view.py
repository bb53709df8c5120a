"""Alarms as TMF642 shows them, rendered from the narrow rows on read, and their hub
notifications (alarmCreateEvent, alarmStateChangeEvent, alarmAttributeValueChangeEvent ...).

Extensions beside the spec's attributes (docs/api.md): ``occurrenceCount``,
``lastOccurrenceTime``, ``reductionKey``, ``sourceAddress``, ``flapping``,
``alarmedObjectResolved`` and, for a root alarm, ``impactedCustomer`` / ``impactedProduct``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss.assurance.models import Alarm, AlarmComment
from ossbss.kernel import publish
from ossbss.kernel.time import format_datetime
from ossbss.tmf import ResourceChanged, has_subscribers

# The API's name in our URL scheme, and the spec's own base path (both are served; a hub
# subscriber of either hears every alarm event).
API_NAME = "alarmManagement"
SPEC_API_NAME = "alarm"
BASE_PATH = f"/tmf-api/{API_NAME}/v4"
SPEC_BASE_PATH = f"/tmf-api/{SPEC_API_NAME}/v4"
SPEC_FILE = "TMF642-Alarm-v4.0.0.swagger.json"
REPORTING_SYSTEM = "ossbss"
SERVICE_HREF = "/tmf-api/serviceInventory/v4/service/"


def alarm_href(alarm_id: str) -> str:
    return f"{BASE_PATH}/alarm/{alarm_id}"


def alarm_ref(alarm_id: str) -> dict[str, Any]:
    return {"id": alarm_id, "href": alarm_href(alarm_id), "@referredType": "Alarm"}


def _time(value: datetime | None) -> str | None:
    return format_datetime(value) if value is not None else None


def render_alarm(
    alarm: Alarm,
    *,
    comments: Sequence[AlarmComment] = (),
    children: Sequence[str] = (),
) -> dict[str, Any]:
    """The TMF642 Alarm; ``comments`` and ``children`` (correlatedAlarm) are only given for a
    single alarm (a list leaves them out: they cost a query per page)."""
    document: dict[str, Any] = {
        "id": alarm.id,
        "href": alarm_href(alarm.id),
        "externalAlarmId": alarm.external_alarm_id,
        "state": alarm.state,
        "alarmType": alarm.alarm_type,
        "perceivedSeverity": alarm.perceived_severity,
        "probableCause": alarm.probable_cause,
        "specificProblem": alarm.specific_problem,
        "alarmDetails": alarm.text,
        "alarmedObjectType": alarm.alarmed_object_type,
        "alarmedObject": _alarmed_object(alarm),
        "sourceSystemId": alarm.source,
        "reportingSystemId": REPORTING_SYSTEM,
        "alarmRaisedTime": _time(alarm.raised_at),
        "alarmReportingTime": _time(alarm.raised_at),
        "alarmChangedTime": _time(alarm.changed_at),
        "alarmClearedTime": _time(alarm.cleared_at),
        "clearUserId": alarm.clear_user_id,
        "ackState": alarm.ack_state,
        "ackUserId": alarm.ack_user_id,
        "isRootCause": alarm.is_root_cause,
        "serviceAffecting": alarm.service_affecting,
        "plannedOutageIndicator": "outOfService" if alarm.planned_outage else "inService",
        "parentAlarm": [alarm_ref(alarm.parent_alarm_id)] if alarm.parent_alarm_id else [],
        "affectedService": _affected_services(alarm.impact),
        "occurrenceCount": alarm.count,
        "lastOccurrenceTime": _time(alarm.last_occurred_at),
        "reductionKey": alarm.reduction_key,
        "sourceAddress": alarm.source_address,
        "flapping": alarm.flapping,
        "alarmedObjectResolved": alarm.resolved,
        "@type": "Alarm",
    }
    impact = alarm.impact or {}
    if impact.get("customers"):
        document["impactedCustomer"] = [
            {**customer, "@referredType": "Customer"} for customer in impact["customers"]
        ]
    if impact.get("products"):
        document["impactedProduct"] = [{"id": product} for product in impact["products"]]
    if alarm.details:
        document["alarmDetailCharacteristic"] = [
            {"name": name, "value": value} for name, value in sorted(alarm.details.items())
        ]
    document["comment"] = [_comment(comment) for comment in comments]
    document["correlatedAlarm"] = [alarm_ref(child) for child in children]
    return {key: value for key, value in document.items() if value is not None}


def _alarmed_object(alarm: Alarm) -> dict[str, Any] | None:
    if alarm.alarmed_object_id is None:
        return None
    reference: dict[str, Any] = {"id": alarm.alarmed_object_id}
    if alarm.alarmed_object_type:
        reference["@referredType"] = alarm.alarmed_object_type
    return reference


def _affected_services(impact: dict[str, Any] | None) -> list[dict[str, Any]]:
    services = (impact or {}).get("services") or []
    return [
        {"id": service["id"], "href": SERVICE_HREF + service["id"], "@type": "AffectedService"}
        for service in services
        if isinstance(service, dict) and "id" in service
    ]


def _comment(comment: AlarmComment) -> dict[str, Any]:
    rendered = {
        "comment": comment.comment,
        "userId": comment.user_id,
        "systemId": comment.system_id,
        "time": format_datetime(comment.at),
        "@type": "Comment",
    }
    return {key: value for key, value in rendered.items() if value is not None}


def notify(
    session: Session,
    *,
    resource: str,
    change: str,
    documents: Sequence[dict[str, Any]],
    now: datetime,
) -> None:
    """Hub subscribers (of either base path) hear of it; nothing is done when none listen,
    which keeps bulk ingestion free of rendering."""
    for api in (API_NAME, SPEC_API_NAME):
        if not has_subscribers(session, api=api):
            continue
        for document in documents:
            publish(
                session,
                ResourceChanged(
                    api=api,
                    resource=resource,
                    resource_id=document["id"],
                    change=change,
                    document=document,
                    occurred_at=now,
                ),
                now=now,
            )
