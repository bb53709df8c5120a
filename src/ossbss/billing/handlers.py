"""billing's reactions to events of the rooms beside and above it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ossbss.billing.sla_credits import credit_sla_breach
from ossbss.events.performance import SlaBreached
from ossbss.kernel import Clock, HandlerRegistry


def subscribe(registry: HandlerRegistry, clock: Clock) -> None:
    """Every billing reaction, registered once at start-up."""

    def on_sla_breached(session: Session, event: SlaBreached) -> None:
        credit_sla_breach(session, event, now=clock.now())

    registry.subscribe(SlaBreached, on_sla_breached, name="billing.sla-credit")
