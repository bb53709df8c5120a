"""``ossbss billing credit|adjust|compare``: credit notes, adjustments and the comparison of
a run's draft bills with the previous cycle. ``register(app, platform)`` adds them to the
billing typer app (the bill run's CLI owns that app)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Protocol

import orjson
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import or_, select

from ossbss.billing.adjustments import add_adjustment
from ossbss.billing.compare import AccountComparison, compare_run, comparison_document
from ossbss.billing.credit import credit_note
from ossbss.billing.models import Bill
from ossbss.kernel import Clock, Database
from ossbss.kernel.errors import DomainError, InvalidInput, NotFound
from ossbss.kernel.money import minor_unit_exponent

console = Console()


class PlatformLike(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...


Opener = Callable[[], AbstractContextManager[PlatformLike]]


def to_minor(text: str, currency: str) -> int:
    """'12.50' EUR -> 1250; more decimals than the currency has is refused, never rounded."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInput("Invalid amount", field="amount", detail=text) from None
    scaled = amount.scaleb(minor_unit_exponent(currency))
    if not amount.is_finite() or scaled != scaled.to_integral_value():
        raise InvalidInput("Invalid amount", field="amount", detail=f"{text} {currency}")
    return int(scaled)


def _show(amount_minor: int, currency: str) -> str:
    return f"{Decimal(amount_minor).scaleb(-minor_unit_exponent(currency))} {currency}"


def _fail(exc: DomainError) -> None:
    console.print(f"[red]error:[/red] {exc.reason}: {exc.message}")
    raise typer.Exit(code=2)


def register(app: typer.Typer, platform: Opener) -> None:
    @app.command("credit")
    def credit(
        bill: Annotated[str, typer.Argument(help="bill id or number (INV-2026-000001)")],
        amount: Annotated[str, typer.Option(help="tax included, in the bill's currency")],
        reason: Annotated[str, typer.Option(help="printed on the credit note")],
    ) -> None:
        """Issue a credit note on an issued bill."""
        with platform() as opened:
            try:
                with opened.database.unit_of_work() as session:
                    original = session.scalars(
                        select(Bill).where(or_(Bill.id == bill, Bill.bill_no == bill))
                    ).one_or_none()
                    if original is None:
                        raise NotFound("No such bill", field="bill", detail=bill)
                    note = credit_note(
                        session,
                        bill_id=original.id,
                        amount_minor=to_minor(amount, original.currency),
                        reason=reason,
                        now=opened.clock.now(),
                    )
                    console.print(
                        f"credit note {note.bill_no} ({note.id}) on {original.bill_no}: "
                        f"{_show(note.amount_incl_tax_minor, note.currency)}; "
                        f"{_show(original.remaining_minor, original.currency)} left due"
                    )
            except DomainError as exc:
                _fail(exc)

    @app.command("adjust")
    def adjust(
        account: Annotated[str, typer.Argument(help="billing account id")],
        amount: Annotated[str, typer.Option(help="signed, tax excluded: -5.00 credits")],
        reason: Annotated[str, typer.Option(help="printed on the next bill")],
        currency: Annotated[str, typer.Option(help="ISO 4217")] = "EUR",
        source: Annotated[str, typer.Option(help="manual, sla, goodwill, fee, correction")] = (
            "manual"
        ),
        tax_rate: Annotated[str, typer.Option(help="percent")] = "0",
    ) -> None:
        """Record an adjustment that the account's next bill carries."""
        with platform() as opened:
            try:
                with opened.database.unit_of_work() as session:
                    pending = add_adjustment(
                        session,
                        billing_account_id=account,
                        amount_minor=to_minor(amount, currency),
                        currency=currency,
                        reason=reason,
                        source=source,
                        tax_rate=tax_rate,
                        now=opened.clock.now(),
                    )
                    console.print(
                        f"adjustment {pending.id}: {_show(pending.amount_minor, currency)} "
                        "for the next bill"
                    )
            except DomainError as exc:
                _fail(exc)

    @app.command("compare")
    def compare(
        run: Annotated[str, typer.Argument(help="bill run id")],
        account: Annotated[str | None, typer.Option(help="one billing account")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="JSON, minor units")] = False,
    ) -> None:
        """Each draft bill of the run against the account's previous cycle bill."""
        with platform() as opened:
            try:
                with opened.database.unit_of_work(write=False) as session:
                    comparisons = compare_run(session, run_id=run, account_id=account)
            except DomainError as exc:
                _fail(exc)
                return
        if as_json:
            documents: list[Any] = [comparison_document(c) for c in comparisons]
            typer.echo(orjson.dumps(documents, option=orjson.OPT_INDENT_2).decode())
            return
        for comparison in comparisons:
            console.print(_table(comparison))


def _table(comparison: AccountComparison) -> Table:
    currency = comparison.currency
    table = Table(
        title=(
            f"account {comparison.billing_account_id}: "
            f"{_show(comparison.previous_total_minor, currency)} -> "
            f"{_show(comparison.current_total_minor, currency)} "
            f"({_show(comparison.delta_minor, currency)})"
        )
    )
    for column in ("product", "type", "previous", "now", "change", "why"):
        table.add_column(column)
    for line in comparison.lines:
        table.add_row(
            line.product_name or line.product_id or "-",
            line.type,
            _show(line.previous_minor, currency),
            _show(line.current_minor, currency),
            _show(line.delta_minor, currency),
            line.reason,
        )
    return table


def build_app(platform: Opener) -> typer.Typer:
    """A stand-alone billing app with these commands (when the bill run's app is absent)."""
    app = typer.Typer(no_args_is_help=True, help="Billing: credit notes, adjustments, comparison.")
    register(app, platform)
    return app
