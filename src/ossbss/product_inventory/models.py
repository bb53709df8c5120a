"""product_inventory tables: the TMF637 document plus the columns people filter on."""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base
from ossbss.tmf import DocumentTable


class Product(DocumentTable, Base):
    __tablename__ = "product_inventory_product"
    __table_args__ = (Index("ix_product_inventory_product_status", "status", "pk"),)

    status: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(String(200))
    offering_id: Mapped[str | None] = mapped_column(String(64), index=True)
    billing_account_id: Mapped[str | None] = mapped_column(String(64), index=True)
