"""Threshold alarms: performance's ThresholdCrossed / ThresholdCleared become alarm signals
(TMF642 qualityOfServiceAlarm, probable cause thresholdCrossed) under the crossing's reduction
key, so one threshold on one resource is one alarm however often it crosses."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from ossbss import inventory, performance
from ossbss.assurance import store
from ossbss.assurance.signals import CLEARED, AlarmSignal
from ossbss.events.performance import ThresholdCleared, ThresholdCrossed
from ossbss.kernel import Clock, HandlerRegistry
from ossbss.kernel.errors import NotFound

SOURCE = "threshold"
ALARM_TYPE = "qualityOfServiceAlarm"
PROBABLE_CAUSE = "thresholdCrossed"
# A device that stopped answering its polls is down (not a quality problem): correlation
# makes a nodeDown the root cause of the alarms of its ports and of what sits behind it.
NODE_DOWN = ("communicationsAlarm", "nodeDown")


def _kind(metric: str) -> tuple[str, str]:
    return NODE_DOWN if metric == performance.REACHABLE else (ALARM_TYPE, PROBABLE_CAUSE)


def signal_for(event: ThresholdCrossed | ThresholdCleared) -> AlarmSignal:
    """The alarm signal of a crossing (raise) or a clearing (clear of the same key)."""
    alarm_type, probable_cause = _kind(event.metric)
    if isinstance(event, ThresholdCrossed):
        return AlarmSignal(
            source=SOURCE,
            reduction_key=event.reduction_key,
            alarm_type=alarm_type,
            probable_cause=probable_cause,
            perceived_severity=event.perceived_severity,
            occurred_at=event.occurred_at,
            alarmed_object_id=event.resource_id,
            specific_problem=f"{event.metric} crossed {event.threshold:g}",
            text=f"{event.metric} is {event.value:.2f}, past the raise level {event.threshold:g}",
            details={
                "metric": event.metric,
                "value": f"{event.value:g}",
                "threshold": f"{event.threshold:g}",
            },
        )
    return AlarmSignal(
        source=SOURCE,
        reduction_key=event.reduction_key,
        alarm_type=alarm_type,
        probable_cause=probable_cause,
        perceived_severity=CLEARED,
        occurred_at=event.occurred_at,
        alarmed_object_id=event.resource_id,
        specific_problem=f"{event.metric} back under its clear level",
        text=f"{event.metric} is {event.value:.2f}, back past the clear level",
        details={"metric": event.metric, "value": f"{event.value:g}"},
        clears=True,
    )


def object_type(session: Session, resource_id: str) -> str | None:
    """The TMF639 ``@type`` of the resource (Port, Device, Link ...), None when inventory does
    not know it (the alarm is then unresolved, as a trap from an unknown source)."""
    try:
        found = inventory.get_resource(session, resource_id=resource_id).get("@type")
    except NotFound:
        return None
    return str(found) if found else None


def threshold_to_alarm(
    session: Session, event: ThresholdCrossed | ThresholdCleared, *, now: datetime
) -> store.IngestOutcome:
    """Raise (or clear) the threshold's alarm in this transaction."""
    signal = signal_for(event)
    kind = object_type(session, event.resource_id)
    if kind is None:
        signal = replace(
            signal,
            alarmed_object_id=None,
            details={**signal.details, "resourceId": event.resource_id},
        )
    else:
        signal = replace(signal, alarmed_object_type=kind)
    return store.ingest(session, signals=[signal], now=now)


def subscribe_threshold_alarms(registry: HandlerRegistry, clock: Clock) -> None:
    def on_threshold(session: Session, event: ThresholdCrossed | ThresholdCleared) -> None:
        threshold_to_alarm(session, event, now=clock.now())

    registry.subscribe(ThresholdCrossed, on_threshold, name="assurance.threshold-alarm")
    registry.subscribe(ThresholdCleared, on_threshold, name="assurance.threshold-alarm-clear")
