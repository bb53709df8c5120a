"""Allocating values from pools without double booking (ADR 0006).

Every allocator of a pool first locks the pool's cursor row (PostgreSQL ``SELECT .. FOR
UPDATE``; SQLite has one writer at a time anyway), then takes the smallest released slot or
the cursor's next one. Nothing is scanned: one indexed read of the free list, one row update.
The unique constraints on ``(pool_id, value)``, ``(pool_id, slot)`` and ``(pool_id,
consumer_id)`` back it up in the database itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from ossbss.inventory import domain, repository
from ossbss.inventory.errors import PoolExhausted
from ossbss.inventory.pools import POOL_KINDS, PoolRange
from ossbss.kernel.errors import Conflict, InvalidInput, NotFound

AllocationState = Literal["reserved", "allocated"]
STATES: tuple[AllocationState, ...] = ("reserved", "allocated")
MAX_CONSUMER_ID = 128  # inventory_allocation.consumer_id


@dataclass(frozen=True, slots=True)
class Allocation:
    """A value of a pool held by a consumer (a service, an order item, a SIM card...)."""

    pool_id: str
    kind: str  # ipv4, ipv6, ipv6-prefix, vlan, msisdn, iccid
    value: str  # an address, a prefix, a VLAN id, an MSISDN or an ICCID
    consumer_id: str
    state: AllocationState


@dataclass(frozen=True, slots=True)
class PoolUsage:
    total: int
    allocated: int
    reserved: int
    free: int


def find_pool(
    session: Session, *, kind: str, name: str | None = None, scope: str | None = None
) -> str:
    """The id of the one usable pool of ``kind`` (and ``name``, ``scope`` when given).

    ``scope`` is a VLAN range's device or another pool's site. NotFound when none matches,
    InvalidInput when several do (name the one you mean).
    """
    if kind not in POOL_KINDS:
        raise InvalidInput("Unknown pool kind", field="kind", detail=f"use one of {POOL_KINDS}")
    found = repository.pools(session, pool_kind=kind, name=name, scope=scope)
    usable = [
        (pool_id, pool_name) for pool_id, pool_name, body in found if domain.pool_is_usable(body)
    ]
    which = (f" named {name!r}" if name else "") + (f" scoped to {scope}" if scope else "")
    if not usable:
        raise NotFound("No pool", field="kind", detail=f"no usable {kind} pool{which}")
    if len(usable) > 1:
        names = ", ".join(str(pool_name or pool_id) for pool_id, pool_name in usable[:5])
        raise InvalidInput(
            "Several pools match",
            field="name",
            detail=f"{len(usable)} {kind} pools{which} ({names}); name the one to use",
        )
    return usable[0][0]


def allocate(
    session: Session,
    *,
    pool_id: str,
    consumer_id: str,
    now: datetime,
    value: str | None = None,
    state: AllocationState = "allocated",
) -> Allocation:
    """A value of the pool for ``consumer_id``: the one it already holds there (a retry after
    a crash gets the same value), else ``value`` if given and free, else the lowest free one.

    PoolExhausted (409) when nothing is left; Conflict when ``value`` is held by another.
    """
    if state not in STATES:
        raise InvalidInput("Invalid state", field="state", detail="reserved or allocated")
    if not consumer_id or len(consumer_id) > MAX_CONSUMER_ID:
        raise InvalidInput(
            "Invalid consumer", field="consumer_id", detail=f"1 to {MAX_CONSUMER_ID} characters"
        )
    cursor = repository.lock_cursor(session, pool_id)
    if cursor is None:  # the pool's first allocation: check it is one, then make its cursor
        # Share-lock the pool's row: a PATCH or DELETE of the pool (which locks it for update,
        # then the cursor) cannot slip between this check and the first allocation.
        _pool(session, pool_id, share_lock=True)
        repository.create_cursor(session, pool_id)
        cursor = repository.lock_cursor(session, pool_id)
        assert cursor is not None
    document = cursor.body
    pool = domain.pool_range(document)
    name = str(document.get("name") or pool_id)
    existing = repository.held(session, pool_id=pool_id, consumer_id=consumer_id)
    if existing is not None:
        if value is not None and pool.slot_of(value)[1] != existing.value:
            raise Conflict(
                "Consumer already served",
                field="value",
                detail=f"{consumer_id} already holds {existing.value} in pool {name}",
            )
        if state == "allocated" and existing.state == "reserved":
            repository.set_state(
                session,
                consumer_id=consumer_id,
                old="reserved",
                new="allocated",
                now=now,
                pool_id=pool_id,
            )
            return Allocation(pool_id, pool.kind, existing.value, consumer_id, "allocated")
        return _allocation(existing)
    if not domain.pool_is_usable(document):
        raise Conflict(
            "Pool not usable", field="pool_id", detail=f"pool {name} is locked or suspended"
        )
    if value is None:
        slot = _next_slot(session, pool, cursor, name)
        canonical = pool.value_at(slot)
    else:
        slot, canonical = _requested_slot(session, pool, cursor, name, value)
    repository.save_cursor(session, cursor)
    repository.insert_allocation(
        session,
        pool_id=pool_id,
        kind=pool.kind,
        slot=slot,
        value=canonical,
        consumer_id=consumer_id,
        state=state,
        now=now,
    )
    return Allocation(pool_id, pool.kind, canonical, consumer_id, state)


def _pool(
    session: Session, pool_id: str, *, share_lock: bool = False
) -> tuple[PoolRange, dict[str, Any]]:
    document = repository.body_of(session, pool_id, share_lock=share_lock)
    if document is None:
        raise NotFound(f"No pool with id {pool_id}", field="pool_id")
    if domain.kind_of(document) not in domain.POOL_TYPES:
        raise InvalidInput("Not a pool", field="pool_id", detail=f"{pool_id} holds no values")
    return domain.pool_range(document), document


def _next_slot(session: Session, pool: PoolRange, cursor: repository.Cursor, name: str) -> int:
    if cursor.free_count > 0:
        released = repository.take_free_slot(session, cursor.pool_id)
        cursor.free_count = cursor.free_count - 1 if released is not None else 0
        if released is not None:
            return released
    candidate = cursor.next_slot
    # Above the cursor only values asked for by name can be taken: step over those.
    while candidate <= cursor.max_explicit_slot and repository.slot_taken(
        session, cursor.pool_id, candidate
    ):
        candidate += 1
    if candidate >= pool.size:
        raise PoolExhausted(f"pool {name} exhausted", field="pool_id")
    cursor.next_slot = candidate + 1
    return candidate


def _requested_slot(
    session: Session, pool: PoolRange, cursor: repository.Cursor, name: str, value: str
) -> tuple[int, str]:
    slot, canonical = pool.slot_of(value)
    holder = repository.holder_of(session, pool_id=cursor.pool_id, value=canonical)
    if holder is not None:
        raise Conflict(
            "Value taken", field="value", detail=f"{canonical} is held by {holder} in pool {name}"
        )
    if repository.take_free_slot(session, cursor.pool_id, slot) is not None:
        cursor.free_count = max(cursor.free_count - 1, 0)
    elif slot < cursor.next_slot:  # below the cursor every slot is held or free
        raise Conflict("Value taken", field="value", detail=f"{canonical} is not free")
    if slot == cursor.next_slot:
        cursor.next_slot = slot + 1
    elif slot > cursor.next_slot:
        cursor.max_explicit_slot = max(cursor.max_explicit_slot, slot)
    return slot, canonical


def confirm(session: Session, *, consumer_id: str, now: datetime) -> int:
    """Reserved -> allocated for everything the consumer reserved; how many changed."""
    return repository.set_state(
        session, consumer_id=consumer_id, old="reserved", new="allocated", now=now, pool_id=None
    )


def release(session: Session, *, consumer_id: str, now: datetime) -> int:
    """Give back everything the consumer holds, in every pool; how many values (0 the second
    time: releasing is idempotent)."""
    return repository.release(session, consumer_id)


def allocations_for(session: Session, *, consumer_id: str) -> list[Allocation]:
    return [_allocation(row) for row in repository.allocations_for(session, consumer_id)]


def pool_usage(session: Session, *, pool_id: str) -> PoolUsage:
    pool, _ = _pool(session, pool_id)
    counts = repository.counts_by_state(session, pool_id)
    allocated, reserved = counts.get("allocated", 0), counts.get("reserved", 0)
    return PoolUsage(
        total=pool.total,
        allocated=allocated,
        reserved=reserved,
        free=pool.total - allocated - reserved,
    )


def _allocation(row: Any) -> Allocation:
    return Allocation(
        pool_id=row.pool_id,
        kind=row.kind,
        value=row.value,
        consumer_id=row.consumer_id,
        state=row.state,
    )
