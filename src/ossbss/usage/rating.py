"""What the rating service reads and writes: records to rate as a Polars frame, the rating
written back in bulk (columns and TMF635 body in one statement), billing marks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from ossbss.kernel.db import after_commit
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import Period, format_datetime
from ossbss.tmf import PAGES, has_subscribers
from ossbss.usage import bulk, domain, models
from ossbss.usage.ingest import notify_hub
from ossbss.usage.resources import USAGE, USAGE_API

TO_RATE_SCHEMA: dict[str, Any] = {
    "id": pl.String,
    "record_key": pl.String,
    "kind": pl.String,
    "subscriber": pl.String,
    "product_id": pl.String,
    "billing_account_id": pl.String,
    "offering_id": pl.String,
    "started_at": pl.Datetime("us", "UTC"),
    "duration_seconds": pl.Int64,
    "bytes_up": pl.Int64,
    "bytes_down": pl.Int64,
    "events": pl.Int64,
    "destination": pl.String,
    "status": pl.String,
}
RATED_COLUMNS = ("id", "status", "amount", "scale", "currency", "price_id", "rated_quantity")
_CHUNK = 50_000
_ID_CHUNK = 900


def records_to_rate(session: Session, *, period: Period, rerate: bool = False) -> pl.DataFrame:
    """Guided records that started in ``period`` (and, to re-rate, rated/rerated ones);
    billed records never."""
    table = models.UsageRecord
    statuses = [domain.GUIDED, *((domain.RATED, domain.RERATED) if rerate else ())]
    query = select(*(table.__table__.c[name] for name in TO_RATE_SCHEMA)).where(
        table.status.in_(statuses), table.started_at >= period.start
    )
    if period.end is not None:
        query = query.where(table.started_at < period.end)
    rows = session.execute(query.order_by(table.pk)).all()
    return pl.DataFrame(rows, schema=TO_RATE_SCHEMA, orient="row")


def record_rating(session: Session, *, rated: pl.DataFrame, now: datetime) -> None:
    """Store ratings: amounts on the columns, status and ``ratedProductUsage`` in the body.
    Rejected rows keep their reason. Billed records are never touched."""
    missing = [name for name in (*RATED_COLUMNS, "reason") if name not in rated.columns]
    if missing:
        raise InvalidInput("Incomplete rating", field=missing[0], detail="column is required")
    unknown = set(rated["status"].unique().to_list()) - {
        domain.RATED,
        domain.RERATED,
        domain.REJECTED,
    }
    if unknown:
        raise InvalidInput(
            "Invalid status", field="status", detail=f"rated, rerated or rejected, not {unknown}"
        )
    if rated.is_empty():
        return
    rated = rated.with_columns(
        value=pl.struct("amount", "scale").map_elements(
            lambda row: (
                domain.decimal_text(row["amount"], row["scale"])
                if row["amount"] is not None
                else None
            ),
            return_dtype=pl.String,
        )
    )
    sqlite = bulk.is_sqlite(session)
    when = bulk.timestamp(sqlite, now)
    rating_date = format_datetime(now)
    columns = ("id", "status", "amount", "scale", "currency", "price_id", "rated_quantity")
    frame = rated.select(*columns, "reason", "value")
    for start in range(0, frame.height, _CHUNK):
        rows = frame.slice(start, _CHUNK).rows()
        if sqlite:
            _update_sqlite(session, rows, when, rating_date)
        else:
            _update_postgresql(session, rows, now, rating_date)
    after_commit(session, lambda: PAGES.forget(USAGE.name))
    if has_subscribers(session, api=USAGE_API.name):
        notify_hub(session, frame["id"].to_list(), "StateChange", now)


_RATED_USAGE_SQLITE = (
    "json_array(json_object('ratingDate', :date, 'usageRatingTag', 'usage', "
    "'isBilled', json('false'), 'ratingAmountType', 'total', "
    "'offerTariffType', {price}, "
    "'taxExcludedRatingAmount', json_object('unit', {currency}, 'value', json({value})), "
    "'productRef', json_object('id', product_id, '@referredType', 'Product')))"
)


def _update_sqlite(
    session: Session, rows: list[tuple[Any, ...]], when: str, rating_date: str
) -> None:
    rated_usage = _RATED_USAGE_SQLITE.format(price="?", currency="?", value="?").replace(
        ":date", "?"
    )
    sql = (
        "UPDATE usage_record SET status = ?, amount = ?, scale = ?, currency = ?, "
        "price_id = ?, rated_quantity = ?, reason = ?, rated_at = ?, updated_at = ?, "
        "body = CASE WHEN ? = 'rejected' "
        "THEN json_remove(json_set(body, '$.status', 'rejected', '$.description', ?), "
        "'$.ratedProductUsage') "
        f"ELSE json_set(body, '$.status', ?, '$.ratedProductUsage', {rated_usage}) END "
        "WHERE id = ? AND status != 'billed'"
    )
    params = [
        (
            status,
            amount,
            scale,
            currency,
            price_id,
            quantity,
            reason,
            when,
            when,
            status,
            f"rejected: {reason or 'no reason given'}",
            status,
            rating_date,
            price_id or "usage",
            currency,
            value or "0",
            record_id,
        )
        for record_id, status, amount, scale, currency, price_id, quantity, reason, value in rows
    ]
    bulk.execute_many(session, sql, params)


def _update_postgresql(
    session: Session, rows: list[tuple[Any, ...]], now: datetime, rating_date: str
) -> None:
    staged = bulk.stage(
        session,
        "usage_record",
        (
            "id",
            "status",
            "amount",
            "scale",
            "currency",
            "price_id",
            "rated_quantity",
            "reason",
            "source_ref",
        ),
        rows,
    )
    # source_ref carries the exact decimal text of the amount through the staging table.
    bulk.execute(
        session,
        "UPDATE usage_record AS r SET status = s.status, amount = s.amount, scale = s.scale, "
        "currency = s.currency, price_id = s.price_id, rated_quantity = s.rated_quantity, "
        "reason = s.reason, rated_at = %(now)s, updated_at = %(now)s, "
        "body = CASE WHEN s.status = 'rejected' "
        "THEN (r.body - 'ratedProductUsage') || jsonb_build_object('status', 'rejected', "
        "'description', 'rejected: ' || coalesce(s.reason, 'no reason given')) "
        "ELSE r.body || jsonb_build_object('status', s.status, 'ratedProductUsage', "
        "jsonb_build_array(jsonb_strip_nulls(jsonb_build_object('ratingDate', %(date)s::text, "
        "'usageRatingTag', 'usage', 'isBilled', false, 'ratingAmountType', 'total', "
        "'offerTariffType', coalesce(s.price_id, 'usage'), 'taxExcludedRatingAmount', "
        "jsonb_build_object('unit', s.currency, 'value', coalesce(s.source_ref, '0')::numeric), "
        "'productRef', jsonb_build_object('id', r.product_id, '@referredType', 'Product'))))) "
        "END "
        f"FROM {staged} AS s WHERE r.id = s.id AND r.status != 'billed'",
        {"now": now, "date": rating_date},
    )


def mark_billed(session: Session, *, ids: Sequence[str], now: datetime) -> None:
    """Rated records went on a bill: they are never rated again."""
    sqlite = bulk.is_sqlite(session)
    if sqlite:
        body = (
            "json_set(body, '$.status', 'billed', '$.ratedProductUsage[0].isBilled', json('true'))"
        )
    else:
        body = (
            "jsonb_set(body || jsonb_build_object('status', 'billed'), "
            "'{ratedProductUsage,0,isBilled}', 'true'::jsonb, false)"
        )
    when = bulk.timestamp(sqlite, now)
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = list(ids[start : start + _ID_CHUNK])
        session.execute(
            text(
                f"UPDATE usage_record SET status = 'billed', billed_at = :now, updated_at = :now, "
                f"body = {body} WHERE id IN :ids AND status IN ('rated', 'rerated')"
            ).bindparams(_expanding("ids")),
            {"now": when, "ids": chunk},
        )
    after_commit(session, lambda: PAGES.forget(USAGE.name))
    if has_subscribers(session, api=USAGE_API.name):
        notify_hub(session, ids, "StateChange", now)


def _expanding(name: str) -> Any:
    return bindparam(name, expanding=True)
