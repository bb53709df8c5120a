"""Rating a whole frame of usage records with Polars: the model of ``rating`` (ADR 0014),
column-wise, without a Python loop over records.

- the tariff terms become small tables joined to the records (price, tiers as columns);
- the allowance and the tiers read ``used_before``: a cumulative sum of the rated quantity per
  (product, tariff, period), records ordered by (started_at, record_key);
- the longest destination prefix: one join per prefix length, the longest match wins;
- the time band: the start instant in the tariff's time zone -> minute of the week, joined
  to a minute-of-week table of each banded tariff;
- amounts in Int128 (bytes x rate x percentage overflows Int64), rounded half-even once.

``rate_frame`` must give exactly what ``rate_one`` gives record by record (a property test and
``bench/rating.py --check`` hold it to that).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import polars as pl

from ossbss.catalog import FULL_PERCENT, MINUTES_PER_DAY, Tariff
from ossbss.charging.rating import RATED, REJECTED

KEYS = ("product_id", "price_id", "period_start")
QUANTITIES = ("duration_seconds", "bytes_up", "bytes_down", "events")
OUTPUT = (
    "status",
    "amount",
    "scale",
    "currency",
    "rated_quantity",
    "included_used",
    "chargeable_quantity",
    "band",
    "zone",
    "reason",
)
# Larger than any quantity a period can reach: the end of an open tier.
OPEN_END = 2**62
_I128 = pl.Int128


def rate_frame(
    frame: pl.DataFrame,
    tariffs: Sequence[Tariff],
    *,
    used_before: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Rate ``frame`` (columns: id, record_key, kind, product_id, price_id, started_at,
    duration_seconds, bytes_up, bytes_down, events, destination, period_start) with ``tariffs``.

    ``used_before`` (product_id, price_id, period_start, used_before) is what earlier runs
    already rated in those periods. Returns the input columns, in the input order, plus
    status, amount, scale, currency, rated_quantity, included_used, chargeable_quantity, band,
    zone and reason. A record whose price_id names no tariff is rejected, never dropped.
    """
    by_id = {tariff.price_id: tariff for tariff in tariffs}
    records = frame.lazy().with_row_index("_row")
    records = records.join(_price_table(by_id), on="price_id", how="left")
    records = _with_quantity(records)
    records = _with_zone(records, by_id)
    records = _with_rejection(records)
    records = _with_used_before(records, used_before)
    records = _with_band(records, by_id)
    records = _with_amount(records, _tier_count(by_id))
    columns = [*frame.columns, *(name for name in OUTPUT if name not in frame.columns)]
    return records.sort("_row").select(columns).collect()


def assign_tariffs(
    frame: pl.DataFrame, tariffs_by_offering: Mapping[str, Sequence[Tariff]]
) -> pl.DataFrame:
    """Add ``price_id``: each record's offering's tariff of its kind valid when it started
    (``select_tariff`` column-wise: if several are valid, the one that started last)."""
    rows = [
        (offering, tariff.kind, tariff.price_id, tariff.valid_from, tariff.valid_to)
        for offering, tariffs in tariffs_by_offering.items()
        for tariff in tariffs
    ]
    schema: dict[str, pl.DataType] = {
        "offering_id": pl.String(),
        "kind": pl.String(),
        "price_id": pl.String(),
        "_from": pl.Datetime("us", "UTC"),
        "_to": pl.Datetime("us", "UTC"),
    }
    table = pl.LazyFrame(rows, schema=schema, orient="row")
    candidates = (
        frame.lazy()
        .with_row_index("_row")
        .select("_row", "offering_id", "kind", "started_at")
        .join(table, on=["offering_id", "kind"], how="inner")
        .filter(
            (pl.col("_from").is_null() | (pl.col("_from") <= pl.col("started_at")))
            & (pl.col("_to").is_null() | (pl.col("started_at") < pl.col("_to")))
        )
        .sort("_row", pl.col("_from").fill_null(datetime.min.replace(tzinfo=UTC)))
        .group_by("_row")
        .agg(pl.col("price_id").last())
    )
    return (
        frame.lazy()
        .with_row_index("_row")
        .join(candidates, on="_row", how="left")
        .sort("_row")
        .drop("_row")
        .collect()
    )


# --- the tariff tables -----------------------------------------------------------------------


def _tier_count(by_id: Mapping[str, Tariff]) -> int:
    return max((len(tariff.tiers) for tariff in by_id.values()), default=1) or 1


