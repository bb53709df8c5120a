"""What each active root alarm covers: the resources whose alarms it groups (its device, the
device's ports, the devices behind it and their ports, the links between them), so an alarm
arriving later on one of them finds its root with one indexed query."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, cast

from sqlalchemy import ColumnElement, String, Table, any_, delete, insert, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import ARRAY
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


def matching(session: Session, column: Any, ids: Iterable[str]) -> Iterator[ColumnElement[bool]]:
    """Conditions "column is one of ids", one per statement to run: a single ``= ANY(array)``
    on PostgreSQL (one parameter, however many ids), IN lists of 900 on SQLite (below its
    bound-parameter limit)."""
    items = list(dict.fromkeys(ids))
    if not items:
        return
    if session.get_bind().dialect.name == "postgresql":
        yield column == any_(sql_cast(items, ARRAY(String)))
        return
    for start in range(0, len(items), _CHUNK):
        yield column.in_(items[start : start + _CHUNK])


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
    for condition in matching(session, SCOPE.c.root_alarm_id, root_alarm_ids):
        session.execute(delete(SCOPE).where(condition))


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
    for condition in matching(session, SCOPE.c.resource_id, resource_ids):
        rows = session.execute(
            select(SCOPE.c.resource_id, ALARMS.c.pk, ALARMS.c.id, ALARMS.c.planned_outage)
            .join(ALARMS, ALARMS.c.id == SCOPE.c.root_alarm_id)
            .where(
                condition,
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
