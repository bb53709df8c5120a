"""Which tariff rates each record, column-wise: ``catalog.select_tariff`` for a whole frame
(the record's offering's tariff of its kind valid when it started; if several are, the one
that started last)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

from ossbss.catalog import Tariff


def assign_tariffs(
    frame: pl.DataFrame, tariffs_by_offering: Mapping[str, Sequence[Tariff]]
) -> pl.DataFrame:
    """Add ``price_id``: each record's offering's tariff of its kind valid when it started,
    ``select_tariff`` column-wise (if several are valid, the one that started last). One join:
    the candidates of each (offering, kind), in preference order, become columns."""
    candidates: dict[tuple[str, str], list[Tariff]] = {}
    for offering, tariffs in tariffs_by_offering.items():
        for tariff in tariffs:
            candidates.setdefault((offering, tariff.kind), []).append(tariff)
    width = max((len(group) for group in candidates.values()), default=0)
    if width == 0:
        return frame.with_columns(price_id=pl.lit(None, pl.String))
    rows = []
    for (offering, kind), group in candidates.items():
        # select_tariff's preference: the latest start first (stable: ties keep list order).
        ranked = sorted(group, key=_start_key, reverse=True)
        ranked += [None] * (width - len(ranked))  # type: ignore[list-item]
        row: dict[str, Any] = {"offering_id": offering, "kind": kind}
        for k, tariff in enumerate(ranked):
            row[f"_p{k}"] = tariff.price_id if tariff else None
            row[f"_from{k}"] = tariff.valid_from if tariff else None
            row[f"_to{k}"] = tariff.valid_to if tariff else None
        rows.append(row)
    schema: dict[str, pl.DataType] = {"offering_id": pl.String(), "kind": pl.String()}
    for k in range(width):
        schema |= {
            f"_p{k}": pl.String(),
            f"_from{k}": pl.Datetime("us", "UTC"),
            f"_to{k}": pl.Datetime("us", "UTC"),
        }
    table = pl.DataFrame(rows, schema=schema)
    at = pl.col("started_at")
    chosen = [
        pl.when(
            pl.col(f"_p{k}").is_not_null()
            & (pl.col(f"_from{k}").is_null() | (pl.col(f"_from{k}") <= at))
            & (pl.col(f"_to{k}").is_null() | (at < pl.col(f"_to{k}")))
        ).then(pl.col(f"_p{k}"))
        for k in range(width)
    ]
    joined = frame.drop("price_id", strict=False).join(
        table, on=["offering_id", "kind"], how="left", maintain_order="left"
    )
    return joined.with_columns(price_id=pl.coalesce(chosen)).drop(table.columns[2:])


def _start_key(tariff: Tariff) -> tuple[bool, datetime]:
    return (tariff.valid_from is not None, tariff.valid_from or datetime.min.replace(tzinfo=UTC))
