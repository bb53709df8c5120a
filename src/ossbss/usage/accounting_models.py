"""The collector's durable state: the last cumulative counters seen per accounting session.

Rows change in the same transaction as the usage records they produced, so after a crash
the next packet's delta starts exactly where the stored records end.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, UTCDateTime


class AccountingSession(Base):
    __tablename__ = "usage_accounting_session"

    # NAS-Identifier or NAS-IP-Address (else the packet's source address).
    nas: Mapped[str] = mapped_column(String(253), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(253), primary_key=True)
    subscriber: Mapped[str] = mapped_column(String(253))
    # Unwrapped cumulative octets (gigawords included, 32-bit wraps added back).
    bytes_up: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_down: Mapped[int] = mapped_column(BigInteger, default=0)
    # What was added back for 32-bit wraps (added to every later raw counter).
    wrap_up: Mapped[int] = mapped_column(BigInteger, default=0)
    wrap_down: Mapped[int] = mapped_column(BigInteger, default=0)
    session_seconds: Mapped[int] = mapped_column(Integer, default=0)
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
