"""ossbss billing credit | adjust | compare, through the real CLI against the test database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from billing_rows import FEBRUARY, Line, bill, run
from ossbss import cli
from ossbss.billing.adjustments import pending_adjustments
from ossbss.billing.models import Bill
from ossbss.bootstrap import Platform
from tmf_cases import ACCOUNT, _billing_account, create


@pytest.fixture
def database(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Platform:
    monkeypatch.setenv("OSSBSS_DATABASE_URL", platform.settings.database_url)
    return platform


def test_credit_by_bill_number(database: Platform) -> None:
    with database.database.unit_of_work() as session:
        bill(session, account_id="A", lines=[Line("f", "recurring", 1000)], bill_no="TEST-7")
    result = CliRunner().invoke(
        cli.app, ["billing", "credit", "TEST-7", "--amount", "2.50", "--reason", "outage"]
    )
    assert result.exit_code == 0, result.output
    assert "-2.50 EUR" in result.output
    assert "9.50 EUR left due" in result.output
    refused = CliRunner().invoke(
        cli.app, ["billing", "credit", "TEST-7", "--amount", "100", "--reason", "x"]
    )
    assert refused.exit_code == 2
    assert "exceeds" in refused.output
    with database.database.unit_of_work() as session:
        notes = session.scalars(select(Bill).where(Bill.kind == "creditNote")).all()
        assert [n.amount_incl_tax_minor for n in notes] == [-250]


def test_adjust_and_compare(database: Platform, client: TestClient) -> None:
    account_id = create(client, f"{ACCOUNT}/billingAccount", _billing_account(client, 0))["id"]
    result = CliRunner().invoke(
        cli.app,
        ["billing", "adjust", account_id, "--amount", "-5", "--reason", "SLA", "--source", "sla"],
    )
    assert result.exit_code == 0, result.output
    with database.database.unit_of_work() as session:
        [pending] = pending_adjustments(session, account_ids=[account_id])[account_id]
        assert pending.amount_minor == -500
        bill(session, account_id="A", lines=[Line("f", "recurring", 1000)], bill_no="TEST-1")
        run_id = run(session, period=FEBRUARY)
        bill(
            session,
            account_id="A",
            lines=[Line("f", "recurring", 1200)],
            period=FEBRUARY,
            run_id=run_id,
            state="new",
        )
    compared = CliRunner().invoke(cli.app, ["billing", "compare", run_id, "--json"])
    assert compared.exit_code == 0, compared.output
    assert '"reason": "price changed"' in compared.output
    assert '"deltaMinor": 240' in compared.output
