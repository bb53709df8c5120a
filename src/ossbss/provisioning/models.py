"""provisioning tables: TMF641 service orders and the activation steps planned for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, JSONDocument, UTCDateTime
from ossbss.tmf import DocumentTable


class ServiceOrder(DocumentTable, Base):
    __tablename__ = "provisioning_service_order"
    __table_args__ = (Index("ix_provisioning_service_order_state", "state", "pk"),)

    state: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # While an activator works on the order it holds a lease; a lease that runs out (the
    # process died) makes the order due again, and the idempotent steps run again.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Step(Base):
    """One driver call of a service order, planned with every parameter resolved."""

    __tablename__ = "provisioning_step"
    __table_args__ = (Index("ix_provisioning_step_order", "order_id", "position"),)

    pk: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    order_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(64))
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    spec: Mapped[str] = mapped_column(String(80))
    driver: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    previous: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # planned -> done | failed | undone
    status: Mapped[str] = mapped_column(String(20), default="planned")
    message: Mapped[str] = mapped_column(Text, default="")
