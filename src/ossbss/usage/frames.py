"""Usage rules as Polars expressions, so a million records are checked, resolved and turned
into TMF635 documents column-wise (the per-record Python of a naive loop is what made ingest
slow). The single-record paths (API, RADIUS) go through the same expressions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from ossbss.usage import domain

UTC_US = pl.Datetime("us", "UTC")
INPUT_SCHEMA: dict[str, Any] = {
    "record_key": pl.String,
    "kind": pl.String,
    "subscriber": pl.String,
    "started_at": UTC_US,
    "duration_seconds": pl.Int64,
    "bytes_up": pl.Int64,
    "bytes_down": pl.Int64,
    "events": pl.Int64,
    "destination": pl.String,
    "source": pl.String,
    "source_ref": pl.String,
}
IDENTITY_SCHEMA: dict[str, Any] = {
    "subscriber": pl.String,
    "product_id": pl.String,
    "billing_account_id": pl.String,
    "offering_id": pl.String,
    "customer_id": pl.String,
    "valid_from": UTC_US,
    "valid_to": UTC_US,
}


def fmt(template: str, *values: pl.Expr) -> pl.Expr:
    """``template`` with each ``{}`` replaced by the next value (null if any value is null).
    Unlike ``pl.format`` it leaves every other brace alone, which JSON needs."""
    parts = template.split("{}")
    if len(parts) != len(values) + 1:
        raise ValueError("one value per {} placeholder")
    pieces: list[pl.Expr] = []
    for text, value in zip(parts, [*values, None], strict=True):
        if text:
            pieces.append(pl.lit(text))
        if value is not None:
            pieces.append(value.cast(pl.String))
    return pl.concat_str(pieces)


def col(name: str) -> pl.Expr:
    return pl.col(name)


def rules(now: datetime) -> list[tuple[str, pl.Expr, pl.Expr]]:
    """(field, broken-when, reason) in the order they are checked: the first that applies is
    the record's problem (domain.problem_at is the same rules for one record; a test compares)."""
    latest = now + domain.CLOCK_SKEW
    max_seconds = int(domain.MAX_DURATION.total_seconds())
    checks: list[tuple[str, pl.Expr, pl.Expr]] = [
        (
            "record_key",
            col("record_key").is_null()
            | (col("record_key") == "")
            | (col("record_key").str.len_chars() > 255),
            pl.lit("record key missing or longer than 255 characters"),
        ),
        (
            "kind",
            col("kind").is_null() | ~col("kind").is_in(sorted(domain.KINDS)),
            fmt("unknown kind '{}'", col("kind").fill_null("")),
        ),
        (
            "subscriber",
            col("subscriber").is_null()
            | (col("subscriber") == "")
            | (col("subscriber").str.len_chars() > 128),
            pl.lit("subscriber missing or longer than 128 characters"),
        ),
        ("started_at", col("started_at").is_null(), pl.lit("start time missing")),
        ("started_at", col("started_at") > pl.lit(latest), pl.lit("start time in the future")),
    ]
    for name in ("duration_seconds", "bytes_up", "bytes_down", "events"):
        checks.append((name, col(name) < 0, pl.lit(f"negative {name}")))
    checks.append(
        (
            "duration_seconds",
            col("duration_seconds") > max_seconds,
            fmt(
                f"absurd duration_seconds ({{}} > {domain.MAX_DURATION.days} days)",
                col("duration_seconds"),
            ),
        )
    )
    for name in ("bytes_up", "bytes_down"):
        checks.append(
            (
                name,
                col(name) > domain.MAX_BYTES,
                pl.lit(f"absurd {name} (more than 10 TB in one record)"),
            )
        )
    checks.append(("events", col("events") > domain.MAX_EVENTS, pl.lit("absurd event count")))
    checks.append(
        (
            "destination",
            col("destination").str.len_chars() > 64,
            pl.lit("destination longer than 64 characters"),
        )
    )
    return checks


