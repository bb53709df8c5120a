"""product_inventory tables: the TMF637 document plus the columns people filter on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, JSONDocument, UTCDateTime
from ossbss.tmf import DocumentTable


class Product(DocumentTable, Base):
    __tablename__ = "product_inventory_product"
    __table_args__ = (
        Index("ix_product_inventory_product_status", "status", "pk"),
        # the dashboard's active subscribers: COUNT(DISTINCT account) from the index alone
        Index("ix_product_inventory_product_status_account", "status", "billing_account_id"),
    )

    status: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(String(200))
    offering_id: Mapped[str | None] = mapped_column(String(64), index=True)
    billing_account_id: Mapped[str | None] = mapped_column(String(64), index=True)


class ChargePeriod(Base):
    """What a product was, charge-wise, over a half-open period ``[valid_from, valid_to)``
    (``valid_to`` None: still so). A new row opens whenever the status, the prices, the
    offering or the billing account change; billing prorates from these rows."""

    __tablename__ = "product_inventory_charge_period"
    __table_args__ = (
        Index("ix_product_inventory_charge_period_account", "billing_account_id", "valid_from"),
        Index("ix_product_inventory_charge_period_product", "product_id", "valid_to"),
        # the dashboard's MRR: open rows grouped by offering, name and prices, index-only
        Index(
            "ix_product_inventory_charge_period_earning",
            "valid_to",
            "status",
            "offering_id",
            "name",
            "prices",
        ),
    )

    pk: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    product_id: Mapped[str] = mapped_column(String(64))
    billing_account_id: Mapped[str | None] = mapped_column(String(64))
    offering_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(40))
    prices: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    # The product's first activation, carried on every later row (one-time charges bill once).
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
