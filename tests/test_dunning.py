"""Dunning end to end with the fake network driver: a reminder at D+7, a suspension at D+21
placed as a product order and carried to the network, full payment resumes; each step once
however often dunning runs; exempt classes and small debts are left alone; every step is
audited and readable over the API and the CLI summary."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from dunning_world import (
    DUE,
    DUNNING,
    POLICY,
    active_product,
    day,
    dun,
    events,
    issue_bill,
    pay,
)
from ordering_world import ORDERS, PRODUCTS, World, build, order_body, place, settle
from ossbss import bootstrap, cli, payment
from ossbss.events.payment import DunningActionRequested, DunningNoticeDue
from ossbss.kernel import OutboxMessage
from ossbss.ordering.dunning import act_on_dunning
from ossbss.provisioning.drivers.fake import FakeDriver
from ossbss.tmf import hub
from test_hub import Listener
from tmf_cases import create


@pytest.fixture
def world(client: TestClient) -> World:
    return build(client)


@pytest.fixture
def fake(platform: bootstrap.Platform) -> FakeDriver:
    driver = platform.activator.drivers["fake"]
    assert isinstance(driver, FakeDriver)
    driver.services.clear()
    driver.suspended.clear()
    driver.calls.clear()
    return driver


def _case(client: TestClient, account_id: str) -> dict[str, Any]:
    response = client.get(DUNNING, params={"billingAccount.id": account_id})
    assert response.status_code == 200, response.text
    (case,) = response.json()
    return dict(case)


def _status(client: TestClient, product_id: str) -> str:
    return str(client.get(f"{PRODUCTS}/{product_id}").json()["status"])


def _no_dead_events(platform: bootstrap.Platform) -> None:
    with platform.database.unit_of_work(write=False) as session:
        stuck = session.scalars(
            select(OutboxMessage.last_error).where(OutboxMessage.delivered_at.is_(None))
        ).all()
    assert not stuck, stuck


def test_reminder_then_suspension_on_the_network_then_payment_resumes(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    product_id = active_product(client, platform, world)
    (radius_id,) = [s for s in fake.services if "username" in fake.services[s]]
    bill_id = issue_bill(platform, world.account_id)

    assert dun(platform, day(6)).steps == []  # not yet: the reminder is at D+7
    reminder = dun(platform, day(7))
    assert [(s.step, s.action) for s in reminder.steps] == [("reminder", "reminder")]
    assert reminder.cases_opened == 1
    with platform.database.unit_of_work(write=False) as session:
        (notice,) = events(session, DunningNoticeDue.topic)
        assert events(session, DunningActionRequested.topic) == []
    assert notice["billing_account_id"] == world.account_id
    assert notice["channel"] == "email"
    assert notice["days_overdue"] == 7
    assert "36.00 EUR" in notice["message"]
    assert _status(client, product_id) == "active"

    # The same day again, and the day after: nothing new.
    assert dun(platform, day(7)).steps == []
    assert dun(platform, day(8)).steps == []

    suspension = dun(platform, day(21))
    assert [(s.step, s.action) for s in suspension.steps] == [("suspension", "suspend")]
    assert _status(client, product_id) == "suspended"
    assert radius_id in fake.suspended
    assert dun(platform, day(21)).steps == []  # once

    case = _case(client, world.account_id)
    assert case["state"] == "open"
    assert case["stepReached"] == "suspension"
    assert case["productsSuspended"] is True
    assert case["oldestBill"]["id"] == bill_id
    reminded, suspended = case["action"]
    assert (reminded["action"], reminded["outcome"], reminded["daysOverdue"]) == (
        "reminder",
        "notified",
        7,
    )
    assert reminded["overdueAmount"] == {"unit": "EUR", "value": 36.0}
    assert suspended["action"] == "suspend"
    assert suspended["outcome"] == "ordered", suspended
    order_id = suspended["outcomeDetail"].removeprefix("product order ")
    order = client.get(f"{ORDERS}/{order_id}").json()
    assert order["state"] == "completed"
    assert order["category"] == "dunning"
    assert "suspension" in order["description"]
    (item,) = order["productOrderItem"]
    assert item["action"] == "modify"
    assert item["product"] == {"id": product_id, "status": "suspended"}

    # A partial payment leaves the debt overdue: still suspended.
    platform.clock.set(day(22))  # type: ignore[attr-defined]
    pay(platform, world.account_id, bill_id, 1000)
    assert _status(client, product_id) == "suspended"
    assert _case(client, world.account_id)["state"] == "open"

    pay(platform, world.account_id, bill_id, 2600)
    assert _status(client, product_id) == "active"
    assert radius_id not in fake.suspended
    closed = _case(client, world.account_id)
    assert closed["state"] == "closed"
    assert closed["closedReason"] == "paid"
    resumed = closed["action"][-1]
    assert (resumed["action"], resumed["outcome"]) == ("resume", "ordered")
    with platform.database.unit_of_work(write=False) as session:
        requested = events(session, DunningActionRequested.topic)
    assert [e["action"] for e in requested] == ["suspend", "resume"]
    _no_dead_events(platform)

    # Paid: later runs leave the account alone.
    assert dun(platform, day(60)).steps == []


def test_a_new_overdue_bill_opens_a_new_case(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    active_product(client, platform, world)
    first = issue_bill(platform, world.account_id)
    dun(platform, day(7))
    pay(platform, world.account_id, first, 3600)
    issue_bill(platform, world.account_id, due=day(30), number=2)
    report = dun(platform, day(40))
    assert report.cases_opened == 1
    assert [s.step for s in report.steps] == ["reminder"]
    cases = client.get(DUNNING, params={"billingAccount.id": world.account_id}).json()
    assert [c["state"] for c in cases] == ["open", "closed"]
    assert len(client.get(DUNNING, params={"state": "closed"}).json()) == 1


def test_missed_days_catch_up_and_termination_is_final(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    product_id = active_product(client, platform, world)
    bill_id = issue_bill(platform, world.account_id)
    # The first run after D+25: the reminder and the suspension, each once, in order.
    report = dun(platform, day(25))
    assert [s.action for s in report.steps] == ["reminder", "suspend"]
    assert _status(client, product_id) == "suspended"

    terminated = dun(platform, day(60))
    assert [s.action for s in terminated.steps] == ["terminate"]
    assert _status(client, product_id) == "terminated"
    case = _case(client, world.account_id)
    assert case["action"][-1]["outcome"] == "ordered"

    # Paying after a termination closes the case but brings nothing back.
    pay(platform, world.account_id, bill_id, 3600)
    case = _case(client, world.account_id)
    assert case["state"] == "closed"
    assert [a["action"] for a in case["action"]] == ["reminder", "suspend", "terminate"]
    assert _status(client, product_id) == "terminated"


def test_a_run_that_reaches_termination_at_once_asks_only_for_termination(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    product_id = active_product(client, platform, world)
    issue_bill(platform, world.account_id)
    report = dun(platform, day(61))
    assert [s.action for s in report.steps] == ["reminder", "suspend", "terminate"]
    outcomes = [a["outcome"] for a in _case(client, world.account_id)["action"]]
    assert outcomes == ["notified", "superseded", "ordered"]
    assert _status(client, product_id) == "terminated"


def test_exempt_classes_and_small_debts_get_nothing(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    prepaid = create(
        client,
        "/tmf-api/accountManagement/v4/billingAccount",
        {
            "name": "prepaid",
            "accountType": "prepaid",
            "currency": "EUR",
            "relatedParty": [
                {
                    "id": world.customer_id,
                    "role": "owner",
                    "name": "Ada",
                    "@referredType": "Customer",
                }
            ],
        },
    )
    issue_bill(platform, prepaid["id"])
    issue_bill(platform, world.account_id, amount=499)  # under the 5.00 EUR minimum
    report = dun(platform, day(90))
    assert report.accounts_overdue == 2
    assert report.accounts_exempt == 1
    assert report.accounts_below_minimum == 1
    assert report.steps == []
    assert client.get(DUNNING).json() == []


def test_a_replayed_request_orders_nothing_twice(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    product_id = active_product(client, platform, world)
    issue_bill(platform, world.account_id)
    dun(platform, day(21))
    assert _status(client, product_id) == "suspended"
    replay = DunningActionRequested(
        billing_account_id=world.account_id,
        action="suspend",
        step="suspension",
        reason="replayed",
        occurred_at=day(21),
    )
    with platform.database.unit_of_work() as session:
        assert act_on_dunning(session, event=replay, now=day(21)) == []
    # An order still in flight is not doubled either.
    resume = DunningActionRequested(
        billing_account_id=world.account_id,
        action="resume",
        step="resumption",
        reason="test",
        occurred_at=day(21),
    )
    with platform.database.unit_of_work() as session:
        (first,) = act_on_dunning(session, event=resume, now=day(21))
        assert act_on_dunning(session, event=resume, now=day(21)) == []
    assert client.get(f"{ORDERS}/{first}").json()["state"] == "acknowledged"


def test_the_read_api(client: TestClient, platform: bootstrap.Platform, world: World) -> None:
    issue_bill(platform, world.account_id)
    dun(platform, day(7))
    case = _case(client, world.account_id)
    assert case["href"] == f"http://testserver{DUNNING}/{case['id']}"
    one = client.get(f"{DUNNING}/{case['id']}")
    assert one.status_code == 200
    assert one.json() == case
    assert client.get(f"{DUNNING}/nope").status_code == 404
    assert client.get(DUNNING, params={"state": "shut"}).status_code == 400
    assert client.get(DUNNING, params={"limit": "x"}).status_code == 400
    paged = client.get(DUNNING, params={"limit": "0"})
    assert paged.json() == []
    assert paged.headers["X-Total-Count"] == "1"
    client.headers.pop("Authorization")
    assert client.get(DUNNING).status_code == 401


def test_the_cli_runs_dunning_with_a_summary(
    platform: bootstrap.Platform,
    world: World,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    active_product(client, platform, world)
    issue_bill(platform, world.account_id)
    monkeypatch.setenv("OSSBSS_DATABASE_URL", platform.settings.database_url)
    runner = CliRunner()
    result = runner.invoke(cli.app, ["dunning", "run", "--as-of", "2026-02-17T10:00:00Z"])
    assert result.exit_code == 0, result.output
    assert "reminders" in result.output
    lines = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in _rows(result)}
    assert lines["reminders"] == "1"
    assert lines["accounts overdue"] == "1"
    again = runner.invoke(cli.app, ["dunning", "run", "--as-of", "2026-02-17"])
    assert again.exit_code == 0, again.output
    assert {r.split("│")[1].strip(): r.split("│")[2].strip() for r in _rows(again)}[
        "reminders"
    ] == "0"
    bad = runner.invoke(cli.app, ["dunning", "run", "--as-of", "yesterday"])
    assert bad.exit_code == 2
    assert "--as-of" in bad.output


def _rows(result: Any) -> list[str]:
    return [line for line in result.output.splitlines() if line.count("│") >= 3]


def test_a_policy_override_through_the_setting(
    platform: bootstrap.Platform, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('default_class = "x"\n[classes.x]\nexempt = true\n')
    monkeypatch.setenv("OSSBSS_DUNNING_POLICY", str(path))
    from ossbss.kernel import Settings

    policy = payment.policy_for(Settings())
    assert policy.classes["x"].exempt
    assert payment.policy_for(Settings(dunning_policy=None)).classes == POLICY.classes
    assert DUE.tzinfo is not None


def test_hub_subscribers_of_the_payment_api_hear_of_cases(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    listener = Listener()
    try:
        with platform.database.unit_of_work() as session:
            hub.register(
                session,
                api="paymentManagement",
                payload={"callback": listener.url},
                base_url="http://testserver",
                now=platform.clock.now(),
            )
        active_product(client, platform, world)
        bill_id = issue_bill(platform, world.account_id)
        dun(platform, day(7))
        dun(platform, day(21))
        pay(platform, world.account_id, bill_id, 3600)
    finally:
        listener.close()
    kinds = [event["eventType"] for event in listener.events]
    assert kinds[0] == "DunningCaseCreateEvent"
    assert "DunningCaseStateChangeEvent" in kinds
    created = listener.events[0]["event"]["dunningCase"]
    assert created["billingAccount"]["id"] == world.account_id
    assert created["href"].startswith("http://testserver/tmf-api/paymentManagement/v4/")
    final = listener.events[-1]["event"]["dunningCase"]
    assert final["state"] == "closed"
    assert final["action"][-1]["outcome"] == "ordered"


def test_the_daily_schedule_runs_dunning_in_its_own_transaction(
    client: TestClient, platform: bootstrap.Platform, world: World
) -> None:
    issue_bill(platform, world.account_id)
    platform.clock.set(day(7))  # type: ignore[attr-defined]
    reports: list[payment.DunningReport] = []
    schedule = payment.DunningSchedule(
        platform.database, platform.clock, POLICY, interval=3600, on_report=reports.append
    ).start()
    schedule.stop()  # the first run happens at start; stop waits for it
    assert [s.step for s in reports[0].steps] == ["reminder"]
    assert _case(client, world.account_id)["stepReached"] == "reminder"


def test_a_tmf676_payment_resumes_the_suspended_product(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    product_id = active_product(client, platform, world)
    issue_bill(platform, world.account_id)
    dun(platform, day(21))
    assert _status(client, product_id) == "suspended"
    response = client.post(
        "/tmf-api/paymentManagement/v4/payment",
        json={
            "account": {"id": world.account_id},
            "totalAmount": {"unit": "EUR", "value": 36.0},
            "paymentMethod": {"@type": "bankTransfer"},
        },
    )
    assert response.status_code == 201, response.text
    settle(platform)
    assert _status(client, product_id) == "active"
    case = _case(client, world.account_id)
    assert (case["state"], case["closedReason"]) == ("closed", "paid")
    assert case["action"][-1]["outcome"] == "ordered"


def test_payment_resumes_only_what_dunning_suspended(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    on_holiday = active_product(client, platform, world)
    chased = active_product(client, platform, world)
    item = {"id": "1", "action": "modify", "product": {"id": on_holiday, "status": "suspended"}}
    assert place(client, platform, order_body(world, item))["state"] == "completed"
    bill_id = issue_bill(platform, world.account_id)
    dun(platform, day(21))
    assert _status(client, chased) == "suspended"
    pay(platform, world.account_id, bill_id, 3600)
    assert _status(client, chased) == "active"
    assert _status(client, on_holiday) == "suspended"  # the customer's own suspension stays


def test_an_order_ordering_refuses_is_audited_as_failed(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    product_id = active_product(client, platform, world)
    patched = client.patch(
        f"/tmf-api/customerManagement/v4/customer/{world.customer_id}", json={"status": "Closed"}
    )
    assert patched.status_code == 200, patched.text
    issue_bill(platform, world.account_id)
    dun(platform, day(21))
    assert _status(client, product_id) == "active"
    suspension = _case(client, world.account_id)["action"][-1]
    assert suspension["outcome"] == "failed"
    assert "Customer cannot order" in suspension["outcomeDetail"]
    _no_dead_events(platform)  # refused once, recorded, not retried forever


def test_an_account_that_cannot_be_dunned_is_reported_and_the_run_goes_on(
    client: TestClient, platform: bootstrap.Platform, world: World
) -> None:
    issue_bill(platform, "ghost-account")
    issue_bill(platform, world.account_id)
    report = dun(platform, day(7))
    assert [account_id for account_id, _ in report.failures] == ["ghost-account"]
    assert "ghost-account" in report.failures[0][1]
    assert [(s.billing_account_id, s.action) for s in report.steps] == [
        (world.account_id, "reminder")
    ]


def test_serve_and_worker_start_the_schedule_only_when_enabled(
    client: TestClient, platform: bootstrap.Platform, world: World
) -> None:
    assert cli._dunning_schedule(platform) is None  # off by default
    issue_bill(platform, world.account_id)
    platform.clock.set(day(7))  # type: ignore[attr-defined]
    enabled = platform.settings.model_copy(
        update={"dunning_enabled": True, "dunning_interval_seconds": 3600.0}
    )
    schedule = cli._dunning_schedule(dataclasses.replace(platform, settings=enabled))
    assert schedule is not None
    schedule.stop()
    assert _case(client, world.account_id)["stepReached"] == "reminder"
