"""Alarm signals for tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from conftest import START
from ossbss import bootstrap
from ossbss.assurance import AlarmSignal, IngestOutcome, ingest
from ossbss.assurance.models import Alarm


def signal(key: str = "dev-1|linkDown|1", *, minute: float = 0, **overrides: Any) -> AlarmSignal:
    values: dict[str, Any] = {
        "source": "snmp",
        "reduction_key": key,
        "alarm_type": "communicationsAlarm",
        "probable_cause": "lossOfSignal",
        "perceived_severity": "major",
        "occurred_at": START + timedelta(minutes=minute),
        "alarmed_object_id": "dev-1",
        "alarmed_object_type": "Device",
        "source_address": "192.0.2.1",
        "text": "link down",
    }
    values.update(overrides)
    return AlarmSignal(**values)


def clear(key: str = "dev-1|linkDown|1", *, minute: float = 0) -> AlarmSignal:
    return signal(key, minute=minute, clears=True, perceived_severity="cleared")


def store(
    platform: bootstrap.Platform, *signals: AlarmSignal, now: datetime | None = None
) -> IngestOutcome:
    with platform.database.unit_of_work() as session:
        return ingest(session, signals=list(signals), now=now or platform.clock.now())


def alarms(platform: bootstrap.Platform, key: str | None = None) -> list[Alarm]:
    with platform.database.unit_of_work(write=False) as session:
        query = select(Alarm).order_by(Alarm.pk)
        if key is not None:
            query = query.where(Alarm.reduction_key == key)
        return list(session.scalars(query))
