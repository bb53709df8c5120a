"""catalog tables: each holds the TMF620 document plus the columns people filter and sort on.

Every indexed column gets a composite index ``(column, pk)`` so a filtered list pages over
the index in primary-key order without touching the documents.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, UTCDateTime
from ossbss.tmf import DocumentTable

_COMMON = ("name", "lifecycle_status", "last_update", "valid_from", "valid_to")


def _indexes(table: str, *columns: str) -> tuple[Index, ...]:
    return tuple(Index(f"ix_{table}_{column}", column, "pk") for column in (*_COMMON, *columns))


class _CatalogEntity:
    """The attributes all five TMF620 entities share."""

    name: Mapped[str | None] = mapped_column(String(200))
    lifecycle_status: Mapped[str | None] = mapped_column(String(40))
    last_update: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[str | None] = mapped_column(String(40))


class Catalog(_CatalogEntity, DocumentTable, Base):
    __tablename__ = "catalog_catalog"
    __table_args__ = _indexes("catalog_catalog", "catalog_type")

    catalog_type: Mapped[str | None] = mapped_column(String(80))


class Category(_CatalogEntity, DocumentTable, Base):
    __tablename__ = "catalog_category"
    __table_args__ = _indexes("catalog_category", "parent_id", "is_root")

    parent_id: Mapped[str | None] = mapped_column(String(64))
    is_root: Mapped[bool | None] = mapped_column(Boolean)


class ProductSpecification(_CatalogEntity, DocumentTable, Base):
    __tablename__ = "catalog_product_specification"
    __table_args__ = _indexes(
        "catalog_product_specification", "is_bundle", "brand", "product_number"
    )

    is_bundle: Mapped[bool | None] = mapped_column(Boolean)
    brand: Mapped[str | None] = mapped_column(String(200))
    product_number: Mapped[str | None] = mapped_column(String(100))


class ProductOffering(_CatalogEntity, DocumentTable, Base):
    __tablename__ = "catalog_product_offering"
    __table_args__ = _indexes(
        "catalog_product_offering", "is_bundle", "is_sellable", "product_specification_id"
    )

    is_bundle: Mapped[bool | None] = mapped_column(Boolean)
    is_sellable: Mapped[bool | None] = mapped_column(Boolean)
    product_specification_id: Mapped[str | None] = mapped_column(String(64))


class ProductOfferingPrice(_CatalogEntity, DocumentTable, Base):
    __tablename__ = "catalog_product_offering_price"
    __table_args__ = _indexes(
        "catalog_product_offering_price",
        "is_bundle",
        "price_type",
        "recurring_charge_period_type",
        "price_unit",
    )

    is_bundle: Mapped[bool | None] = mapped_column(Boolean)
    price_type: Mapped[str | None] = mapped_column(String(40))
    recurring_charge_period_type: Mapped[str | None] = mapped_column(String(40))
    price_unit: Mapped[str | None] = mapped_column(String(3))
