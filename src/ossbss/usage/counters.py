"""Read models for rooms above: what rating has already counted in a time window (so a run
continues each allowance and tier where earlier runs left it) and who is on the network."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ossbss.kernel.time import Period
from ossbss.usage import domain, models
from ossbss.usage.domain import Identity
from ossbss.usage.ingest import identity_of

COUNTED_SCHEMA: dict[str, Any] = {
    "id": pl.String,
    "product_id": pl.String,
    "billing_account_id": pl.String,
    "price_id": pl.String,
    "started_at": pl.Datetime("us", "UTC"),
    "rated_quantity": pl.Int64,
}


def rated_quantities(session: Session, *, period: Period) -> pl.DataFrame:
    """Rated, re-rated and billed records that started in ``period``, with their rated
    quantity (what they consumed of allowances and tiers)."""
    table = models.UsageRecord
    query = select(*(table.__table__.c[name] for name in COUNTED_SCHEMA)).where(
        table.status.in_((domain.RATED, domain.RERATED, domain.BILLED)),
        table.started_at >= period.start,
        table.price_id.is_not(None),
    )
    if period.end is not None:
        query = query.where(table.started_at < period.end)
    return pl.DataFrame(session.execute(query).all(), schema=COUNTED_SCHEMA, orient="row")


def current_identities(session: Session, *, at: datetime) -> list[Identity]:
    """Every identifier in use at ``at`` with its subscriber and since when (e.g. to generate
    or reconcile usage for everyone on the network)."""
    table = models.SubscriberIdentity
    rows = session.scalars(
        select(table)
        .where(table.valid_from <= at, or_(table.valid_to.is_(None), table.valid_to > at))
        .order_by(table.pk)
    ).all()
    return [identity_of(row) for row in rows]
