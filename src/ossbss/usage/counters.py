"""What rating has already counted: the rated quantities of a time window, so a run that rates
new records continues each allowance and tier where the earlier runs left it."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.kernel.time import Period
from ossbss.usage import domain, models

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
