"""Rating a whole frame of usage records with Polars: the model of ``rating`` (ADR 0014),
column-wise, without a Python loop over records.

- the tariff terms are small arrays indexed by the record's tariff number (``gather``, no join);
- the allowance and the tiers read ``used_before``, a running sum of the rated quantity per
  (product, tariff, period) in the order (started_at, record_key): one single-key sort of a
  packed integer (group number, position in time) and a segmented cumulative sum;
- the longest destination prefix: one dictionary lookup per prefix length, longest first;
- the time band: the start instant in the tariff's time zone -> minute of the week, looked up
  in a minute-of-week array per banded tariff;
- amounts in Int128 (bytes x rate x percentage overflows Int64), rounded half-even once.

``rate_frame`` must give exactly what ``rate_one`` gives record by record (a property test and
``bench/rating.py`` hold it to that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from ossbss.catalog import FULL_PERCENT, MINUTES_PER_DAY, Tariff, Zone
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
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
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
    table = _Table(tuple({tariff.price_id: tariff for tariff in tariffs}.values()))
    # Step by step, each step's columns materialised: an eager with_columns does not share
    # common subexpressions, so a term used by several columns is computed once, before.
    records = frame.with_columns(_t=table.number(pl.col("price_id")))
    records = records.with_columns(
        *(_filled(name).alias(f"_{name}") for name in QUANTITIES),
        _kind=table.of("kind", pl.String()),
        _zoned=table.term([bool(t.zones) for t in table.tariffs], pl.Boolean()),
        _first=table.term([t.increment.first for t in table.tariffs], pl.Int64()),
        _next=table.term([t.increment.next for t in table.tariffs], pl.Int64()),
        _included=table.of("included", pl.Int64()),
        _number=_destination(),
    )
    records = records.with_columns(_quantity=_quantity(table), _zone_number=_zone(records, table))
    records = records.with_columns(
        _zone=table.zone_term([zone.name for _, zone in table.zones], pl.String()),
        _zone_rate=table.zone_term([zone.rate for _, zone in table.zones], _I128()),
    )
    records = records.with_columns(_rejection())
    records = records.with_columns(reason=_reasons(records))
    records = records.with_columns(_used=_used_before(records, used_before))
    records = records.with_columns(_band_number=_band_number(table), **_allowance())
    records = records.with_columns(_exact=_exact(table), _percent=_percent(table))
    records = records.with_columns(
        _numerator=pl.col("_exact") * pl.col("_percent").cast(_I128),
        _denominator=(table.of("denominator", pl.Int64()) * FULL_PERCENT).cast(_I128),
    )
    records = records.with_columns(
        _quotient=pl.col("_numerator") // pl.col("_denominator"),
        _twice=2 * (pl.col("_numerator") % pl.col("_denominator")),
    )
    records = records.with_columns(_amount(table))
    columns = [*frame.columns, *(name for name in OUTPUT if name not in frame.columns)]
    return records.select(columns)


# --- the tariff tables -----------------------------------------------------------------------
# --- the tariff terms as arrays ----------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """The tariffs as arrays indexed by a tariff number (its position)."""

    tariffs: tuple[Tariff, ...]

    def number(self, price_id: pl.Expr) -> pl.Expr:
        numbers = {tariff.price_id: index for index, tariff in enumerate(self.tariffs)}
        return price_id.replace_strict(numbers, default=None, return_dtype=pl.UInt32)

    def term(self, values: Sequence[Any], dtype: pl.DataType, index: str = "_t") -> pl.Expr:
        """``values[record's tariff number]`` (null for an unknown tariff)."""
        return pl.lit(pl.Series(values, dtype=dtype)).gather(pl.col(index))

    def of(self, name: str, dtype: pl.DataType) -> pl.Expr:
        return self.term([getattr(t, name) for t in self.tariffs], dtype)

    @property
    def zones(self) -> list[tuple[int, Zone]]:
        """All zones of all tariffs, numbered by position: (tariff number, zone)."""
        return [(index, zone) for index, t in enumerate(self.tariffs) for zone in t.zones]

    def zone_term(self, values: Sequence[Any], dtype: pl.DataType) -> pl.Expr:
        return self.term(values, dtype, index="_zone_number")

    @property
    def tier_count(self) -> int:
        return max((len(tariff.tiers) for tariff in self.tariffs), default=1) or 1

    def tiers(self) -> list[tuple[pl.Expr, pl.Expr, pl.Expr]]:
        """(start, end, rate) of tier k for each record; a plain price is one open tier, a
        missing tier is empty."""
        padded = []
        for tariff in self.tariffs:
            tiers = [(t.start, OPEN_END if t.end is None else t.end, t.rate) for t in tariff.tiers]
            tiers = tiers or [(0, OPEN_END, tariff.rate or 0)]
            padded.append(tiers + [(0, 0, 0)] * (self.tier_count - len(tiers)))
        return [
            (
                self.term([tiers[k][0] for tiers in padded], pl.Int64()),
                self.term([tiers[k][1] for tiers in padded], pl.Int64()),
                self.term([tiers[k][2] for tiers in padded], _I128()),
            )
            for k in range(self.tier_count)
        ]


# --- quantity, zone, rejection -----------------------------------------------------------------


def _filled(name: str) -> pl.Expr:
    """A missing quantity counts as 0 (the input columns are returned unchanged)."""
    return pl.col(name).fill_null(0).cast(pl.Int64)


def _quantity(table: _Table) -> pl.Expr:
    """Raw quantity of the tariff's kind (a record of another kind is rejected anyway),
    rounded up to the billing increments. Weights 0/1 per tariff: arithmetic, no branches."""

    def weight(kind: str) -> pl.Expr:
        return table.term([int(t.kind == kind) for t in table.tariffs], pl.Int64())

    raw = (
        weight("data") * (pl.col("_bytes_up") + pl.col("_bytes_down"))
        + weight("voice") * pl.col("_duration_seconds")
        + weight("sms") * pl.col("_events")
    )
    first, step = pl.col("_first"), pl.col("_next")
    return (
        pl.when(raw <= 0)
        .then(0)
        .when(raw <= first)
        .then(first)
        .otherwise(first + (raw - first + step - 1) // step * step)
    )


def _destination() -> pl.Expr:
    return (
        pl.col("destination").cast(pl.String).fill_null("").str.strip_chars().str.strip_prefix("+")
    )


def _zone(records: pl.DataFrame, table: _Table) -> pl.Series:
    """The number (in ``table.zones``) of the zone whose prefix is the longest start of the
    destination, across all zones of the record's tariff; looked up for zoned tariffs' records
    only, one dictionary lookup per prefix length, longest first."""
    rows = records["_zoned"].fill_null(False).arg_true()
    none = len(table.zones)  # a sentinel: no zone
    per_tariff = []
    for index in range(len(table.tariffs)):
        owner = {
            prefix: number
            for number, (owner_index, zone) in enumerate(table.zones)
            if owner_index == index
            for prefix in zone.prefixes
        }
        lengths = sorted({len(prefix) for prefix in owner}, reverse=True)
        lookups = [
            pl.col("_number")
            .str.slice(0, length)
            .replace_strict(
                {p: n for p, n in owner.items() if len(p) == length},
                default=None,
                return_dtype=pl.UInt32,
            )
            for length in lengths
        ]
        if lookups:
            per_tariff.append(pl.when(pl.col("_t") == index).then(pl.coalesce(lookups)))
    full = pl.repeat(none, records.height, dtype=pl.UInt32, eager=True)
    if per_tariff and rows.len():
        found = records.select("_t", "_number")[rows].select(pl.coalesce(per_tariff))
        full = full.scatter(rows, found.to_series().fill_null(none))
    return full.replace(none, None)


def _early() -> pl.Expr:
    """Rejected before the zone is looked at (as in ``rating.rejection``)."""
    negative = pl.min_horizontal(f"_{name}" for name in QUANTITIES) < 0
    return pl.col("_t").is_null() | (pl.col("kind") != pl.col("_kind")) | negative


def _rejection() -> list[pl.Expr]:
    early = _early()
    rated = ~early & ~(pl.col("_zoned") & pl.col("_zone_rate").is_null())
    return [
        pl.when(rated).then(pl.lit(RATED)).otherwise(pl.lit(REJECTED)).alias("status"),
        # A record rejected before its zone was looked at names no zone (as rate_one).
        pl.when(early).then(None).otherwise(pl.col("_zone")).alias("zone"),
        pl.when(rated).then(pl.col("_quantity")).otherwise(0).alias("rated_quantity"),
    ]


def _reasons(records: pl.DataFrame) -> pl.Series:
    """The same reasons, in the same order, as ``rating.rejection``; written for the rejected
    records only (formatting a string for every record would cost more than rating it)."""
    rows = (records["status"] == REJECTED).arg_true()
    kind, tariff_kind = pl.col("kind"), pl.col("_kind")
    negative = pl.min_horizontal(f"_{name}" for name in QUANTITIES) < 0
    reason = (
        pl.when(pl.col("_t").is_null())
        .then(pl.format("no tariff {}", pl.col("price_id")))
        .when(kind != tariff_kind)
        .then(pl.format("a {} record cannot be rated by a {} tariff", kind, tariff_kind))
        .when(negative)
        .then(pl.lit("negative quantity"))
        .when(pl.col("_zone").is_null())
        .then(pl.format("no price for zone: destination '{}' matches none", pl.col("_number")))
        .otherwise(pl.format("no price for zone {}", pl.col("_zone")))
    )
    written = records[rows].select(reason.alias("reason")).to_series()
    empty = pl.repeat(None, records.height, dtype=pl.String, eager=True)
    return empty.scatter(rows, written) if rows.len() else empty


# --- allowance ---------------------------------------------------------------------------------


def _used_before(records: pl.DataFrame, start: pl.DataFrame | None) -> pl.Series:
    """The rated quantity before each record in its (product, tariff, period), in the order
    (started_at, record_key). Multi-column sorts are slow, so: the time order (one integer
    sort, ties re-sorted by record_key), then a stable sort on a 64-bit hash of the group
    keys, which keeps the time order within a group; a cumulative sum, minus each group's
    start. A second, independent hash detects a collision of the first."""
    if records.height == 0:
        return pl.Series("_used", [], pl.Int64)
    by_time = _time_order(records)
    keys = pl.struct(*KEYS)
    hashes = records.select(_h1=keys.hash(1), _h2=keys.hash(2))[by_time]
    stable = hashes.select(pl.arg_sort_by("_h1", maintain_order=True)).to_series()
    order = by_time.gather(stable)
    grouped = hashes[stable].with_columns(_quantity=records["rated_quantity"].gather(order))
    new_group = pl.col("_h1").ne_missing(pl.col("_h1").shift(1))
    collision = ~new_group & pl.col("_h2").ne_missing(pl.col("_h2").shift(1))
    if grouped.select(collision.any()).item():
        raise RuntimeError("hash collision between rating groups; rate this batch in parts")
    total = pl.col("_quantity").cum_sum()
    before = grouped.select(
        total
        - pl.col("_quantity")
        - pl.when(new_group).then(total - pl.col("_quantity")).forward_fill()
    ).to_series()
    used = pl.zeros(records.height, pl.Int64, eager=True).scatter(order, before)
    if start is not None:
        # Summed per key first: a repeated key must not repeat records.
        per_key = start.group_by(KEYS).agg(pl.col("used_before").sum())
        earlier = records.select(KEYS).join(
            per_key, on=list(KEYS), how="left", maintain_order="left"
        )
        used = used + earlier["used_before"].fill_null(0)
    return used.alias("_used")


def _time_order(records: pl.DataFrame) -> pl.Series:
    """The rows in the order (started_at, record_key), as a permutation."""
    by_time = records["started_at"].arg_sort()
    instants = records["started_at"].gather(by_time)
    tied = instants.to_frame("at").select(
        (pl.col("at") == pl.col("at").shift(1)).fill_null(False)
        | (pl.col("at") == pl.col("at").shift(-1)).fill_null(False)
    )
    slots = tied.to_series().arg_true()
    if slots.len():
        # Records starting at the same instant: their slots, re-sorted by record_key.
        rows = by_time.gather(slots)
        subset = records.select("started_at", "record_key")[rows].with_columns(_row=rows)
        by_time = by_time.scatter(slots, subset.sort("started_at", "record_key")["_row"])
    return by_time


# --- band, amount ------------------------------------------------------------------------------


def _band_number(table: _Table) -> pl.Expr:
    """Index into the bands of all tariffs, of the band the record starts in (null: none)."""
    banded = [index for index, tariff in enumerate(table.tariffs) if tariff.bands]
    if not banded:
        return pl.lit(None, pl.UInt32)
    per_zone = []
    for zone in sorted({table.tariffs[index].time_zone for index in banded}):
        local = pl.col("started_at").dt.convert_time_zone(zone)
        minute = (
            (local.dt.weekday().cast(pl.Int64) - 1) * MINUTES_PER_DAY
            + local.dt.hour().cast(pl.Int64) * 60
            + local.dt.minute().cast(pl.Int64)
        )
        numbers = [i for i in banded if table.tariffs[i].time_zone == zone]
        per_zone.append(pl.when(pl.col("_t").is_in(numbers)).then(minute))
    # One week of minutes per banded tariff: the band number at each minute.
    slot = [banded.index(i) if i in banded else None for i in range(len(table.tariffs))]
    week: list[int | None] = []
    for index in banded:
        minutes: list[int | None] = [None] * MINUTES_PER_WEEK
        for band in table.tariffs[index].bands:
            number = _band_names(table).index((index, band.name))
            for day in band.weekdays:
                start = day * MINUTES_PER_DAY
                span = range(start + band.start_minute, start + band.end_minute)
                minutes[span.start : span.stop] = [number] * len(span)
        week += minutes
    offset = table.term(slot, pl.Int64()) * MINUTES_PER_WEEK + pl.coalesce(per_zone)
    return pl.lit(pl.Series(week, dtype=pl.UInt32)).gather(offset)


def _band_names(table: _Table) -> list[tuple[int, str]]:
    return [(i, band.name) for i, tariff in enumerate(table.tariffs) for band in tariff.bands]


def _allowance() -> dict[str, pl.Expr]:
    """What of the included quantity the record uses, and the part of the chargeable axis
    (counted from 0 where the allowance ends) it covers: [_start, _end)."""
    quantity, used, included = pl.col("rated_quantity"), pl.col("_used"), pl.col("_included")
    return {
        "included_used": pl.min_horizontal(quantity, pl.max_horizontal(included - used, 0)),
        "_start": pl.max_horizontal(used - included, 0),
        "_end": pl.max_horizontal(used + quantity - included, 0),
    }


def _exact(table: _Table) -> pl.Expr:
    """The amount before the band and the rounding, in 1/denominator units (Int128)."""
    start, end = pl.col("_start"), pl.col("_end")
    tiers = [
        _overlap(start, end, low, high).cast(_I128) * rate for low, high, rate in table.tiers()
    ]
    return (
        pl.when(pl.col("_zoned"))
        .then((end - start).cast(_I128) * pl.col("_zone_rate"))
        .otherwise(pl.sum_horizontal(tiers))
    )


def _percent(table: _Table) -> pl.Expr:
    percents = [band.percent for tariff in table.tariffs for band in tariff.bands]
    lookup = pl.lit(pl.Series(percents, dtype=pl.Int64)).gather(pl.col("_band_number"))
    return lookup.fill_null(FULL_PERCENT)


def _amount(table: _Table) -> list[pl.Expr]:
    rated = pl.col("status") == RATED
    names = [band.name for tariff in table.tariffs for band in tariff.bands]
    included_used = pl.col("included_used")
    chargeable = pl.col("rated_quantity") - included_used
    band = pl.lit(pl.Series(names, dtype=pl.String)).gather(pl.col("_band_number"))
    return [
        pl.when(rated).then(_half_even()).otherwise(0).alias("amount"),
        table.of("scale", pl.Int64()).alias("scale"),
        table.of("currency", pl.String()).alias("currency"),
        pl.when(rated).then(included_used).otherwise(0).alias("included_used"),
        pl.when(rated).then(chargeable).otherwise(0).alias("chargeable_quantity"),
        pl.when(rated).then(band).alias("band"),
    ]


def _overlap(start: pl.Expr, end: pl.Expr, low: pl.Expr, high: pl.Expr) -> pl.Expr:
    return pl.max_horizontal(pl.min_horizontal(end, high) - pl.max_horizontal(start, low), 0)


def _half_even() -> pl.Expr:
    """_numerator / _denominator rounded half to even, from _quotient and twice the rest."""
    quotient, twice, denominator = pl.col("_quotient"), pl.col("_twice"), pl.col("_denominator")
    up = (twice > denominator) | ((twice == denominator) & (quotient % 2 == 1))
    return (quotient + up.cast(_I128)).cast(pl.Int64)
