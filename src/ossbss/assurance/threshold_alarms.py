"""Threshold alarms: performance's ThresholdCrossed / ThresholdCleared become alarm signals
(TMF642 qualityOfServiceAlarm, probable cause thresholdCrossed) under the crossing's reduction
key, so one threshold on one resource is one alarm however often it crosses."""

from __future__ import annotations

from ossbss.assurance.signals import CLEARED, AlarmSignal
from ossbss.events.performance import ThresholdCleared, ThresholdCrossed

SOURCE = "threshold"
ALARM_TYPE = "qualityOfServiceAlarm"
PROBABLE_CAUSE = "thresholdCrossed"


def signal_for(event: ThresholdCrossed | ThresholdCleared) -> AlarmSignal:
    """The alarm signal of a crossing (raise) or a clearing (clear of the same key)."""
    if isinstance(event, ThresholdCrossed):
        return AlarmSignal(
            source=SOURCE,
            reduction_key=event.reduction_key,
            alarm_type=ALARM_TYPE,
            probable_cause=PROBABLE_CAUSE,
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
        alarm_type=ALARM_TYPE,
        probable_cause=PROBABLE_CAUSE,
        perceived_severity=CLEARED,
        occurred_at=event.occurred_at,
        alarmed_object_id=event.resource_id,
        specific_problem=f"{event.metric} back under its clear level",
        text=f"{event.metric} is {event.value:.2f}, back past the clear level",
        details={"metric": event.metric, "value": f"{event.value:g}"},
        clears=True,
    )
