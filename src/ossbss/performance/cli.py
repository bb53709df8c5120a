"""``ossbss performance ...``: the SLA report and its evaluation, the downsampling job, the
default thresholds. Each command owns its transaction."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Protocol

import typer
from rich.console import Console
from rich.table import Table

from ossbss.kernel import Clock, Database, DomainError, Settings
from ossbss.performance import sla, store, thresholds
from ossbss.performance.api import sla_csv
from ossbss.performance.jobs import Downsampler
from ossbss.performance.poller import PollerThread, start_poller_thread
from ossbss.performance.poller.cli import add_commands as add_poll_commands

console = Console()

MonthOption = Annotated[
    str | None, typer.Option("--month", help="YYYY-MM (default: the month that ended last)")
]
CsvOption = Annotated[Path | None, typer.Option("--csv", help="write the report as CSV here")]


class PlatformLike(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def settings(self) -> Settings: ...


def retention(settings: Settings) -> store.Retention:
    return store.Retention(
        raw_days=settings.performance_raw_days,
        five_minute_days=settings.performance_5m_days,
        hourly_days=settings.performance_hourly_days,
        lateness_seconds=settings.performance_rollup_lateness_seconds,
    )


def downsampler(platform: PlatformLike) -> Downsampler | None:
    """The downsampling job every OSSBSS_PERFORMANCE_DOWNSAMPLE_INTERVAL_SECONDS (0: never)."""
    interval = platform.settings.performance_downsample_interval_seconds
    if interval <= 0:
        return None
    return Downsampler(
        platform.database, platform.clock, interval=interval, retention=retention(platform.settings)
    ).start()


def poller(platform: PlatformLike) -> PollerThread | None:
    """The SNMP poller recording into the KPI store, if OSSBSS_POLLER_ENABLED."""
    if not platform.settings.poller_enabled:
        return None
    return start_poller_thread(
        database=platform.database,
        clock=platform.clock,
        settings=platform.settings,
        sink=store.recorder(platform.database, platform.clock),
    )


def _last_month(clock: Clock) -> str:
    first = clock.now().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def build_app(platform: Callable[[], AbstractContextManager[PlatformLike]]) -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, help="KPIs, thresholds, availability and SLAs.")
    # `poll` (the poller's command) records into this store with --store.
    add_poll_commands(
        app, platform, store=lambda opened: store.recorder(opened.database, opened.clock)
    )

    def fail(exc: DomainError) -> None:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(code=2)

    @app.command("sla-report")
    def sla_report(month: MonthOption = None, csv_file: CsvOption = None) -> None:
        """Each product's availability in a month against its SLA target."""
        try:
            with platform() as opened, opened.database.unit_of_work(write=False) as session:
                chosen = month or _last_month(opened.clock)
                policy = sla.load_policy(opened.settings.performance_sla_policy)
                report = sla.sla_report(
                    session, month=chosen, now=opened.clock.now(), policy=policy
                )
        except DomainError as exc:
            fail(exc)
            return
        if csv_file is not None:
            csv_file.write_text(sla_csv(report), encoding="utf-8")
            console.print(f"{len(report.lines)} products written to {csv_file}")
            return
        table = Table(title=f"SLA {report.month}")
        for column in ("product", "offering", "availability %", "target %", "credit %"):
            table.add_column(column)
        for line in report.lines:
            table.add_row(
                line.product_name or line.product_id,
                line.offering_name or "",
                f"{line.availability_ppm / 10_000:.4f}",
                f"{line.target_ppm / 10_000:.4f}",
                str(line.credit_percent) if line.breached else "",
                style="red" if line.breached else None,
            )
        console.print(table)

    @app.command("sla-evaluate")
    def sla_evaluate(month: MonthOption = None) -> None:
        """Publish SlaBreached (billing credits it) for each product that missed its target in
        a finished month; safe to repeat."""
        try:
            with platform() as opened, opened.database.unit_of_work() as session:
                chosen = month or _last_month(opened.clock)
                policy = sla.load_policy(opened.settings.performance_sla_policy)
                published = sla.evaluate_sla(
                    session, month=chosen, now=opened.clock.now(), policy=policy
                )
        except DomainError as exc:
            fail(exc)
            return
        console.print(f"{len(published)} SLA breaches published for {chosen}")

    @app.command("downsample")
    def downsample() -> None:
        """Roll raw samples up into 5-minute and hourly buckets; apply retention."""
        with platform() as opened, opened.database.unit_of_work() as session:
            report = store.downsample(
                session, now=opened.clock.now(), retention=retention(opened.settings)
            )
        console.print(
            f"rolled up {report.five_minute_buckets} 5-minute and {report.hourly_buckets} "
            f"hourly buckets; deleted {report.deleted_raw} raw samples, "
            f"{report.deleted_five_minute} 5-minute and {report.deleted_hourly} hourly buckets"
        )

    @app.command("seed-thresholds")
    def seed_thresholds() -> None:
        """Create the policy's thresholds (thresholds.toml) whose name is not taken yet."""
        with platform() as opened, opened.database.unit_of_work() as session:
            created = thresholds.seed_thresholds(
                session,
                now=opened.clock.now(),
                path=opened.settings.performance_thresholds_policy,
            )
        console.print(f"{created} thresholds created")

    return app
