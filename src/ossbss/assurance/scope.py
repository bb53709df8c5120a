"""What each active root alarm covers: the resources whose alarms it groups (its device, the
device's ports, the devices behind it and their ports, the links between them), so an alarm
arriving later on one of them finds its root with one indexed query."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import cast

from sqlalchemy import String, Table, delete, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ossbss.assurance.models import Alarm
from ossbss.kernel.db import Base

_CHUNK = 900


class AlarmScope(Base):
    __tablename__ = "assurance_alarm_scope"

    root_alarm_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


SCOPE = cast(Table, AlarmScope.__table__)
ALARMS = cast(Table, Alarm.__table__)


def chunks(values: Iterable[str]) -> Iterable[list[str]]:
    """IN lists small enough for SQLite's bound-parameter limit."""
    items = list(dict.fromkeys(values))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def add_many(session: Session, scopes: Mapping[str, Collection[str]]) -> None:
    """root alarm id -> the resources it covers, in one executemany."""
    rows = [
        {"root_alarm_id": root_alarm_id, "resource_id": resource_id}
        for root_alarm_id, resource_ids in scopes.items()
        for resource_id in set(resource_ids)
    ]
    if rows:
        session.execute(insert(SCOPE), rows)


def drop(session: Session, *, root_alarm_ids: Collection[str]) -> None:
    for chunk in chunks(root_alarm_ids):
        session.execute(delete(SCOPE).where(SCOPE.c.root_alarm_id.in_(chunk)))


def resources_of(session: Session, *, root_alarm_id: str) -> set[str]:
    return set(
        session.scalars(select(SCOPE.c.resource_id).where(SCOPE.c.root_alarm_id == root_alarm_id))
    )


def roots_covering(
    session: Session, *, resource_ids: Collection[str]
) -> dict[str, tuple[str, bool]]:
    """resource id -> (id, planned_outage) of the active root alarm whose scope holds it (the
    earliest raised when several do)."""
    found: dict[str, tuple[int, str, bool]] = {}
    for chunk in chunks(resource_ids):
        rows = session.execute(
            select(SCOPE.c.resource_id, ALARMS.c.pk, ALARMS.c.id, ALARMS.c.planned_outage)
            .join(ALARMS, ALARMS.c.id == SCOPE.c.root_alarm_id)
            .where(
                SCOPE.c.resource_id.in_(chunk),
                ALARMS.c.is_root_cause.is_(True),
                ALARMS.c.state != "cleared",
            )
        )
        for resource_id, pk, alarm_id, planned in rows:
            if resource_id not in found or pk < found[resource_id][0]:
                found[resource_id] = (pk, alarm_id, bool(planned))
    return {
        resource_id: (alarm_id, planned) for resource_id, (_, alarm_id, planned) in found.items()
    }
