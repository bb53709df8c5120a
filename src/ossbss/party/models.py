"""party tables: each holds the TMF document plus the columns people filter and sort on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, UTCDateTime
from ossbss.party.names import KEY_LENGTH, name_keys
from ossbss.tmf import DocumentTable

# Folded names compare byte by byte on PostgreSQL too, so a prefix is a plain index range
# whatever the database's collation (SQLite compares bytes already).
SearchKey = String(KEY_LENGTH).with_variant(String(KEY_LENGTH, collation="C"), "postgresql")


def _name_key(which: int) -> Callable[[DefaultExecutionContext], Any]:
    """A search key computed from the ``body`` the same INSERT/UPDATE writes (the generic
    store fills only columns a TMF path leads to; bulk imports included)."""

    def default(context: DefaultExecutionContext) -> Any:
        # SQLAlchemy leaves this method unannotated; it returns the statement's parameters.
        parameters = context.get_current_parameters()  # type: ignore[no-untyped-call]
        return name_keys(parameters.get("body"))[which]

    return default


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
        Index("ix_party_customer_name_key", "name_key", "pk"),
        Index("ix_party_customer_name_rkey", "name_rkey", "pk"),
    )

    name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str | None] = mapped_column(String(40))
    engaged_party_id: Mapped[str | None] = mapped_column(String(64))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Customer search (party/search.py): the folded name, and the same with its last word first.
    name_key: Mapped[str | None] = mapped_column(
        SearchKey, default=_name_key(0), onupdate=_name_key(0)
    )
    name_rkey: Mapped[str | None] = mapped_column(
        SearchKey, default=_name_key(1), onupdate=_name_key(1)
    )
