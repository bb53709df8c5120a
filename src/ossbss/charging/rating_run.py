"""The rating run (``ossbss rate --period``): every usage record of a period that mediation has
resolved and nobody has rated yet — or, to re-rate after a tariff correction, every one not
yet billed — priced in one column-wise pass (``batch``) and stored on the records.

- each record's billing period comes from its account's bill cycle (allowances are per
  billing period, whatever the window asked for);
- each record's tariff is its offering's usage price of its kind valid when it started;
  a record whose offering has no usage price for its kind is part of a flat rate: rated at 0
  with that reason (counted, never dropped);
- allowances and tiers continue from what earlier runs already rated in the same billing
  period (``usage.rated_quantities``);
- crossing 80% and 100% of an allowance publishes ``AllowanceThresholdReached`` (once: the
  crossing happens in one run only), whose policy other rooms act on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl
from sqlalchemy.orm import Session

from ossbss import account, catalog, usage
from ossbss.catalog import Tariff
from ossbss.charging import batch
from ossbss.charging.rating import RATED, REJECTED, divide_half_even
from ossbss.charging.tariff_choice import assign_tariffs
from ossbss.events.charging import AllowanceRenewed, AllowanceThresholdReached
from ossbss.kernel.money import minor_unit_exponent
from ossbss.kernel.outbox import publish_many
from ossbss.kernel.time import Period

RERATED = "rerated"
THRESHOLDS = (80, 100)
_CHUNK_ACCOUNTS = 2_000

# Told (records rated in this step, records in the run) after each step.
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class RatingSummary:
    records: int = 0
    rated: int = 0
    rejected: int = 0
    flat_rate: int = 0  # rated at 0: the offering has no usage price of the record's kind
    thresholds: int = 0  # allowance thresholds crossed (events published)
    # Rated amounts per currency, in whole minor units rounded half-even (for the summary only:
    # the records keep their fine amounts).
    amounts: dict[str, int] = field(default_factory=dict)


def rate_period(
    session: Session,
    *,
    period: Period,
    now: datetime,
    rerate: bool = False,
    progress: Progress | None = None,
) -> RatingSummary:
    """Rate (or re-rate) the records that started in ``period``, in steps of a few thousand
    accounts (one transaction: the caller's)."""
    # ``_was``: the status before this run (a re-rated record becomes "rerated").
    records = usage.records_to_rate(session, period=period, rerate=rerate).rename(
        {"status": "_was"}
    )
    if records.is_empty():
        return RatingSummary()
    accounts = records["billing_account_id"].unique().sort().to_list()
    terms = _account_terms(session, accounts)
    tariffs = _tariffs(session, records["offering_id"].unique().to_list())
    records = with_period_start(records, terms)
    records = assign_tariffs(records, tariffs)
    counted = _counted(session, records, terms)
    results = []
    for start in range(0, len(accounts), _CHUNK_ACCOUNTS):
        chunk = records.filter(
            pl.col("billing_account_id").is_in(accounts[start : start + _CHUNK_ACCOUNTS])
        )
        rated = _rate(chunk, tariffs, counted, terms, rerate=rerate)
        usage.record_rating(session, rated=rated, now=now)
        results.append(rated)
        if progress is not None:
            progress(chunk.height, records.height)
    rated = pl.concat(results)
    crossings = [] if rerate else allowance_crossings(rated, counted, tariffs)
    renewals = [] if rerate else throttle_renewals(rated, counted, tariffs)
    publish_many(session, [*(crossing.event(now) for crossing in crossings), *renewals], now=now)
    return _summary(rated, len(crossings))


def _rate(
    records: pl.DataFrame,
    tariffs: Mapping[str, Sequence[Tariff]],
    counted: pl.DataFrame,
    terms: pl.DataFrame,
    *,
    rerate: bool,
) -> pl.DataFrame:
    priced = records.filter(pl.col("price_id").is_not_null())
    flat = records.filter(pl.col("price_id").is_null())
    everything = [tariff for group in tariffs.values() for tariff in group]
    rated = batch.rate_frame(priced, everything, used_before=counted)
    if rerate:
        rated = rated.with_columns(
            status=pl.when((pl.col("status") == RATED) & pl.col("_was").is_in([RATED, RERATED]))
            .then(pl.lit(RERATED))
            .otherwise(pl.col("status"))
        )
    return pl.concat([rated, _flat_rate(flat, terms)], how="diagonal_relaxed")


def _flat_rate(records: pl.DataFrame, terms: pl.DataFrame) -> pl.DataFrame:
    """Usage of a kind the offering has no usage price for: included in the recurring fee."""
    return records.join(
        terms.select("billing_account_id", "currency"), on="billing_account_id", how="left"
    ).with_columns(
        status=pl.lit(RATED),
        amount=pl.lit(0, pl.Int64),
        scale=pl.lit(0, pl.Int64),
        rated_quantity=pl.lit(0, pl.Int64),
        reason=pl.format("flat rate: the offering has no usage price for {}", "kind"),
    )


# --- billing periods -------------------------------------------------------------------------


def _account_terms(session: Session, account_ids: Sequence[str]) -> pl.DataFrame:
    """Per account: its currency and bill cycle (monthly on the 1st when it has none, or
    when the account is unknown to this database)."""
    terms = account.billing_terms(session, account_ids=account_ids)
    rows = []
    for account_id in account_ids:
        found = terms.get(account_id)
        cycle = found.cycle if found else None
        rows.append(
            (
                account_id,
                found.currency if found else None,
                cycle.billing_day if cycle else 1,
                cycle.months if cycle else 1,
            )
        )
    return pl.DataFrame(
        rows,
        schema={
            "billing_account_id": pl.String,
            "currency": pl.String,
            "billing_day": pl.Int32,
            "months": pl.Int32,
        },
        orient="row",
    )


def with_period_start(records: pl.DataFrame, terms: pl.DataFrame) -> pl.DataFrame:
    """Add ``period_start``: the start of the billing period each record started in —
    ``account.billing_period`` column-wise."""
    started = pl.col("started_at")
    index = (
        (started.dt.year() - 2000) * 12
        + started.dt.month()
        - 1
        - (started.dt.day() < pl.col("billing_day")).cast(pl.Int32)
    )
    index = index - index % pl.col("months")
    return (
        records.join(
            terms.select("billing_account_id", "billing_day", "months"),
            on="billing_account_id",
            how="left",
        )
        .with_columns(_index=index)
        .with_columns(
            period_start=pl.datetime(
                2000 + pl.col("_index") // 12,
                pl.col("_index") % 12 + 1,
                pl.col("billing_day"),
                time_zone="UTC",
            ).dt.cast_time_unit("us")
        )
        .drop("_index", "billing_day", "months")
    )


def _counted(session: Session, records: pl.DataFrame, terms: pl.DataFrame) -> pl.DataFrame:
    """``used_before`` per (product, tariff, billing period): what earlier runs rated there
    (the records being re-rated excluded)."""
    window = Period(records["period_start"].min(), None)  # type: ignore[arg-type]
    earlier = usage.rated_quantities(session, period=window).join(
        records.select("id"), on="id", how="anti"
    )
    if earlier.is_empty():
        return pl.DataFrame(
            schema={
                "product_id": pl.String,
                "price_id": pl.String,
                "period_start": pl.Datetime("us", "UTC"),
                "used_before": pl.Int64,
            }
        )
    return (
        with_period_start(earlier, terms)
        .group_by("product_id", "price_id", "period_start")
        .agg(used_before=pl.col("rated_quantity").sum())
    )


# --- fair usage ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Crossing:
    product_id: str
    billing_account_id: str
    tariff: Tariff
    percent: int
    period_start: datetime

    def event(self, now: datetime) -> AllowanceThresholdReached:
        fair_usage = self.tariff.fair_usage
        return AllowanceThresholdReached(
            product_id=self.product_id,
            billing_account_id=self.billing_account_id,
            bucket_id=None,
            kind=self.tariff.kind,
            percent=self.percent,
            policy=fair_usage.policy if fair_usage else "charge",
            period_start=self.period_start,
            period_end=None,
            occurred_at=now,
            throttle_down_kbps=fair_usage.throttle_down_kbps if fair_usage else None,
            throttle_up_kbps=fair_usage.throttle_up_kbps if fair_usage else None,
        )


def allowance_crossings(
    rated: pl.DataFrame, counted: pl.DataFrame, tariffs: Mapping[str, Sequence[Tariff]]
) -> list[Crossing]:
    """The allowance thresholds this run's records crossed: before the run a product had used
    less than the threshold of its period's allowance, after it at least that much."""
    by_id = {tariff.price_id: tariff for group in tariffs.values() for tariff in group}
    totals = (
        rated.filter(pl.col("status") == RATED, pl.col("price_id").is_not_null())
        .group_by("product_id", "billing_account_id", "price_id", "period_start")
        .agg(used=pl.col("rated_quantity").sum())
        .join(counted, on=["product_id", "price_id", "period_start"], how="left")
        .with_columns(before=pl.col("used_before").fill_null(0))
    )
    crossings = []
    for row in totals.iter_rows(named=True):
        tariff = by_id[row["price_id"]]
        if tariff.included <= 0:
            continue
        after = row["before"] + row["used"]
        for percent in THRESHOLDS:
            threshold = -(-tariff.included * percent // 100)  # ceil: 80% of 7 units is 6
            if row["before"] < threshold <= after:
                crossings.append(
                    Crossing(
                        row["product_id"],
                        row["billing_account_id"],
                        tariff,
                        percent,
                        row["period_start"],
                    )
                )
    return crossings


def throttle_renewals(
    rated: pl.DataFrame, counted: pl.DataFrame, tariffs: Mapping[str, Sequence[Tariff]]
) -> list[AllowanceRenewed]:
    """A product whose throttling allowance this run counts for the first time in a billing
    period: its previous period's throttle (if any) ends."""
    throttling = [
        tariff.price_id
        for group in tariffs.values()
        for tariff in group
        if tariff.fair_usage is not None and tariff.fair_usage.policy == "throttle"
    ]
    first = (
        rated.filter(pl.col("status") == RATED, pl.col("price_id").is_in(throttling))
        .join(counted, on=["product_id", "price_id", "period_start"], how="anti")
        .group_by("product_id", "kind")
        .agg(pl.col("period_start").max(), pl.col("started_at").max())
    )
    return [
        AllowanceRenewed(
            product_id=row["product_id"],
            kind=row["kind"],
            period_start=row["period_start"],
            occurred_at=row["started_at"],
        )
        for row in first.iter_rows(named=True)
    ]


# --- the rest ----------------------------------------------------------------------------------


def _tariffs(session: Session, offering_ids: Sequence[str]) -> dict[str, list[Tariff]]:
    return {
        offering_id: catalog.usage_tariffs_for_offering(session, offering_id=offering_id)
        for offering_id in offering_ids
    }


def _summary(rated: pl.DataFrame, thresholds: int) -> RatingSummary:
    flat = rated.filter(pl.col("price_id").is_null()).height
    money = rated.filter(pl.col("status").is_in([RATED, RERATED]), pl.col("amount") != 0)
    amounts: dict[str, int] = {}
    for row in money.group_by("currency", "scale").agg(pl.col("amount").sum()).iter_rows():
        currency, scale, total = row
        minor = minor_unit_exponent(currency)
        amounts[currency] = amounts.get(currency, 0) + divide_half_even(
            total, 10 ** (scale - minor)
        )
    return RatingSummary(
        records=rated.height,
        rated=rated.filter(pl.col("status").is_in([RATED, RERATED])).height,
        rejected=rated.filter(pl.col("status") == REJECTED).height,
        flat_rate=flat,
        thresholds=thresholds,
        amounts=amounts,
    )
