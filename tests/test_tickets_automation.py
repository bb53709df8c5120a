"""Tickets the network opens and resolves: RootCauseImpact opens one ticket per root alarm
(idempotent, widened as the impact grows), AlarmCleared resolves it (or only notes it when
ticket_auto_resolve is off); nothing is opened inside a maintenance window."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from ossbss import assurance, cli
from ossbss.assurance import AlarmSignal
from ossbss.assurance.models import Alarm
from ossbss.bootstrap import Platform
from ossbss.events.assurance import AlarmCleared, RootCauseImpact
from ossbss.kernel import FixedClock
from test_hub import Listener, listener  # noqa: F401  (fixture)
from tickets_world import TICKETS, add_alarm, deliver


def _impact(clock: FixedClock, **extra: object) -> RootCauseImpact:
    fields: dict[str, object] = {
        "alarm_id": "alarm-1",
        "perceived_severity": "major",
        "alarmed_object_id": "dev-1",
        "service_ids": ("svc-1",),
        "customer_ids": ("cust-1",),
        "product_ids": ("prod-1",),
        "in_maintenance": False,
        "occurred_at": clock.now(),
    }
    fields.update(extra)
    return RootCauseImpact(**fields)  # type: ignore[arg-type]


def _cleared(clock: FixedClock, *, root: bool = True, alarm_id: str = "alarm-1") -> AlarmCleared:
    return AlarmCleared(
        alarm_id=alarm_id,
        reduction_key="linkDown:alarm-1",
        alarmed_object_id="dev-1",
        is_root_cause=root,
        occurred_at=clock.now(),
    )


def _tickets(client: TestClient) -> list[dict]:
    response = client.get(TICKETS, params={"relatedEntity.id": "alarm-1"})
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def alarm(platform: Platform, clock: FixedClock) -> str:
    add_alarm(platform, alarm_id="alarm-1", at=clock.now())
    return "alarm-1"


@pytest.fixture
def no_auto_resolve() -> Iterator[None]:
    assurance.configure_tickets(auto_resolve=False)
    yield
    assurance.configure_tickets(auto_resolve=True)


def test_a_customer_impacting_root_alarm_opens_one_ticket(
    client: TestClient, platform: Platform, clock: FixedClock, alarm: str
) -> None:
    deliver(platform, _impact(clock))
    [ticket] = _tickets(client)
    assert ticket["ticketType"] == "networkOutage"
    assert ticket["channel"]["id"] == "assurance"
    assert ticket["severity"] == "major"
    assert ticket["priority"] == "P2"
    assert ticket["status"] == "acknowledged"
    assert ticket["sla"]["respondBy"] == "2026-01-15T10:00:00.000Z"
    assert "linkDown" in ticket["name"]
    assert "1 customer(s)" in ticket["description"]
    roles = {(e["@referredType"], e["id"], e["role"]) for e in ticket["relatedEntity"]}
    assert roles == {("Alarm", "alarm-1", "rootCause"), ("Service", "svc-1", "affectedService")}
    assert [(p["id"], p["role"]) for p in ticket["relatedParty"]] == [("cust-1", "customer")]


def test_a_second_impact_widens_the_same_ticket(
    client: TestClient, platform: Platform, clock: FixedClock, alarm: str
) -> None:
    deliver(platform, _impact(clock))
    deliver(platform, _impact(clock))  # the same impact again: nothing new
    [same] = _tickets(client)
    assert len(same["note"]) == 0
    clock.advance(timedelta(minutes=2))
    wider = _impact(
        clock,
        customer_ids=("cust-1", "cust-2"),
        service_ids=("svc-1", "svc-2"),
        perceived_severity="critical",
    )
    deliver(platform, wider)
    [ticket] = _tickets(client)
    assert ticket["id"] == same["id"]
    assert [p["id"] for p in ticket["relatedParty"]] == ["cust-1", "cust-2"]
    assert {e["id"] for e in ticket["relatedEntity"]} == {"alarm-1", "svc-1", "svc-2"}
    assert ticket["severity"] == "critical"
    assert ticket["priority"] == "P1"
    assert "cust-2" in ticket["note"][-1]["text"]
    assert _total(client, **{"relatedParty.id": "cust-2"}) == 1


def _total(client: TestClient, **params: str) -> int:
    return int(client.get(TICKETS, params=params).headers["X-Total-Count"])


def test_no_ticket_inside_a_maintenance_window_or_without_customers(
    client: TestClient, platform: Platform, clock: FixedClock, alarm: str
) -> None:
    deliver(platform, _impact(clock, in_maintenance=True), _impact(clock, customer_ids=()))
    assert _tickets(client) == []


def test_the_root_alarm_clearing_resolves_the_ticket(
    client: TestClient, platform: Platform, clock: FixedClock, alarm: str
) -> None:
    deliver(platform, _impact(clock))
    clock.advance(timedelta(minutes=40))
    deliver(platform, _cleared(clock, alarm_id="alarm-2"))  # another alarm: nothing happens
    assert _tickets(client)[0]["status"] == "acknowledged"
    # the ticket's alarm clears (it may have stepped down under a wider root meanwhile)
    deliver(platform, _cleared(clock, root=False))
    [ticket] = _tickets(client)
    assert ticket["status"] == "resolved"
    assert ticket["resolutionDate"] == "2026-01-15T10:10:00.000Z"
    assert ticket["statusChange"][-1]["changeReason"] == "root alarm cleared"
    assert "resolved automatically" in ticket["note"][-1]["text"]
    assert ticket["sla"]["respondBreached"] is True  # nobody took it up within 30 minutes
    assert ticket["sla"]["resolveBreached"] is False
    deliver(platform, _cleared(clock))  # a repeated clear changes nothing
    assert _tickets(client) == [ticket]


def test_with_auto_resolve_off_the_ticket_stays_open_with_a_note(
    client: TestClient, platform: Platform, clock: FixedClock, alarm: str, no_auto_resolve: None
) -> None:
    deliver(platform, _impact(clock))
    deliver(platform, _cleared(clock))
    [ticket] = _tickets(client)
    assert ticket["status"] == "acknowledged"
    assert "resolve once verified" in ticket["note"][-1]["text"]
    assert ticket["note"][-1]["author"] == "assurance"


def test_tickets_near_breach_for_the_console(
    client: TestClient, platform: Platform, clock: FixedClock, alarm: str
) -> None:
    deliver(platform, _impact(clock, perceived_severity="critical"))  # respond within 15m
    clock.advance(timedelta(minutes=10))
    with platform.database.unit_of_work(write=False) as session:
        due = assurance.tickets_near_breach(session, now=clock.now(), within=timedelta(minutes=10))
        assert [(d.timer, d.remaining) for d in due] == [("respond", timedelta(minutes=5))]
        assert (
            assurance.tickets_near_breach(session, now=clock.now(), within=timedelta(minutes=1))
            == []
        )
    clock.advance(timedelta(minutes=10))
    with platform.database.unit_of_work(write=False) as session:
        now = clock.now()
        assert assurance.tickets_near_breach(session, now=now, within=timedelta(hours=1)) == []
        late = assurance.tickets_near_breach(
            session, now=now, within=timedelta(hours=1), include_breached=True
        )
        assert [(d.timer, d.remaining) for d in late] == [("respond", timedelta(minutes=-5))]


def test_the_sweep_notifies_each_breach_once(
    client: TestClient,
    platform: Platform,
    clock: FixedClock,
    alarm: str,
    listener: Listener,  # noqa: F811
) -> None:
    hub = client.post("/tmf-api/troubleTicket/v4/hub", json={"callback": listener.url})
    assert hub.status_code == 201
    deliver(platform, _impact(clock, perceived_severity="critical"))
    with platform.database.unit_of_work() as session:
        assert assurance.sweep_sla(session, now=clock.now()) == []
    clock.advance(timedelta(minutes=16))
    with platform.database.unit_of_work() as session:
        swept = assurance.sweep_sla(session, now=clock.now())
    assert len(swept) == 1
    with platform.database.unit_of_work() as session:
        assert assurance.sweep_sla(session, now=clock.now()) == []
    clock.advance(timedelta(hours=4))
    with platform.database.unit_of_work() as session:
        assert assurance.sweep_sla(session, now=clock.now()) == swept  # now resolve-by too
    platform.dispatcher.run_pending()
    assert listener.types() == [
        "TroubleTicketCreateEvent",
        "TroubleTicketAttributeValueChangeEvent",
        "TroubleTicketAttributeValueChangeEvent",
    ]
    first, second = (event["event"]["troubleTicket"]["sla"] for event in listener.events[1:])
    assert (first["respondBreached"], first["resolveBreached"]) == (True, False)
    assert (second["respondBreached"], second["resolveBreached"]) == (True, True)


def test_through_the_alarm_store_a_clear_signal_resolves_the_ticket(
    client: TestClient, platform: Platform, clock: FixedClock
) -> None:
    # The real path: store.ingest raises the alarm, correlation (stood in for here) makes it a
    # root with customer impact, a clear signal for the same key publishes AlarmCleared.
    signal = AlarmSignal(
        source="snmp",
        reduction_key="linkDown:dev-9:ge-0/0/1",
        alarm_type="communicationsAlarm",
        probable_cause="linkDown",
        perceived_severity="critical",
        occurred_at=clock.now(),
        alarmed_object_id="dev-9",
        alarmed_object_type="Device",
    )
    with platform.database.unit_of_work() as session:
        outcome = assurance.ingest(session, signals=[signal], now=clock.now())
        [alarm_id] = outcome.raised
        session.execute(update(Alarm).where(Alarm.id == alarm_id).values(is_root_cause=True))
    deliver(platform, _impact(clock, alarm_id=alarm_id, perceived_severity="critical"))
    [ticket] = client.get(TICKETS, params={"relatedEntity.id": alarm_id}).json()
    assert ticket["priority"] == "P1"
    assert ticket["name"] == "linkDown on dev-9"
    clock.advance(timedelta(minutes=30))
    with platform.database.unit_of_work() as session:
        cleared = dataclasses.replace(signal, clears=True, occurred_at=clock.now())
        assert assurance.ingest(session, signals=[cleared], now=clock.now()).cleared == (alarm_id,)
    platform.dispatcher.run_pending()
    resolved = client.get(f"{TICKETS}/{ticket['id']}").json()
    assert resolved["status"] == "resolved"
    assert resolved["resolutionDate"] == "2026-01-15T10:00:00.000Z"


def test_the_cli_lists_due_tickets_and_sweeps(
    client: TestClient,
    platform: Platform,
    clock: FixedClock,
    alarm: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The CLI runs on the system clock: months after the FixedClock, the ticket is late.
    deliver(platform, _impact(clock))
    [ticket] = _tickets(client)
    monkeypatch.setenv("OSSBSS_DATABASE_URL", platform.settings.database_url)
    runner = CliRunner()
    near = runner.invoke(cli.app, ["assurance", "tickets", "due", "--within", "1h"])
    assert near.exit_code == 0, near.output
    assert ticket["id"] not in near.output
    late = runner.invoke(cli.app, ["assurance", "tickets", "due", "--breached"])
    assert ticket["id"] in late.output
    assert "late" in late.output
    assert "1 ticket(s)" in runner.invoke(cli.app, ["assurance", "tickets", "sweep"]).output
    assert "0 ticket(s)" in runner.invoke(cli.app, ["assurance", "tickets", "sweep"]).output
    bad = runner.invoke(cli.app, ["assurance", "tickets", "due", "--within", "soon"])
    assert bad.exit_code == 1
    assert "within" in bad.output
