"""ordering tables: TMF622 product orders and cancellation requests."""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base
from ossbss.tmf import DocumentTable


class ProductOrder(DocumentTable, Base):
    __tablename__ = "ordering_product_order"
    __table_args__ = (Index("ix_ordering_product_order_state", "state", "pk"),)

    state: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)


class CancelProductOrder(DocumentTable, Base):
    __tablename__ = "ordering_cancel_product_order"

    state: Mapped[str | None] = mapped_column(String(40))
    product_order_id: Mapped[str | None] = mapped_column(String(64), index=True)
