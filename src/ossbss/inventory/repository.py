"""All of inventory's own SQL (the TMF documents themselves go through ``ossbss.tmf``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ossbss.inventory.models import (
    Allocation,
    FreeSlot,
    InventoryResource,
    InventoryService,
    PoolCursor,
)
from ossbss.tmf import RefIndex

R = InventoryResource
A: Table = Allocation.__table__  # type: ignore[assignment]
F: Table = FreeSlot.__table__  # type: ignore[assignment]
C: Table = PoolCursor.__table__  # type: ignore[assignment]


# --- resources ---------------------------------------------------------------------------


def kinds_of(session: Session, ids: Iterable[str]) -> dict[str, str | None]:
    """id -> kind (None for a resource of a type that is not ours) for the ids that exist."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = session.execute(select(R.id, R.kind).where(R.id.in_(wanted)))
    return {row.id: row.kind for row in rows}


def body_of(
    session: Session, resource_id: str, *, share_lock: bool = False
) -> dict[str, Any] | None:
    query = select(R.body).where(R.id == resource_id)
    if share_lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    body = session.execute(query).scalar_one_or_none()
    return None if body is None else dict(body)


def overlapping_pool(
    session: Session, *, space: str, lower_key: str, upper_key: str, other_than: str | None
) -> tuple[str, str | None] | None:
    """(id, name) of a pool of ``space`` whose bounds meet [lower_key, upper_key]."""
    query = select(R.id, R.name).where(
        R.space == space, R.lower_key <= upper_key, R.upper_key >= lower_key
    )
    if other_than is not None:
        query = query.where(R.id != other_than)
    row = session.execute(query.limit(1)).first()
    return None if row is None else (row.id, row.name)


