"""``ossbss rate``: the rating run for a period, with a progress bar and a summary."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Protocol

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from ossbss.charging.rating_run import RatingSummary, rate_period
from ossbss.kernel import Clock, Database, InvalidInput
from ossbss.kernel.money import minor_unit_exponent
from ossbss.kernel.time import Period, parse_datetime

console = Console()
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PlatformLike(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...


def parse_period(text: str) -> Period:
    """``2026-01`` (that calendar month, UTC) or ``FROM/TO`` (ISO 8601 instants or dates,
    half-open)."""
    month = _MONTH.match(text.strip())
    if month:
        year, number = int(month[1]), int(month[2])
        if not 1 <= number <= 12:
            raise InvalidInput("Invalid period", field="period", detail=f"no month {number}")
        end = (year + number // 12, number % 12 + 1)
        return Period(datetime(year, number, 1, tzinfo=UTC), datetime(*end, 1, tzinfo=UTC))
    start, sep, end_text = text.partition("/")
    if not sep:
        raise InvalidInput("Invalid period", field="period", detail="YYYY-MM or FROM/TO")
    try:
        period = Period(_instant(start), _instant(end_text))
    except ValueError as exc:
        raise InvalidInput("Invalid period", field="period", detail=str(exc)) from None
    return period


def _instant(text: str) -> datetime:
    text = text.strip()
    return parse_datetime(text if "T" in text else f"{text}T00:00:00Z")


def rate_command(
    platform: Callable[[], AbstractContextManager[PlatformLike]],
) -> Callable[..., None]:
    def rate(
        period: Annotated[
            str, typer.Option(help="YYYY-MM, or FROM/TO (half-open), e.g. 2026-01-01/2026-01-16")
        ],
        rerate: Annotated[
            bool, typer.Option(help="re-rate what is rated but not billed (tariff correction)")
        ] = False,
    ) -> None:
        """Rate the usage records that started in the period (re-rate with --rerate)."""
        try:
            window = parse_period(period)
        except InvalidInput as exc:
            console.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(code=2) from None
        columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with platform() as opened, Progress(*columns, console=console) as bar:
            task = bar.add_task("rating", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, total=total, advance=done)

            with opened.database.unit_of_work() as session:
                summary = rate_period(
                    session,
                    period=window,
                    now=opened.clock.now(),
                    rerate=rerate,
                    progress=advance,
                )
        _print(summary)

    return rate


def _print(summary: RatingSummary) -> None:
    console.print(
        f"rated {summary.rated} of {summary.records} records "
        f"({summary.flat_rate} at a flat rate), rejected {summary.rejected}, "
        f"allowance thresholds crossed {summary.thresholds}"
    )
    for currency, minor in sorted(summary.amounts.items()):
        amount = Decimal(minor).scaleb(-minor_unit_exponent(currency))
        console.print(f"  {currency} {amount:,}")
