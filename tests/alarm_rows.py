"""Reading stored alarms in the end-to-end collector tests (syslog, Alertmanager)."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import select

from ossbss import bootstrap
from ossbss.assurance.models import Alarm


def alarms(platform: bootstrap.Platform) -> list[Alarm]:
    with platform.database.unit_of_work(write=False) as session:
        rows = list(session.scalars(select(Alarm).order_by(Alarm.pk)))
        session.expunge_all()
        return rows


def wait_alarms(
    platform: bootstrap.Platform,
    predicate: Callable[[list[Alarm]], bool],
    timeout: float = 15.0,
) -> list[Alarm]:
    deadline = time.monotonic() + timeout
    while True:
        rows = alarms(platform)
        if predicate(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(
                f"alarms never matched: {[(a.reduction_key, a.state, a.count) for a in rows]}"
            )
        time.sleep(0.05)
