"""performance's reactions to events (service outages from assurance)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ossbss.events.assurance import ServiceOutageEnded, ServiceOutageStarted
from ossbss.kernel import Clock, HandlerRegistry
from ossbss.performance.outages import outage_ended, outage_started


def subscribe(registry: HandlerRegistry, clock: Clock) -> None:
    """Every performance reaction, registered once at start-up."""

    def on_started(session: Session, event: ServiceOutageStarted) -> None:
        outage_started(session, event)

    def on_ended(session: Session, event: ServiceOutageEnded) -> None:
        outage_ended(session, event)

    registry.subscribe(ServiceOutageStarted, on_started, name="performance.outage-started")
    registry.subscribe(ServiceOutageEnded, on_ended, name="performance.outage-ended")
