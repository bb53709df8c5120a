"""Reports as CSV (and as the same rows for JSON): stable columns, one per dataclass field in
declaration order; ``*_minor`` amounts become decimal text in the row's currency
(``total_minor`` 1230 EUR -> column ``total``, "12.30")."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from ossbss.reporting import domain
from ossbss.reporting.assurance import Assurance, Gap

MINOR = "_minor"


def columns(row_type: type[Any]) -> list[str]:
    return [
        name.removesuffix(MINOR) for name in (f.name for f in fields(row_type)) if name != "period"
    ]


def as_text(row: Any) -> dict[str, str]:
    """A row with every value as text, amounts in decimal form."""
    currency = getattr(row, "currency", None) or None
    text: dict[str, str] = {}
    for item in fields(row):
        value = getattr(row, item.name)
        if item.name.endswith(MINOR):
            text[item.name.removesuffix(MINOR)] = domain.decimal_text(int(value), currency)
        elif isinstance(value, tuple):
            text[item.name] = " ".join(str(part) for part in value)
        else:
            text[item.name] = "" if value is None else str(value)
    return text


def to_csv(rows: Sequence[Any], row_type: type[Any]) -> str:
    """The rows as CSV with a header line, even when there are none."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(row_type), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(as_text(row))
    return buffer.getvalue()


def assurance_rows(report: Assurance) -> list[Any]:
    """The assurance report flattened to gap-shaped rows: usage counts first (kind
    ``usage``, reason = status), then the quarantine, then the gaps."""
    rows: list[Any] = [
        Gap(
            "usage",
            count.status,
            "",
            "",
            "",
            "",
            "",
            count.records,
            count.currency,
            count.amount_minor,
        )
        for count in report.usage
    ]
    rows.append(Gap("usage", "quarantined", "", "", "", "", "", report.quarantined, "", 0))
    rows.append(Gap("usage", "waiting", "", "", "", "", "", report.waiting, "", 0))
    rows.extend(report.gaps)
    return rows
