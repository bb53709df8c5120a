"""Bank statement import (functions and ``ossbss payment ...``): matching by reference,
suspense for what matches nothing, duplicates never applied twice (also across re-imports),
suspense review."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import START
from ossbss import bootstrap, payment
from ossbss.cli import app
from ossbss.payment.bank_statement import StatementMapping, import_statement
from payment_world import assert_ledger_matches, balance, bill, billing_account, issue_bill

DUE = START + timedelta(days=10)
HEADER = "date,amount,currency,reference,payer_name,bank_transaction_id\n"


@pytest.fixture
def world(client: TestClient, platform: bootstrap.Platform) -> dict[str, str]:
    first = billing_account(client)
    second = billing_account(client)
    return {
        "first": first,
        "second": second,
        "old": issue_bill(platform, first, "INV-2026-000001", due=DUE, amount=10000),
        "new": issue_bill(
            platform, first, "INV-2026-000002", due=DUE + timedelta(days=30), amount=5000
        ),
        "other": issue_bill(platform, second, "INV-2026-000003", due=DUE, amount=2000),
    }


def _statement(world: dict[str, str]) -> str:
    return HEADER + "".join(
        [
            "2026-01-20,50.00,EUR,Invoice INV-2026-000002,Ada L,T1\n",  # that bill first
            f"2026-01-20,5.00,EUR,{world['second']},Bob,T2\n",  # an account id
            "2026-01-20,7.00,EUR,thanks for everything,Eve,T3\n",  # matches nothing
            "2026-01-20,9.00,USD,INV-2026-000003,Bob,T4\n",  # wrong currency
            "2026-01-21,-30.00,EUR,bank fees,,T5\n",  # a debit: not a payment
            "2026-01-21,twelve,EUR,INV-2026-000003,Bob,T6\n",  # unreadable
            "2026-01-22,1.00,EUR,INV-2026-000003,Bob,\n",  # no bank id: the line's hash
            "2026-01-22,1.00,EUR,INV-2026-000003,Bob,\n",  # the same again: a second payment
        ]
    )


def _import(platform: bootstrap.Platform, text: str) -> payment.StatementReport:
    with platform.database.unit_of_work() as session:
        return import_statement(
            session,
            text=text,
            file_name="statement.csv",
            now=platform.clock.now(),
            gateway=payment.FakeGateway(),
        )


def test_statement_lines_are_matched_by_reference(
    platform: bootstrap.Platform, world: dict[str, str]
) -> None:
    report = _import(platform, _statement(world))

    assert (report.lines, report.applied, report.held, report.ignored) == (8, 4, 2, 1)
    assert report.rejected == [(7, "unreadable amount 'twelve'")]
    reasons = dict(report.held_lines)
    assert "no bill or billing account matches" in reasons[4]
    assert "currency USD differs" in reasons[5]
    assert bill(platform, world["new"]) == ("settled", 0)
    assert bill(platform, world["old"]) == ("sent", 10000)
    assert bill(platform, world["other"]) == ("partiallyPaid", 1300)
    assert balance(platform, world["first"]) == 10000
    assert balance(platform, world["second"]) == 1300
    assert_ledger_matches(platform, world["first"])
    assert_ledger_matches(platform, world["second"])


def test_reimporting_a_statement_applies_nothing_twice(
    platform: bootstrap.Platform, world: dict[str, str]
) -> None:
    text = _statement(world)
    _import(platform, text)
    again = _import(platform, text)
    overlapping = _import(platform, HEADER + "2026-01-20,99.00,EUR,INV-2026-000001,Ada L,T1\n")

    assert (again.applied, again.duplicates, again.held) == (0, 6, 6)
    assert (overlapping.applied, overlapping.duplicates) == (0, 1)
    assert balance(platform, world["first"]) == 10000
    assert balance(platform, world["second"]) == 1300
    with platform.database.unit_of_work(write=False) as session:
        held = payment.suspense_items(session)
    assert sum("duplicate bank line" in item.reason for item in held) == 7


def test_a_declared_mapping_reads_other_headers(
    platform: bootstrap.Platform, world: dict[str, str]
) -> None:
    mapping = StatementMapping(
        date="Buchungstag",
        amount="Betrag",
        currency="Waehrung",
        reference="Verwendungszweck",
        payer_name="Name",
        bank_transaction_id="Id",
        delimiter=";",
    )
    text = "Buchungstag;Betrag;Waehrung;Verwendungszweck;Name;Id\n"
    text += "2026-01-20;20.00;EUR;INV-2026-000003;Bob;X1\n"
    with platform.database.unit_of_work() as session:
        report = import_statement(
            session,
            text=text,
            file_name="s.csv",
            now=platform.clock.now(),
            gateway=payment.FakeGateway(),
            mapping=mapping,
        )
    assert report.applied == 1
    assert bill(platform, world["other"]) == ("settled", 0)


@pytest.fixture
def cli(platform: bootstrap.Platform, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OSSBSS_DATABASE_URL", platform.settings.database_url)
    return CliRunner()


def test_cli_import_then_review_suspense(
    cli: CliRunner, platform: bootstrap.Platform, world: dict[str, str], tmp_path: Path
) -> None:
    statement = tmp_path / "statement.csv"
    statement.write_text(_statement(world))

    imported = cli.invoke(app, ["payment", "import-statement", str(statement)])
    assert imported.exit_code == 1, imported.output  # one line was unreadable
    assert "4 applied" in imported.output
    assert "2 held" in imported.output

    with platform.database.unit_of_work(write=False) as session:
        held = {item.reference: item.id for item in payment.suspense_items(session)}
    listed = cli.invoke(app, ["payment", "suspense", "list"])
    assert listed.exit_code == 0
    assert "thanks for" in listed.output

    wrong = cli.invoke(
        app,
        ["payment", "suspense", "apply", held["INV-2026-000003"], "--account", world["second"]],
    )
    assert wrong.exit_code == 2
    assert "USD" in wrong.output
    applied = cli.invoke(
        app,
        [
            "payment",
            "suspense",
            "apply",
            held["thanks for everything"],
            "--account",
            world["first"],
        ],
    )
    assert applied.exit_code == 0, applied.output
    assert bill(platform, world["old"]) == ("partiallyPaid", 9300)
    dismissed = cli.invoke(app, ["payment", "suspense", "dismiss", held["INV-2026-000003"]])
    assert dismissed.exit_code == 0
    twice = cli.invoke(app, ["payment", "suspense", "dismiss", held["INV-2026-000003"]])
    assert twice.exit_code == 2
    assert "already resolved" in twice.output
    assert_ledger_matches(platform, world["first"])


def test_cli_record_and_aging(
    cli: CliRunner, platform: bootstrap.Platform, world: dict[str, str]
) -> None:
    recorded = cli.invoke(
        app,
        ["payment", "record", "--account", world["first"], "--amount", "120", "--method", "cash"],
    )
    assert recorded.exit_code == 0, recorded.output
    assert "done" in recorded.output
    assert bill(platform, world["new"]) == ("partiallyPaid", 3000)
    aged = cli.invoke(app, ["payment", "aging", "--as-of", "2026-03-01", "--csv"])
    assert aged.exit_code == 0, aged.output
    # old (due 01-25) is settled; new (due 02-24) has 30.00 left, 5 days past due
    assert f"{world['first']},EUR,0,3000,0,0,0,3000" in aged.output.splitlines()
    bad = cli.invoke(
        app,
        ["payment", "record", "--account", world["first"], "--amount", "1", "--method", "bitcoin"],
    )
    assert bad.exit_code == 2
    assert "paymentMethod" in bad.output
