"""Links by their two ends, for per-link KPIs (performance: 95th percentile per link)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.inventory import repository
from ossbss.inventory.models import InventoryResource as R


@dataclass(frozen=True, slots=True)
class LinkEnds:
    id: str
    name: str | None
    port_a: str
    port_b: str


def links(session: Session, *, port_ids: Sequence[str] | None = None) -> list[LinkEnds]:
    """Every link (or those with an end at one of ``port_ids``), in the order recorded."""
    if port_ids is not None:
        found = repository.links_at(session, list(port_ids))
        names = dict(
            session.execute(select(R.id, R.name).where(R.id.in_([f[0] for f in found]))).tuples()
        )
        return [LinkEnds(link_id, names.get(link_id), a, b) for link_id, a, b in found]
    rows = session.execute(
        select(R.id, R.name, R.end_a, R.end_b).where(R.kind == "link").order_by(R.pk)
    )
    return [LinkEnds(row.id, row.name, str(row.end_a), str(row.end_b)) for row in rows]
