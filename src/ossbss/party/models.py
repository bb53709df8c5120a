"""party tables: each holds the TMF document plus the columns people filter and sort on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, UTCDateTime
from ossbss.tmf import DocumentTable


class Individual(DocumentTable, Base):
    __tablename__ = "party_individual"
    __table_args__ = (
        Index("ix_party_individual_family_name", "family_name", "pk"),
        Index("ix_party_individual_status", "status", "pk"),
    )

    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str | None] = mapped_column(String(40))


class Organization(DocumentTable, Base):
    __tablename__ = "party_organization"
    __table_args__ = (
        Index("ix_party_organization_trading_name", "trading_name", "pk"),
        Index("ix_party_organization_status", "status", "pk"),
    )

    trading_name: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str | None] = mapped_column(String(40))


class Customer(DocumentTable, Base):
    __tablename__ = "party_customer"
    __table_args__ = (
        Index("ix_party_customer_name", "name", "pk"),
        Index("ix_party_customer_status", "status", "pk"),
        Index("ix_party_customer_engaged_party_id", "engaged_party_id", "pk"),
        Index("ix_party_customer_valid_from", "valid_from", "pk"),
    )

    name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str | None] = mapped_column(String(40))
    engaged_party_id: Mapped[str | None] = mapped_column(String(64))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
