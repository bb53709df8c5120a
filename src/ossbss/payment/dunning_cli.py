"""``ossbss dunning run [--as-of DATE]``: one dunning run, with a summary."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Protocol

import typer
from rich.console import Console
from rich.table import Table

from ossbss.kernel import Clock, Database, DomainError, Settings
from ossbss.kernel.time import parse_datetime
from ossbss.payment.dunning import DunningReport, run_dunning
from ossbss.payment.dunning_policy import DunningPolicy, load_policy

console = Console()


class PlatformLike(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def settings(self) -> Settings: ...


def policy_for(settings: Settings) -> DunningPolicy:
    """The policy OSSBSS_DUNNING_POLICY names, else the default shipped with ossbss."""
    return load_policy(settings.dunning_policy)


def build_app(platform: Callable[[], AbstractContextManager[PlatformLike]]) -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, help="Dunning and collections.")

    @app.command("run")
    def run(
        as_of: Annotated[
            str | None,
            typer.Option(help="the day to dun as of (ISO date or instant; default: now)"),
        ] = None,
        policy: Annotated[
            Path | None, typer.Option(help="a policy TOML (default: OSSBSS_DUNNING_POLICY)")
        ] = None,
    ) -> None:
        """Take the dunning steps due: reminders, suspensions, terminations; close the cases
        of accounts that paid (resuming what was suspended)."""
        try:
            with platform() as opened:
                chosen = load_policy(policy) if policy else policy_for(opened.settings)
                now = opened.clock.now()
                when = _instant(as_of) if as_of else now
                with opened.database.unit_of_work() as session:
                    report = run_dunning(session, as_of=when, policy=chosen, now=now)
        except DomainError as exc:
            console.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(code=2) from None
        except ValueError as exc:
            console.print(f"[red]error:[/red] invalid --as-of: {exc}")
            raise typer.Exit(code=2) from None
        print_summary(report)

    return app


def _instant(text: str) -> datetime:
    text = text.strip()
    return parse_datetime(text if "T" in text else f"{text}T00:00:00Z")


def print_summary(report: DunningReport) -> None:
    table = Table(title=f"dunning as of {report.as_of:%Y-%m-%d %H:%M} UTC", show_header=False)
    rows = (
        ("accounts overdue", report.accounts_overdue),
        ("exempt", report.accounts_exempt),
        ("below the minimum", report.accounts_below_minimum),
        ("cases opened", report.cases_opened),
        ("cases closed (paid)", report.cases_closed),
        ("reminders", report.count("reminder")),
        ("suspensions", report.count("suspend")),
        ("terminations", report.count("terminate")),
        ("resumptions", report.count("resume")),
        ("failed accounts", len(report.failures)),
    )
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)
    for account_id, reason in report.failures:
        console.print(f"[red]failed[/red] {account_id}: {reason}", highlight=False)
