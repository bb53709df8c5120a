"""The demo's self-care logins: `ossbss demo logins` prints subscribers (their e-mail as the
username) who have a working product and a bill to pay, and each signs in to their own bills."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from console_helpers import sign_in
from ossbss import bootstrap, cli, demo, party, tmf
from payment_world import issue_bill


def test_demo_logins_print_subscribers_with_a_bill_to_pay(
    platform: bootstrap.Platform, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo.load(platform, customers=21, console=Console(quiet=True))  # 21: the demo's orders
    with platform.database.unit_of_work(write=False) as session:
        page = tmf.list_resources(
            session, resource=party.CUSTOMER, query=tmf.parse_list_query([("limit", "21")])
        )
    customers = [{"id": item_id, **json.loads(body)} for item_id, body in page.items]
    due = platform.clock.now()
    # The demo orders fibre for the first 8 customers (it cannot activate in tests: no
    # network), mobile for the next 12 (the first 2 suspended). Bills for the 1st (no working
    # product), the 9th (suspended) and the 11th and 12th: only these two are demo logins.
    billed = [customers[10], customers[11]]
    for number, customer in enumerate([*billed, customers[0], customers[8]]):
        issue_bill(platform, customer["account"][0]["id"], f"DEMO-{number}", due=due, amount=1999)

    monkeypatch.setenv("OSSBSS_DATABASE_URL", platform.settings.database_url)
    shown = CliRunner().invoke(cli.app, ["demo", "logins"])
    assert shown.exit_code == 0, shown.output
    subscribers = [line.split() for line in shown.output.splitlines() if " customer " in line]
    assert len(subscribers) == 2, shown.output
    text = " ".join(shown.output.split())  # the terminal may wrap a long line
    for words, customer in zip(subscribers, billed, strict=True):
        assert "@" in words[0]
        assert f"{words[0]} customer {customer['name']}: Mobile" in text
    assert text.count("19.99 EUR due") == 2
    again = CliRunner().invoke(cli.app, ["demo", "logins"])  # idempotent, same subscribers
    assert again.output == shown.output

    sign_in(app_client, subscribers[0][0], demo.DEMO_PASSWORD)
    bills = app_client.get("/my/bills")
    assert bills.status_code == 200
    assert "DEMO-0" in bills.text
    assert "DEMO-1" not in bills.text
