"""Read-only order figures: how many product orders are in each state (one GROUP BY)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss.ordering.domain import ORDER_LIFECYCLE
from ossbss.ordering.models import ProductOrder

# States an order never leaves (nothing follows them in the lifecycle).
FINAL_STATES = frozenset(state for state, moves in ORDER_LIFECYCLE.items() if not moves)
OPEN_STATES = tuple(sorted(set(ORDER_LIFECYCLE) - FINAL_STATES))


def orders_in_flight(session: Session) -> dict[str, int]:
    """Product orders not in a final state, counted by state: the states listed (not "not
    final"), so the state index reads only the orders in flight, not the history."""
    query = (
        select(ProductOrder.state, func.count())
        .where(ProductOrder.state.in_(OPEN_STATES))
        .group_by(ProductOrder.state)
    )
    return {str(state): int(count) for state, count in session.execute(query)}