def _price_table(by_id: Mapping[str, Tariff]) -> pl.LazyFrame:
    """One row per tariff; tiers as columns _from{k}, _to{k}, _rate{k} (a plain price is one
    open tier, a missing tier is empty)."""
    count = _tier_count(by_id)
    rows = []
    for tariff in by_id.values():
        tiers = [(t.start, OPEN_END if t.end is None else t.end, t.rate) for t in tariff.tiers]
        if not tiers:
            tiers = [(0, OPEN_END, tariff.rate or 0)]
        tiers += [(0, 0, 0)] * (count - len(tiers))
        row = {
            "price_id": tariff.price_id,
            "_kind": tariff.kind,
            "_currency": tariff.currency,
            "_scale": tariff.scale,
            "_denominator": tariff.denominator,
            "_included": tariff.included,
            "_first": tariff.increment.first,
            "_next": tariff.increment.next,
            "_zoned": bool(tariff.zones),
        }
        for index, (start, end, rate) in enumerate(tiers):
            row |= {f"_from{index}": start, f"_to{index}": end, f"_rate{index}": rate}
        rows.append(row)
    schema: dict[str, pl.DataType] = {
        "price_id": pl.String(),
        "_kind": pl.String(),
        "_currency": pl.String(),
        "_scale": pl.Int64(),
        "_denominator": pl.Int64(),
        "_included": pl.Int64(),
        "_first": pl.Int64(),
        "_next": pl.Int64(),
        "_zoned": pl.Boolean(),
    }
    for index in range(count):
        schema |= {f"_from{index}": pl.Int64(), f"_to{index}": pl.Int64(), f"_rate{index}": _I128()}
    return pl.LazyFrame(rows, schema=schema)


# --- quantity, zone, rejection -----------------------------------------------------------------


