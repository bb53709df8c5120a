"""performance's reactions to events (service outages from assurance)."""

from __future__ import annotations

from ossbss.kernel import Clock, HandlerRegistry


def subscribe(registry: HandlerRegistry, clock: Clock) -> None:
    """Every performance reaction, registered once at start-up."""
