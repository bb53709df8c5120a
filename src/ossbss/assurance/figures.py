"""Read-only alarm figures: open (not cleared) alarms counted by severity, one GROUP BY."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss.assurance.models import Alarm
from ossbss.assurance.signals import CLEARED, SEVERITIES


def alarm_counts(session: Session) -> dict[str, int]:
    """Open alarms by perceived severity, every severity present (zero when none), most
    severe first; an unexpected severity comes after them."""
    query = (
        select(Alarm.perceived_severity, func.count())
        .where(Alarm.state != CLEARED)
        .group_by(Alarm.perceived_severity)
    )
    counted = {str(severity): int(count) for severity, count in session.execute(query)}
    ordered = {severity: counted.pop(severity, 0) for severity in SEVERITIES}
    return ordered | dict(sorted(counted.items()))
