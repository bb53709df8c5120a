"""Batch rating: N random usage records (data, voice, sms) rated by ``rate_frame``.

The ceiling, measured in the same run over the same records: a minimal Polars
join-and-multiply (join each record to its price, quantity x rate). The ratio says what the
model (increments, allowance and tiers over a running sum, zones, bands, exact rounding) costs
on top of the least any batch rater must do. Then the per-record rater (``rate_one``, in the
model's order per product, tariff and period) must give identical results on ``--check``
records (default: all of them; the Python loop takes a while).

    .venv/bin/python bench/rating.py                   # 1,000,000 records, all checked
    .venv/bin/python bench/rating.py --records 200000 --check 20000
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import polars as pl

from ossbss.catalog import Tariff, parse_tariff
from ossbss.charging.batch import KEYS, rate_frame
from ossbss.charging.rating import UsageRecord, rate_sequence

PERIOD = datetime(2026, 3, 1, tzinfo=UTC)
MONTH_SECONDS = 31 * 24 * 3600


def eur(value: str) -> dict[str, Any]:
    return {"unit": "EUR", "value": float(value)}


def tariffs() -> list[Tariff]:
    """The demo's prices, with the extension terms a real tariff would carry."""
    data = {
        "priceType": "usage",
        "unitOfMeasure": {"amount": 1, "units": "MB"},
        "includedQuantity": {"amount": 5 * 1024, "units": "MB"},
        "tier": [
            {"fromQuantity": 0, "toQuantity": 10240, "price": eur("0.002")},
            {"fromQuantity": 10240, "price": eur("0.001")},
        ],
        "billingIncrement": {"first": 1024, "next": 1024},
    }
    voice = {
        "priceType": "usage",
        "unitOfMeasure": {"amount": 1, "units": "min"},
        "includedQuantity": {"amount": 100, "units": "min"},
        "billingIncrement": {"first": 60, "next": 60},
        "timeZone": "Europe/Paris",
        "timeBand": [
            {
                "name": "evening",
                "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                "startTime": "20:00",
                "endTime": "24:00",
                "percentage": 50,
            },
            {
                "name": "weekend",
                "weekdays": ["sat", "sun"],
                "startTime": "00:00",
                "endTime": "24:00",
                "percentage": 25,
            },
        ],
        "destinationZone": [
            {"name": "national", "prefixes": ["33"], "price": eur("0.05")},
            {"name": "national mobile", "prefixes": ["336", "337"], "price": eur("0.08")},
            {"name": "UK", "prefixes": ["44"], "price": eur("0.15")},
            {"name": "UK mobile", "prefixes": ["447"], "price": eur("0.25")},
            {"name": "US", "prefixes": ["1"], "price": eur("0.12")},
            {"name": "satellite", "prefixes": ["870"]},
        ],
    }
    sms = {
        "priceType": "usage",
        "unitOfMeasure": {"amount": 1, "units": "sms"},
        "includedQuantity": {"amount": 50, "units": "sms"},
        "price": eur("0.09"),
    }
    return [parse_tariff("data", data), parse_tariff("voice", voice), parse_tariff("sms", sms)]


def records(count: int, products: int) -> pl.DataFrame:
    """Deterministic pseudo-random records (hashes of the row number: no numpy needed)."""
    row = pl.int_range(count, dtype=pl.UInt64)

    def draw(seed: int, modulo: int) -> pl.Expr:
        return (row.hash(seed) % modulo).cast(pl.Int64)

    kind = draw(1, 10)
    kinds = pl.when(kind < 5).then(pl.lit("data")).when(kind < 9).then(pl.lit("voice"))
    prefixes = dict(enumerate(["33", "336", "337", "44", "447", "1", "870", "49"]))
    return (
        pl.DataFrame({"id": pl.int_range(count, eager=True)})
        .with_columns(
            record_key=pl.format("r{}", pl.col("id")),
            kind=kinds.otherwise(pl.lit("sms")),
            product_id=pl.format("p{}", draw(2, products)),
            started_at=pl.lit(PERIOD) + pl.duration(seconds=draw(3, MONTH_SECONDS)),
            duration_seconds=draw(4, 1200) - 5,  # a few negative: rejected
            bytes_up=draw(5, 2 * 1024 * 1024),
            bytes_down=draw(6, 60 * 1024 * 1024),
            events=draw(7, 3),
            destination=pl.format(
                "+{}{}",
                draw(8, len(prefixes)).replace_strict(prefixes, return_dtype=pl.String),
                draw(9, 10**8),
            ),
            period_start=pl.lit(PERIOD),
        )
        .with_columns(price_id=pl.col("kind"))
        .with_columns(pl.col("started_at").dt.cast_time_unit("us"))
    )