def children(session: Session, parent_id: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
    """(id, body) of the resources of ``kind`` whose parent (device, site) is ``parent_id``."""
    rows = session.execute(
        select(R.id, R.body).where(R.parent_id == parent_id, R.kind == kind).order_by(R.pk)
    )
    return [(row.id, dict(row.body)) for row in rows]


def child_ids(session: Session, parent_ids: Sequence[str], kind: str) -> list[tuple[str, str]]:
    """(parent id, child id) pairs."""
    if not parent_ids:
        return []
    rows = session.execute(
        select(R.parent_id, R.id).where(R.parent_id.in_(parent_ids), R.kind == kind).order_by(R.pk)
    )
    return [(str(row.parent_id), row.id) for row in rows]


def links_at(session: Session, port_ids: Sequence[str]) -> list[tuple[str, str, str]]:
    """(link id, end a, end b) of the links with an end at one of ``port_ids``."""
    if not port_ids:
        return []
    rows = session.execute(
        select(R.id, R.end_a, R.end_b)
        .where(R.kind == "link", or_(R.end_a.in_(port_ids), R.end_b.in_(port_ids)))
        .order_by(R.pk)
    )
    return [(row.id, str(row.end_a), str(row.end_b)) for row in rows]


def parents_of(session: Session, ids: Sequence[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(select(R.id, R.parent_id).where(R.id.in_(ids)))
    return {row.id: str(row.parent_id) for row in rows if row.parent_id is not None}


def scoped_pools(session: Session, scope_id: str) -> list[str]:
    return list(session.scalars(select(R.id).where(R.scope_id == scope_id).limit(5)))


def referrers(session: Session, value: str) -> list[tuple[str, str]]:
    """(resource name, id) of documents whose indexed references hold ``value``."""
    found: list[tuple[str, str]] = []
    for table, name in ((R, "resource"), (InventoryService, "service")):
        rows = session.execute(
            select(table.id)
            .join(RefIndex, RefIndex.resource_pk == table.pk)
            .where(RefIndex.resource == name, RefIndex.value == value, table.id != value)
            .limit(5)
        )
        found += [(name, row.id) for row in rows]
    return found


def pools(
    session: Session, *, pool_kind: str, name: str | None, scope: str | None
) -> list[tuple[str, str | None, dict[str, Any]]]:
    query = select(R.id, R.name, R.body).where(R.pool_kind == pool_kind)
    if name is not None:
        query = query.where(R.name == name)
    if scope is not None:
        query = query.where(R.scope_id == scope)
    return [(row.id, row.name, dict(row.body)) for row in session.execute(query.order_by(R.pk))]


def service_categories(session: Session, ids: Iterable[str]) -> dict[str, str | None]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(InventoryService.id, InventoryService.category).where(
            InventoryService.id.in_(wanted)
        )
    )
    return {row.id: row.category for row in rows}


# --- allocation --------------------------------------------------------------------------
# The hot path runs four statements: lock the cursor (with the pool's document), look for
# what the consumer holds, move the cursor, insert. They are built once, with bind
# parameters, so SQLAlchemy reuses their cache keys instead of rebuilding them per call.

RT: Table = InventoryResource.__table__  # type: ignore[assignment]
_CURSOR = (
    select(C.c.next_slot, C.c.max_explicit_slot, C.c.free_count, RT.c.body)
    .select_from(C.join(RT, RT.c.id == C.c.pool_id))
    .where(C.c.pool_id == bindparam("pool_id"))
)
_CURSOR_LOCKED = _CURSOR.with_for_update(of=C)
_HELD = select(A.c.pool_id, A.c.kind, A.c.value, A.c.consumer_id, A.c.state).where(
    A.c.pool_id == bindparam("pool_id"), A.c.consumer_id == bindparam("consumer_id")
)
_MOVE = (
    update(C)
    .where(C.c.pool_id == bindparam("b_pool_id"))
    .values(
        next_slot=bindparam("b_next_slot"),
        max_explicit_slot=bindparam("b_max_explicit"),
        free_count=bindparam("b_free_count"),
    )
)
_INSERT = insert(A)
_SMALLEST_FREE = (
    select(F.c.slot).where(F.c.pool_id == bindparam("pool_id")).order_by(F.c.slot).limit(1)
)
_TAKE_FREE = (
    delete(F)
    .where(F.c.pool_id == bindparam("pool_id"), F.c.slot == bindparam("slot"))
    .returning(F.c.slot)
)
_SLOT_TAKEN = select(A.c.pk).where(
    A.c.pool_id == bindparam("pool_id"), A.c.slot == bindparam("slot")
)


@dataclass(slots=True)
class Cursor:
    """The pool's cursor row as locked, and the pool's document read with it."""

    pool_id: str
    next_slot: int
    max_explicit_slot: int
    free_count: int  # released slots waiting in inventory_free_slot
    body: dict[str, Any]


def lock_cursor(session: Session, pool_id: str) -> Cursor | None:
    """The pool's cursor, locked until the transaction ends; None before the first allocation.

    PostgreSQL: ``SELECT .. FOR UPDATE OF inventory_pool_cursor``, so every allocator of the
    pool queues on this one row. SQLite: the write transaction (BEGIN IMMEDIATE) already
    excludes every other writer.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    row = session.execute(_CURSOR_LOCKED if postgres else _CURSOR, {"pool_id": pool_id}).first()
    if row is None:
        return None
    return Cursor(pool_id, row.next_slot, row.max_explicit_slot, row.free_count, dict(row.body))


def create_cursor(session: Session, pool_id: str) -> None:
    """Make the pool's cursor row (concurrent first allocators: one wins, none fails)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    dialect_insert = postgresql.insert if postgres else sqlite.insert
    values = {"pool_id": pool_id, "next_slot": 0, "max_explicit_slot": -1, "free_count": 0}
    session.execute(dialect_insert(C).values(values).on_conflict_do_nothing())


def save_cursor(session: Session, cursor: Cursor) -> None:
    session.execute(
        _MOVE,
        {
            "b_pool_id": cursor.pool_id,
            "b_next_slot": cursor.next_slot,
            "b_max_explicit": cursor.max_explicit_slot,
            "b_free_count": cursor.free_count,
        },
    )


def take_free_slot(session: Session, pool_id: str, slot: int | None = None) -> int | None:
    """Remove and return the smallest released slot (or ``slot`` itself); None if none."""
    if slot is None:
        slot = session.execute(_SMALLEST_FREE, {"pool_id": pool_id}).scalar_one_or_none()
        if slot is None:
            return None
    taken: int | None = session.execute(
        _TAKE_FREE, {"pool_id": pool_id, "slot": slot}
    ).scalar_one_or_none()
    return taken


def slot_taken(session: Session, pool_id: str, slot: int) -> bool:
    return session.execute(_SLOT_TAKEN, {"pool_id": pool_id, "slot": slot}).first() is not None


def held(session: Session, *, pool_id: str, consumer_id: str) -> Any:
    return session.execute(_HELD, {"pool_id": pool_id, "consumer_id": consumer_id}).first()


def holder_of(session: Session, *, pool_id: str, value: str) -> str | None:
    return session.execute(
        select(A.c.consumer_id).where(A.c.pool_id == pool_id, A.c.value == value)
    ).scalar_one_or_none()


def insert_allocation(
    session: Session,
    *,
    pool_id: str,
    kind: str,
    slot: int,
    value: str,
    consumer_id: str,
    state: str,
    now: datetime,
) -> None:
    session.execute(
        _INSERT,
        {
            "pool_id": pool_id,
            "kind": kind,
            "slot": slot,
            "value": value,
            "consumer_id": consumer_id,
            "state": state,
            "created_at": now,
            "updated_at": now,
        },
    )


def set_state(
    session: Session, *, consumer_id: str, old: str, new: str, now: datetime, pool_id: str | None
) -> int:
    query = update(A).where(A.c.consumer_id == consumer_id, A.c.state == old)
    if pool_id is not None:
        query = query.where(A.c.pool_id == pool_id)
    result = session.execute(query.values(state=new, updated_at=now).returning(A.c.pk))
    return len(result.all())


def release(session: Session, consumer_id: str) -> int:
    """Delete what the consumer holds and give the slots back to their pools.

    Each pool's ``free_count`` goes up under the cursor's row lock, so an allocator that
    holds the lock sees the free list and the count agree.
    """
    freed = session.execute(
        delete(A).where(A.c.consumer_id == consumer_id).returning(A.c.pool_id, A.c.slot)
    ).all()
    if not freed:
        return 0
    session.execute(insert(F), [{"pool_id": p, "slot": s} for p, s in freed])
    per_pool = Counter(pool_id for pool_id, _ in freed)
    for pool_id in sorted(per_pool):  # one order for every releaser: no deadlock between them
        session.execute(
            update(C)
            .where(C.c.pool_id == pool_id)
            .values(free_count=C.c.free_count + per_pool[pool_id])
        )
    return len(freed)


def allocations_for(session: Session, consumer_id: str) -> Sequence[Any]:
    return session.execute(
        select(A.c.pool_id, A.c.kind, A.c.value, A.c.consumer_id, A.c.state)
        .where(A.c.consumer_id == consumer_id)
        .order_by(A.c.pk)
    ).all()


def counts_by_state(session: Session, pool_id: str) -> dict[str, int]:
    rows = session.execute(
        select(A.c.state, func.count()).where(A.c.pool_id == pool_id).group_by(A.c.state)
    )
    return {str(state): int(count) for state, count in rows}


def has_allocations(session: Session, pool_id: str) -> bool:
    return session.execute(select(A.c.pk).where(A.c.pool_id == pool_id)).first() is not None


def forget_pool(session: Session, pool_id: str) -> None:
    """A pool without allocations was deleted or redefined: its cursor starts again."""
    session.execute(delete(F).where(F.c.pool_id == pool_id))
    session.execute(delete(C).where(C.c.pool_id == pool_id))


def find_by_name_or_id(session: Session, kind: str, key: str) -> list[str]:
    """Ids of the resources of ``kind`` whose id or name is ``key`` (for imports)."""
    rows = session.scalars(
        select(R.id).where(R.kind == kind, or_(R.id == key, R.name == key)).limit(2)
    )
    return list(rows)
