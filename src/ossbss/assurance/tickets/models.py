"""The trouble ticket table: the TMF621 document (as the generic TMF store keeps documents)
plus the narrow columns its filters, SLA clocks and automation need."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, UTCDateTime
from ossbss.tmf import DocumentTable


class TroubleTicket(DocumentTable, Base):
    __tablename__ = "assurance_trouble_ticket"
    __table_args__ = (
        Index("ix_assurance_trouble_ticket_status", "status", "pk"),
        Index("ix_assurance_trouble_ticket_respond", "responded_at", "respond_by"),
        Index("ix_assurance_trouble_ticket_resolve", "ended_at", "resolve_by"),
    )

    status: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str | None] = mapped_column(String(60))
    priority: Mapped[str | None] = mapped_column(String(60))
    ticket_type: Mapped[str | None] = mapped_column(String(120))
    # The root alarm an automatic ticket was opened for: one ticket per root alarm.
    alarm_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # SLA clocks (domain.Timers): due times from the priority, when the ticket was first
    # taken up (left "acknowledged"), when the resolve clock stopped (None: running).
    respond_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The sweep told subscribers about these breaches already (each is told once).
    respond_breach_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    resolve_breach_notified: Mapped[bool] = mapped_column(Boolean, default=False)
