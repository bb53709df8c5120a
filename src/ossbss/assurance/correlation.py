"""Correlation: root causes through the topology and the impact of each root alarm.

Called by ``store.ingest`` in the same transaction, after a batch of signals is stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


def correlate(session: Session, *, outcome: Any, now: datetime) -> None:
    """Group the batch's new alarms under their root causes and record each root's impact
    (``outcome`` is the ``store.IngestOutcome`` of the batch)."""
