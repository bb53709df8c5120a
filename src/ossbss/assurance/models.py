"""assurance tables: alarms as narrow rows (the TMF642 document is rendered on read); their
comments, and the impact a root alarm has."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, JSONDocument, UTCDateTime

_PK = BigInteger().with_variant(Integer, "sqlite")


class Alarm(Base):
    __tablename__ = "assurance_alarm"
    __table_args__ = (
        # One active (not cleared) alarm per reduction key: duplicates count on it.
        Index(
            "uq_assurance_alarm_active_key",
            "reduction_key",
            unique=True,
            sqlite_where=text("state <> 'cleared'"),
            postgresql_where=text("state <> 'cleared'"),
        ),
        Index("ix_assurance_alarm_state", "state", "pk"),
        Index("ix_assurance_alarm_object", "alarmed_object_id", "state"),
        Index("ix_assurance_alarm_parent", "parent_alarm_id"),
        Index("ix_assurance_alarm_raised", "raised_at"),
        # the last cleared alarm of a key (flapping carries its transitions to the next one)
        Index("ix_assurance_alarm_key_cleared", "reduction_key", "cleared_at"),
    )

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    reduction_key: Mapped[str] = mapped_column(String(400))
    source: Mapped[str] = mapped_column(String(20))  # signals.SOURCES
    # TMF642 state: raised, updated, cleared
    state: Mapped[str] = mapped_column(String(12))
    alarm_type: Mapped[str] = mapped_column(String(40))
    probable_cause: Mapped[str] = mapped_column(String(120))
    specific_problem: Mapped[str | None] = mapped_column(String(400))
    perceived_severity: Mapped[str] = mapped_column(String(16))
    alarmed_object_id: Mapped[str | None] = mapped_column(String(64))
    alarmed_object_type: Mapped[str | None] = mapped_column(String(40))
    resolved: Mapped[bool] = mapped_column(Boolean, default=True)  # False: unknown source
    source_address: Mapped[str | None] = mapped_column(String(200))
    external_alarm_id: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    count: Mapped[int] = mapped_column(Integer, default=1)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)  # first occurrence
    last_occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clear_user_id: Mapped[str | None] = mapped_column(String(120))
    # TMF642 ackState: unacknowledged, acknowledged
    ack_state: Mapped[str] = mapped_column(String(16), default="unacknowledged")
    ack_user_id: Mapped[str | None] = mapped_column(String(120))
    ack_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    # raise/clear transitions of this reduction key inside the flapping window
    transitions: Mapped[int] = mapped_column(Integer, default=0)
    # when the flapping window of those transitions opened (flapping.FlapState.since)
    transitions_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # a flapping alarm stays active when its source clears: when that last happened (None:
    # the last signal was a raise)
    flap_cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # correlation (assurance/correlation): a child points at its root; a root lists impact
    is_root_cause: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_alarm_id: Mapped[str | None] = mapped_column(String(64))
    service_affecting: Mapped[bool] = mapped_column(Boolean, default=False)
    # TMF642 plannedOutageIndicator: inService, outOfService (inside a maintenance window)
    planned_outage: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"services": [{"id","name"}], "customers": [{"id","name"}], "products": [ids]}
    impact: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)


class AlarmComment(Base):
    __tablename__ = "assurance_alarm_comment"

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    alarm_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str | None] = mapped_column(String(120))
    system_id: Mapped[str | None] = mapped_column(String(120))
    comment: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlarmTask(Base):
    """A TMF642 task resource (ackAlarms, clearAlarms, commentAlarms, groupAlarms ...): the
    request and its result, kept as the document the API returned (tasks are write-once)."""

    __tablename__ = "assurance_alarm_task"

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # ackAlarms, clearAlarms ...
    state: Mapped[str] = mapped_column(String(12))  # done, inProgress
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MaintenanceWindow(Base):
    """Planned work: alarms on the listed resources (and on the ports and devices behind a
    listed device, as correlation decides) between start and end are recorded but open no
    ticket. Half-open [starts_at, ends_at)."""

    __tablename__ = "assurance_maintenance_window"
    __table_args__ = (Index("ix_assurance_maintenance_window_time", "ends_at", "starts_at"),)

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    resource_ids: Mapped[list[str]] = mapped_column(JSONDocument)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
