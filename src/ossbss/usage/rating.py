"""What the rating service reads and writes: records to rate as a Polars frame, the rating
written back in bulk (columns and TMF635 body in one statement), billing marks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from ossbss.kernel.db import after_commit
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import Period, format_datetime
from ossbss.tmf import PAGES, has_subscribers
from ossbss.usage import bulk, domain
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
    billed records never. Read through the driver into Polars (a million rows would spend
    seconds in per-row result processing otherwise): timestamps travel as text and are
    parsed column-wise."""
    statuses = [domain.GUIDED, *((domain.RATED, domain.RERATED) if rerate else ())]
    sqlite = bulk.is_sqlite(session)
    names = list(TO_RATE_SCHEMA)
    text_schema = {**TO_RATE_SCHEMA, "started_at": pl.String}
    if sqlite:
        selected = ", ".join(names)
        marks = ", ".join("?" for _ in statuses)
        sql = (
            f"SELECT {selected} FROM usage_record WHERE status IN ({marks}) "
            "AND started_at >= ?" + (" AND started_at < ?" if period.end else "") + " ORDER BY pk"
        )
        params = [*statuses, bulk.timestamp(True, period.start)]
        if period.end:
            params.append(bulk.timestamp(True, period.end))
        cursor = bulk.driver(session).cursor()
        try:
            cursor.execute(sql, params)
            frame = pl.DataFrame(cursor.fetchall(), schema=text_schema, orient="row")
        finally:
            cursor.close()
    else:
        selected = ", ".join(
            "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
            if name == "started_at"
            else name
            for name in names
        )
        listed = ", ".join(f"'{status}'" for status in statuses)  # our constants, not input
        bounds = [period.start.isoformat()]
        where = f"status IN ({listed}) AND started_at >= '{bounds[0]}'::timestamptz"
        if period.end:
            where += f" AND started_at < '{period.end.isoformat()}'::timestamptz"
        sql = f"COPY (SELECT {selected} FROM usage_record WHERE {where} ORDER BY pk) TO STDOUT"
        buffer = bytearray()
        with bulk.driver(session).cursor() as cursor, cursor.copy(sql + " (FORMAT csv)") as copy:
            for block in copy:
                buffer += block
        frame = pl.read_csv(bytes(buffer), has_header=False, new_columns=names, schema=text_schema)
    return frame.with_columns(
        pl.col("started_at")
        .str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us")
        .dt.replace_time_zone("UTC")
    )


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
        value=decimal_text(pl.col("amount"), pl.col("scale")),
    )
    sqlite = bulk.is_sqlite(session)
    when = bulk.timestamp(sqlite, now)
    rating_date = format_datetime(now)
    columns = ("id", "status", "amount", "scale", "currency", "price_id", "rated_quantity")
    frame = rated.select(*columns, "reason", "value")
    for start in range(0, frame.height, _CHUNK):
        chunk = frame.slice(start, _CHUNK)
        if sqlite:
            _update_sqlite(session, chunk.rows(), when, rating_date)
        else:
            _update_postgresql(session, chunk, now, rating_date)
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
    session: Session, chunk: pl.DataFrame, now: datetime, rating_date: str
) -> None:
    staged = bulk.stage_frame(session, "usage_record", chunk.rename({"value": "source_ref"}))
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


def decimal_text(amount: pl.Expr, scale: pl.Expr) -> pl.Expr:
    """Integer amounts at ``scale`` digits as exact decimal text, column-wise:
    12345 at 4 -> "1.2345" (the document's JSON number, never through a float)."""
    unit = pl.lit(10, dtype=pl.Int64).pow(scale)
    whole = (amount.abs() // unit).cast(pl.String)
    fraction = (amount.abs() % unit).cast(pl.String).str.zfill(scale)
    sign = pl.when(amount < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return sign + whole + pl.when(scale > 0).then(pl.lit(".") + fraction).otherwise(pl.lit(""))


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