def ceiling(frame: pl.DataFrame, all_tariffs: list[Tariff]) -> pl.DataFrame:
    """The least a batch rater does: join each record to its price, multiply."""
    prices = pl.DataFrame(
        {
            "price_id": [t.price_id for t in all_tariffs],
            "rate": [t.rate or (t.tiers[0].rate if t.tiers else 1) for t in all_tariffs],
        }
    )
    quantity = pl.col("bytes_up") + pl.col("bytes_down") + pl.col("duration_seconds")
    return frame.join(prices, on="price_id", how="left").select(
        "id", amount=(quantity + pl.col("events")) * pl.col("rate")
    )


def ceiling_with_running_sum(frame: pl.DataFrame, all_tariffs: list[Tariff]) -> pl.DataFrame:
    """The ceiling plus the one thing an allowance needs: the quantity used before each record
    in its (product, price, period), records in time order (the idiomatic Polars way)."""
    quantity = pl.col("bytes_up") + pl.col("bytes_down") + pl.col("duration_seconds")
    return (
        ceiling(frame, all_tariffs)
        .with_columns(frame.select(*KEYS, "started_at", "record_key", q=quantity))
        .sort("started_at", "record_key")
        .with_columns(before=pl.col("q").cum_sum().over(KEYS) - pl.col("q"))
    )


def timed(job: Any, repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        result = job()
        best = min(best, time.perf_counter() - began)
    return best, result


def check(
    frame: pl.DataFrame, rated: pl.DataFrame, all_tariffs: list[Tariff], limit: int
) -> tuple[int, int]:
    """Rate the records of whole products (about ``limit`` records) one by one; compare.
    Returns (records checked, differences)."""
    counts = frame.group_by("product_id").len().sort("product_id")
    chosen = counts.filter(pl.col("len").cum_sum() <= max(limit, 1))["product_id"]
    subset = rated.filter(pl.col("product_id").is_in(chosen.implode()))
    by_id = {t.price_id: t for t in all_tariffs}
    groups: dict[tuple[str, str], list[UsageRecord]] = defaultdict(list)
    batch: dict[str, tuple[Any, ...]] = {}
    fields = ("status", "amount", "rated_quantity", "included_used", "band", "zone", "reason")
    for row in subset.iter_rows(named=True):
        record = UsageRecord(
            record_key=row["record_key"],
            kind=row["kind"],
            started_at=row["started_at"],
            duration_seconds=row["duration_seconds"],
            bytes_up=row["bytes_up"],
            bytes_down=row["bytes_down"],
            events=row["events"],
            destination=row["destination"],
        )
        groups[(row["product_id"], row["price_id"])].append(record)
        batch[row["record_key"]] = tuple(row[name] for name in fields)
    mismatches = 0
    for (_product, price_id), group in groups.items():
        ordered = sorted(group, key=lambda r: (r.started_at, r.record_key))
        for record, one in zip(ordered, rate_sequence(by_id[price_id], group), strict=True):
            if tuple(getattr(one, name) for name in fields) != batch[record.record_key]:
                mismatches += 1
    return subset.height, mismatches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--check", type=int, default=None, help="records to re-rate one by one")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    all_tariffs = tariffs()
    frame = records(args.records, args.products)
    print(
        f"{args.records:,} records, {args.products:,} products, polars {pl.__version__}, "
        f"{pl.thread_pool_size()} threads, {os.cpu_count()} cpus"
    )
    ceiling_seconds, _ = timed(lambda: ceiling(frame, all_tariffs), args.repeat)
    running_seconds, _ = timed(lambda: ceiling_with_running_sum(frame, all_tariffs), args.repeat)
    rating_seconds, rated = timed(lambda: rate_frame(frame, all_tariffs), args.repeat)
    rate = args.records / rating_seconds
    reference = args.records / ceiling_seconds
    running = args.records / running_seconds
    print(f"ceiling (join and multiply): {reference:>12,.0f} records/s ({ceiling_seconds:.3f} s)")
    print(f"  + running sum per period:  {running:>12,.0f} records/s ({running_seconds:.3f} s)")
    print(f"rate_frame:                  {rate:>12,.0f} records/s ({rating_seconds:.3f} s)")
    print(f"ratio to the ceiling: {rate / reference:.2f}  (targets: >= 500,000/s, ratio >= 0.5)")
    print(f"ratio to the ceiling with the running sum: {rate / running:.2f}")
    statuses = dict(rated.group_by("status").len().iter_rows())
    print(f"statuses: {statuses}")
    limit = args.records if args.check is None else args.check
    began = time.perf_counter()
    checked, mismatches = check(frame, rated, all_tariffs, limit)
    print(
        f"per-record check: {checked:,} records re-rated with rate_one in "
        f"{time.perf_counter() - began:.1f} s, {mismatches} differences"
    )
    if mismatches > 0:
        raise SystemExit("batch and per-record rating differ")


if __name__ == "__main__":
    main()
