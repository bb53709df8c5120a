"""The tables FreeRADIUS reads (rlm_sql) and writes (sql accounting): the platform's own.

ADR 0007: FreeRADIUS's ``sql`` module runs its queries on these tables directly, on SQLite and
on PostgreSQL alike. The column names are FreeRADIUS's (``lab/freeradius`` queries use them), so
the radcheck/radreply/radusergroup/radgroupreply/radacct shape stays as in FreeRADIUS's
schema. Provisioning writes the check, reply and group rows (through the RADIUS driver);
FreeRADIUS writes the accounting rows, the driver only reads them to find live sessions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, UTCDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")


class RadCheck(Base):
    """Check items: ``Cleartext-Password := secret`` (what the Access-Request must match)."""

    __tablename__ = "provisioning_radcheck"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    attribute: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(2), default=":=")
    value: Mapped[str] = mapped_column(String(253))
    # The resource-facing service the row belongs to (FreeRADIUS never reads it).
    service_id: Mapped[str | None] = mapped_column(String(64), index=True)


class RadReply(Base):
    """Reply items sent in the Access-Accept: address, prefix and rate limit."""

    __tablename__ = "provisioning_radreply"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    attribute: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(2), default=":=")
    value: Mapped[str] = mapped_column(String(253))
    service_id: Mapped[str | None] = mapped_column(String(64))


class RadUserGroup(Base):
    """Group membership; a suspended subscriber is in the walled-garden group."""

    __tablename__ = "provisioning_radusergroup"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    groupname: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=1)
    service_id: Mapped[str | None] = mapped_column(String(64))


class RadGroupReply(Base):
    """Reply items of a group (the walled garden's Filter-Id and rate)."""

    __tablename__ = "provisioning_radgroupreply"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    groupname: Mapped[str] = mapped_column(String(64), index=True)
    attribute: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(2), default=":=")
    value: Mapped[str] = mapped_column(String(253))


class RadAcct(Base):
    """Accounting sessions, written by FreeRADIUS's sql accounting (one row per session).

    An open session has no ``acctstoptime``. SQLite gets ``datetime(epoch, 'unixepoch')``
    (naive UTC text) and PostgreSQL ``TO_TIMESTAMP(epoch)``; both read back as aware UTC.
    """

    __tablename__ = "provisioning_radacct"
    __table_args__ = (
        Index("ix_provisioning_radacct_open", "username", "acctstoptime"),
        Index("ix_provisioning_radacct_nas_open", "nasipaddress", "acctstoptime"),
    )

    radacctid: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    acctsessionid: Mapped[str] = mapped_column(String(64), index=True)
    acctuniqueid: Mapped[str] = mapped_column(String(32), unique=True)
    username: Mapped[str | None] = mapped_column(String(253))
    realm: Mapped[str | None] = mapped_column(String(64))
    nasipaddress: Mapped[str] = mapped_column(String(45))
    nasportid: Mapped[str | None] = mapped_column(String(32))
    nasporttype: Mapped[str | None] = mapped_column(String(32))
    acctstarttime: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    acctupdatetime: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acctstoptime: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acctinterval: Mapped[int | None] = mapped_column(BigInteger)
    acctsessiontime: Mapped[int | None] = mapped_column(BigInteger)
    acctauthentic: Mapped[str | None] = mapped_column(String(32))
    connectinfo_start: Mapped[str | None] = mapped_column(String(128))
    connectinfo_stop: Mapped[str | None] = mapped_column(String(128))
    acctinputoctets: Mapped[int | None] = mapped_column(BigInteger)
    acctoutputoctets: Mapped[int | None] = mapped_column(BigInteger)
    calledstationid: Mapped[str | None] = mapped_column(String(50))
    callingstationid: Mapped[str | None] = mapped_column(String(50))
    acctterminatecause: Mapped[str | None] = mapped_column(String(32))
    servicetype: Mapped[str | None] = mapped_column(String(32))
    framedprotocol: Mapped[str | None] = mapped_column(String(32))
    framedipaddress: Mapped[str | None] = mapped_column(String(45))
    framedipv6address: Mapped[str | None] = mapped_column(String(45))
    framedipv6prefix: Mapped[str | None] = mapped_column(String(45))
    framedinterfaceid: Mapped[str | None] = mapped_column(String(44))
    delegatedipv6prefix: Mapped[str | None] = mapped_column(String(45))


RADIUS_TABLE_NAMES = (
    "provisioning_radcheck",
    "provisioning_radreply",
    "provisioning_radusergroup",
    "provisioning_radgroupreply",
    "provisioning_radacct",
)
RADIUS_TABLES: tuple[Table, ...] = tuple(Base.metadata.tables[name] for name in RADIUS_TABLE_NAMES)
