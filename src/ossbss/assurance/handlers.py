"""assurance's reactions to events (its own and of the rooms beside and below it)."""

from __future__ import annotations

from ossbss.assurance.threshold_alarms import subscribe_threshold_alarms
from ossbss.assurance.tickets import subscribe_tickets
from ossbss.kernel import Clock, HandlerRegistry


def subscribe(registry: HandlerRegistry, clock: Clock) -> None:
    """Every assurance reaction, registered once at start-up."""
    subscribe_tickets(registry, clock)
    subscribe_threshold_alarms(registry, clock)