def with_problems(frame: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Adds ``problem`` and ``problem_field`` (null when the record is sane). A ``problem``
    already there (a CDR row that did not parse) wins."""
    checks = rules(now)
    reason: Any = pl.when(checks[0][1]).then(checks[0][2])
    field: Any = pl.when(checks[0][1]).then(pl.lit(checks[0][0]))
    for name, broken, why in checks[1:]:
        reason = reason.when(broken.fill_null(False)).then(why)
        field = field.when(broken.fill_null(False)).then(pl.lit(name))
    if "problem" in frame.columns:
        return frame.with_columns(
            problem=pl.coalesce(col("problem"), reason.otherwise(None)),
            problem_field=pl.when(col("problem").is_not_null())
            .then(pl.lit("row"))
            .otherwise(field.otherwise(None)),
        )
    return frame.with_columns(problem=reason.otherwise(None), problem_field=field.otherwise(None))


def resolve(frame: pl.DataFrame, identities: pl.DataFrame) -> pl.DataFrame:
    """Each record with the product/account/offering/customer of the identity valid when it
    started (the latest such identity), or nulls: suspense."""
    indexed = frame.with_row_index("_n")
    matches = (
        indexed.select("_n", "subscriber", "started_at")
        .join(identities, on="subscriber", how="inner")
        .filter(
            (col("valid_from") <= col("started_at"))
            & (col("valid_to").is_null() | (col("started_at") < col("valid_to")))
        )
        .sort("valid_from", descending=True)
        .unique("_n", keep="first")
        .select("_n", "product_id", "billing_account_id", "offering_id", "customer_id")
    )
    return indexed.join(matches, on="_n", how="left").sort("_n").drop("_n")


def json_text(expr: pl.Expr) -> pl.Expr:
    """A string column as JSON literals (escaped, quoted; null -> null), done in Rust."""
    return pl.struct(expr.alias("v")).struct.json_encode().str.slice(5).str.head(-1)


def _characteristic(name: str, value_type: str, value: pl.Expr) -> pl.Expr:
    return fmt(f',{{"name":"{name}","valueType":"{value_type}","value":{{}}}}', value)


def documents(frame: pl.DataFrame) -> pl.Series:
    """The TMF635 body of each resolved record (``status`` and ``customer_id`` columns set)."""
    kind = col("kind")
    description = fmt("{} usage of {}", kind, col("subscriber"))
    suspended = col("status") == domain.RECEIVED
    description = (
        pl.when(suspended)
        .then(fmt("{}, in suspense: {}", description, pl.lit(domain.UNKNOWN_SUBSCRIBER)))
        .otherwise(description)
    )
    empty = pl.lit("")
    characteristics = pl.concat_str(
        [
            fmt(
                '{"name":"recordKey","valueType":"string","value":{}}', json_text(col("record_key"))
            ),
            _characteristic("subscriber", "string", json_text(col("subscriber"))),
            pl.when((kind == "voice") | (col("duration_seconds") != 0))
            .then(_characteristic("durationSeconds", "integer", col("duration_seconds")))
            .otherwise(empty),
            pl.when(kind == "data")
            .then(
                pl.concat_str(
                    [
                        _characteristic("bytesUp", "integer", col("bytes_up")),
                        _characteristic("bytesDown", "integer", col("bytes_down")),
                    ]
                )
            )
            .otherwise(empty),
            pl.when((kind == "sms") | (col("events") != 0))
            .then(_characteristic("events", "integer", col("events")))
            .otherwise(empty),
            pl.when(col("destination").is_not_null() & (col("destination") != ""))
            .then(_characteristic("destination", "string", json_text(col("destination"))))
            .otherwise(empty),
            _characteristic("source", "string", json_text(col("source"))),
            pl.when(col("source_ref").is_not_null())
            .then(_characteristic("sourceRef", "string", json_text(col("source_ref"))))
            .otherwise(empty),
        ]
    )
    related = (
        pl.when(col("customer_id").is_not_null())
        .then(
            fmt(
                ',"relatedParty":[{"id":{},"role":"customer","@referredType":"Customer"}]',
                json_text(col("customer_id")),
            )
        )
        .otherwise(empty)
    )
    kind_text = json_text(kind)
    body = fmt(
        '{"@type":"Usage","usageDate":"{}","usageType":{},"status":"{}","description":{},'
        '"usageSpecification":{"id":{},"name":{},"@referredType":"UsageSpecification"},'
        '"usageCharacteristic":[{}]{}}',
        col("started_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
        kind_text,
        col("status"),
        json_text(description),
        kind_text,
        kind_text,
        characteristics,
        related,
    )
    return frame.select(body.alias("body")).to_series()
