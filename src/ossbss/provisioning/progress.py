"""What happened to a product order in the network: its service orders and every activation
step with the driver's message (read-only; the console's order page shows it)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import cast, select
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from ossbss.provisioning import models

# A product order has one service order per item: more than this is not a page's worth.
MAX_SERVICE_ORDERS = 200


@dataclass(frozen=True, slots=True)
class ActivationStep:
    """One driver call: what it did to which service, and how it went."""

    position: int
    item_id: str
    service_id: str
    spec: str
    driver: str
    action: str
    status: str  # planned, done, failed, undone
    message: str  # the driver's error for a failed step


@dataclass(frozen=True, slots=True)
class ServiceOrderProgress:
    """A TMF641 service order of the product order, with its planned steps."""

    id: str
    state: str | None
    document: dict[str, Any]  # the TMF641 body (items, notes, dates)
    steps: tuple[ActivationStep, ...]

    @property
    def notes(self) -> list[str]:
        return [str(note.get("text", "")) for note in self.document.get("note") or []]


def activation_of(session: Session, *, product_order_id: str) -> tuple[ServiceOrderProgress, ...]:
    """The service orders created for ``product_order_id`` (oldest first) with their steps.
    Two queries on indexed columns, whatever the number of steps."""
    table = models.ServiceOrder
    rows = session.execute(
        select(table.id, table.state, cast(table.body, Text))
        .where(table.external_id == product_order_id)
        .order_by(table.pk)
        .limit(MAX_SERVICE_ORDERS)
    ).all()
    ids = [row.id for row in rows]
    steps: dict[str, list[ActivationStep]] = {order_id: [] for order_id in ids}
    if ids:
        for step in session.scalars(
            select(models.Step)
            .where(models.Step.order_id.in_(ids))
            .order_by(models.Step.order_id, models.Step.position)
        ):
            steps[step.order_id].append(
                ActivationStep(
                    position=step.position,
                    item_id=step.item_id,
                    service_id=step.service_id,
                    spec=step.spec,
                    driver=step.driver,
                    action=step.action,
                    status=step.status,
                    message=step.message or "",
                )
            )
    return tuple(
        ServiceOrderProgress(
            id=row.id,
            state=row.state,
            document={"id": row.id, **json.loads(row[2])},
            steps=tuple(steps[row.id]),
        )
        for row in rows
    )