def _with_quantity(records: pl.LazyFrame) -> pl.LazyFrame:
    """Raw quantity of the record's kind, then rounded up to the billing increments."""
    # A missing quantity counts as 0 (the input columns themselves are returned unchanged).
    filled = records.with_columns(
        pl.col(name).fill_null(0).cast(pl.Int64).alias(f"_{name}") for name in QUANTITIES
    )
    kind = pl.col("kind")
    raw = (
        pl.when(kind == "data")
        .then(pl.col("_bytes_up") + pl.col("_bytes_down"))
        .when(kind == "voice")
        .then(pl.col("_duration_seconds"))
        .otherwise(pl.col("_events"))
    )
    first, step = pl.col("_first"), pl.col("_next")
    beyond = raw - first
    rounded = (
        pl.when(raw <= 0)
        .then(0)
        .when(raw <= first)
        .then(first)
        .otherwise(first + (beyond + step - 1) // step * step)
    )
    return filled.with_columns(_quantity=rounded)


def _with_zone(records: pl.LazyFrame, by_id: Mapping[str, Tariff]) -> pl.LazyFrame:
    """The zone whose prefix is the longest start of the destination, across all zones."""
    prefixes = [
        (tariff.price_id, prefix, zone.name)
        for tariff in by_id.values()
        for zone in tariff.zones
        for prefix in zone.prefixes
    ]
    number = pl.col("destination").fill_null("").str.strip_chars().str.strip_prefix("+")
    records = records.with_columns(_number=number.cast(pl.String))
    if not prefixes:
        return records.with_columns(_zone=pl.lit(None, pl.String), _zone_rate=pl.lit(None, _I128))
    table = pl.DataFrame(prefixes, schema=["price_id", "_prefix", "_zone"], orient="row")
    lengths = sorted({len(prefix) for _, prefix, _ in prefixes}, reverse=True)
    found = []
    for length in lengths:
        of_length = table.filter(pl.col("_prefix").str.len_chars() == length).lazy()
        name = f"_zone{length}"
        records = records.with_columns(_prefix=pl.col("_number").str.slice(0, length)).join(
            of_length.rename({"_zone": name}), on=["price_id", "_prefix"], how="left"
        )
        found.append(pl.col(name))
    records = records.with_columns(_zone=pl.coalesce(found)).drop(
        "_prefix", *(f"_zone{length}" for length in lengths)
    )
    rates = pl.LazyFrame(
        [
            (tariff.price_id, zone.name, zone.rate)
            for tariff in by_id.values()
            for zone in tariff.zones
        ],
        schema={"price_id": pl.String, "_zone": pl.String, "_zone_rate": _I128},
        orient="row",
    )
    return records.join(rates, on=["price_id", "_zone"], how="left")


def _with_rejection(records: pl.LazyFrame) -> pl.LazyFrame:
    """The same reasons, in the same order, as ``rating.rejection``."""
    kind, tariff_kind = pl.col("kind"), pl.col("_kind")
    zoned = pl.col("_zoned")
    negative = pl.min_horizontal(f"_{name}" for name in QUANTITIES) < 0
    reason = (
        pl.when(tariff_kind.is_null())
        .then(pl.format("no tariff {}", pl.col("price_id")))
        .when(kind != tariff_kind)
        .then(pl.format("a {} record cannot be rated by a {} tariff", kind, tariff_kind))
        .when(negative)
        .then(pl.lit("negative quantity"))
        .when(zoned & pl.col("_zone").is_null())
        .then(pl.format("no price for zone: destination '{}' matches none", pl.col("_number")))
        .when(zoned & pl.col("_zone_rate").is_null())
        .then(pl.format("no price for zone {}", pl.col("_zone")))
    )
    rated = reason.is_null()
    # A record rejected before its zone was looked at names no zone (as rate_one).
    early = tariff_kind.is_null() | (kind != tariff_kind) | negative
    return records.with_columns(
        reason=reason,
        status=pl.when(rated).then(pl.lit(RATED)).otherwise(pl.lit(REJECTED)),
        zone=pl.when(early).then(None).otherwise(pl.col("_zone")),
        rated_quantity=pl.when(rated).then(pl.col("_quantity")).otherwise(0),
    )


# --- allowance, band, amount -------------------------------------------------------------------


def _with_used_before(records: pl.LazyFrame, start: pl.DataFrame | None) -> pl.LazyFrame:
    """The rated quantity before each record in its (product, tariff, period)."""
    if start is not None:
        earlier = start.lazy().select(*KEYS, pl.col("used_before").alias("_start"))
        records = records.join(earlier, on=list(KEYS), how="left", maintain_order="left")
    else:
        records = records.with_columns(_start=pl.lit(0, pl.Int64))
    records = records.sort([*KEYS, "started_at", "record_key"])
    quantity = pl.col("rated_quantity")
    before = pl.col("_start").fill_null(0) + quantity.cum_sum().over(KEYS) - quantity
    return records.with_columns(_used=before)


def _with_band(records: pl.LazyFrame, by_id: Mapping[str, Tariff]) -> pl.LazyFrame:
    """The band of the start instant's local minute of the week in the tariff's time zone."""
    banded = [tariff for tariff in by_id.values() if tariff.bands]
    if not banded:
        return records.with_columns(band=pl.lit(None, pl.String), _percent=FULL_PERCENT)
    per_zone = []
    for zone in sorted({tariff.time_zone for tariff in banded}):
        local = pl.col("started_at").dt.convert_time_zone(zone)
        minute = (
            (local.dt.weekday().cast(pl.Int64) - 1) * MINUTES_PER_DAY
            + local.dt.hour().cast(pl.Int64) * 60
            + local.dt.minute().cast(pl.Int64)
        )
        in_zone = pl.col("price_id").is_in([t.price_id for t in banded if t.time_zone == zone])
        per_zone.append(pl.when(in_zone).then(minute))
    records = records.with_columns(_minute=pl.coalesce(per_zone))
    return records.join(_band_table(banded), on=["price_id", "_minute"], how="left").with_columns(
        pl.col("_percent").fill_null(FULL_PERCENT)
    )


def _band_table(banded: Sequence[Tariff]) -> pl.LazyFrame:
    price_ids, minutes, names, percents = [], [], [], []
    for tariff in banded:
        for band in tariff.bands:
            for day in sorted(band.weekdays):
                span = range(
                    day * MINUTES_PER_DAY + band.start_minute,
                    day * MINUTES_PER_DAY + band.end_minute,
                )
                price_ids += [tariff.price_id] * len(span)
                minutes += list(span)
                names += [band.name] * len(span)
                percents += [band.percent] * len(span)
    return pl.LazyFrame(
        {"price_id": price_ids, "_minute": minutes, "band": names, "_percent": percents},
        schema={
            "price_id": pl.String,
            "_minute": pl.Int64,
            "band": pl.String,
            "_percent": pl.Int64,
        },
    )


def _with_amount(records: pl.LazyFrame, tier_count: int) -> pl.LazyFrame:
    quantity, used, included = pl.col("rated_quantity"), pl.col("_used"), pl.col("_included")
    rated = pl.col("status") == RATED
    included_used = pl.min_horizontal(quantity, pl.max_horizontal(included - used, 0))
    start = pl.max_horizontal(used - included, 0)
    end = pl.max_horizontal(used + quantity - included, 0)
    tiers = [
        pl.max_horizontal(
            pl.min_horizontal(end, pl.col(f"_to{k}"))
            - pl.max_horizontal(start, pl.col(f"_from{k}")),
            0,
        ).cast(_I128)
        * pl.col(f"_rate{k}")
        for k in range(tier_count)
    ]
    exact = (
        pl.when(pl.col("_zoned"))
        .then((end - start).cast(_I128) * pl.col("_zone_rate"))
        .otherwise(pl.sum_horizontal(tiers))
    )
    numerator = exact * pl.col("_percent").cast(_I128)
    denominator = (pl.col("_denominator") * FULL_PERCENT).cast(_I128)
    return records.with_columns(
        amount=pl.when(rated).then(_half_even(numerator, denominator)).otherwise(0),
        scale=pl.col("_scale"),
        currency=pl.col("_currency"),
        included_used=pl.when(rated).then(included_used).otherwise(0),
        chargeable_quantity=pl.when(rated).then(quantity - included_used).otherwise(0),
        band=pl.when(rated).then(pl.col("band")),
    )


def _overlap(start: pl.Expr, end: pl.Expr, low: pl.Expr, high: pl.Expr) -> pl.Expr:
    return pl.max_horizontal(pl.min_horizontal(end, high) - pl.max_horizontal(start, low), 0)


def _half_even(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    quotient = numerator // denominator
    twice = 2 * (numerator - quotient * denominator)
    up = (twice > denominator) | ((twice == denominator) & (quotient % 2 == 1))
    return (quotient + up.cast(_I128)).cast(pl.Int64)
