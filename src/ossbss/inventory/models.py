"""inventory tables: resources and services (TMF documents), pool cursors and allocations."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.inventory import domain
from ossbss.kernel.db import Base, UTCDateTime
from ossbss.tmf import DocumentTable

_last = threading.local()


def _facts(body: Any) -> domain.Facts:
    # One INSERT fills several derived columns from the same body: parse it once.
    cached = getattr(_last, "entry", None)
    if cached is not None and cached[0] is body:
        return cached[1]  # type: ignore[no-any-return]
    found = domain.facts(body)
    _last.entry = (body, found)
    return found


def _derived(name: str) -> Callable[[DefaultExecutionContext], Any]:
    """A column filled from the document the same INSERT/UPDATE writes (see account.models)."""

    def default(context: DefaultExecutionContext) -> Any:
        parameters = context.get_current_parameters()  # type: ignore[no-untyped-call]
        return getattr(_facts(parameters.get("body")), name)

    return default


def _fact_column(name: str, length: int) -> Mapped[str | None]:
    return mapped_column(String(length), default=_derived(name), onupdate=_derived(name))


class InventoryResource(DocumentTable, Base):
    """TMF639 resources of every @type: sites, devices, ports, links and pools."""

    __tablename__ = "inventory_resource"
    __table_args__ = (
        Index("ix_inventory_resource_name", "name", "pk"),
        Index("ix_inventory_resource_type", "resource_type", "pk"),
        Index("ix_inventory_resource_category", "category", "pk"),
        Index("ix_inventory_resource_resource_status", "resource_status", "pk"),
        Index("ix_inventory_resource_kind", "kind", "pk"),
        Index("ix_inventory_resource_space", "space", "lower_key"),
        Index("ix_inventory_resource_pool_kind", "pool_kind", "name"),
        Index("ix_inventory_resource_parent", "parent_id", "kind"),
        Index("ix_inventory_resource_end_a", "end_a"),
        Index("ix_inventory_resource_end_b", "end_b"),
        Index("ix_inventory_resource_scope", "scope_id"),
    )

    name: Mapped[str | None] = mapped_column(String(200))
    resource_type: Mapped[str | None] = mapped_column(String(80))
    category: Mapped[str | None] = mapped_column(String(80))
    resource_status: Mapped[str | None] = mapped_column(String(40))
    administrative_state: Mapped[str | None] = mapped_column(String(40))
    operational_state: Mapped[str | None] = mapped_column(String(40))
    usage_state: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str | None] = _fact_column("kind", 20)
    pool_kind: Mapped[str | None] = _fact_column("pool_kind", 20)
    space: Mapped[str | None] = _fact_column("space", 80)
    lower_key: Mapped[str | None] = _fact_column("lower_key", 40)
    upper_key: Mapped[str | None] = _fact_column("upper_key", 40)
    scope_id: Mapped[str | None] = _fact_column("scope_id", 64)
    parent_id: Mapped[str | None] = _fact_column("parent_id", 64)
    end_a: Mapped[str | None] = _fact_column("end_a", 64)
    end_b: Mapped[str | None] = _fact_column("end_b", 64)


class InventoryService(DocumentTable, Base):
    """TMF638 services, customer-facing (CFS) and resource-facing (RFS)."""

    __tablename__ = "inventory_service"
    __table_args__ = (
        Index("ix_inventory_service_name", "name", "pk"),
        Index("ix_inventory_service_category", "category", "pk"),
        Index("ix_inventory_service_state", "state", "pk"),
        Index("ix_inventory_service_type", "service_type", "pk"),
        Index("ix_inventory_service_specification", "specification_id", "pk"),
    )

    name: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[str | None] = mapped_column(String(40))
    service_type: Mapped[str | None] = mapped_column(String(80))
    specification_id: Mapped[str | None] = mapped_column(String(64))


class ServiceResource(Base):
    """Which resources a service uses (inventory.footprint): its ``supportingResource`` and the
    resource ids its characteristics name (port, device ...). Kept by the service rules on
    every write, so "which services use these ports" is one indexed query."""

    __tablename__ = "inventory_service_resource"
    __table_args__ = (Index("ix_inventory_service_resource_resource", "resource_id", "service_id"),)

    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # how the service names it: supportingResource, or the characteristic's name
    via: Mapped[str] = mapped_column(String(40))


class PoolCursor(Base):
    """One row per pool that has allocated: the lock allocators of the pool queue on, and the
    next never-used slot. Made on the first allocation (the pool's id is not known earlier)."""

    __tablename__ = "inventory_pool_cursor"

    pool_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_slot: Mapped[int] = mapped_column(BigInteger, default=0)
    # Highest slot handed out on request (allocate(value=...)) beyond the cursor: below it the
    # cursor must step over taken slots.
    max_explicit_slot: Mapped[int] = mapped_column(BigInteger, default=-1)
    # Released slots waiting in inventory_free_slot: the free list is read only when > 0.
    free_count: Mapped[int] = mapped_column(BigInteger, default=0)


class Allocation(Base):
    """A value of a pool held by a consumer. The unique constraints are the last word against
    double booking, whatever the code above them gets wrong."""

    __tablename__ = "inventory_allocation"
    __table_args__ = (
        UniqueConstraint("pool_id", "value", name="uq_inventory_allocation_pool_value"),
        UniqueConstraint("pool_id", "slot", name="uq_inventory_allocation_pool_slot"),
        UniqueConstraint("pool_id", "consumer_id", name="uq_inventory_allocation_pool_consumer"),
        Index("ix_inventory_allocation_consumer", "consumer_id"),
    )

    pk: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    pool_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    slot: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[str] = mapped_column(String(64))
    consumer_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FreeSlot(Base):
    """Slots below the cursor that were released: reused first, smallest first."""

    __tablename__ = "inventory_free_slot"

    pool_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
