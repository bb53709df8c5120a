"""Helpers for the trouble ticket tests: ticket bodies, alarms, events through the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from ossbss.assurance.models import Alarm
from ossbss.bootstrap import Platform
from ossbss.kernel import Event, OutboxMessage, publish

TICKETS = "/tmf-api/troubleTicket/v4/troubleTicket"


def ticket_body(**extra: Any) -> dict[str, Any]:
    return {
        "description": "No internet since this morning",
        "severity": "major",
        "ticketType": "troubleTicket",
        "relatedParty": [{"id": "org-1", "@referredType": "Organization", "role": "reporter"}],
        **extra,
    }


def open_ticket(client: TestClient, **extra: Any) -> dict[str, Any]:
    response = client.post(TICKETS, json=ticket_body(**extra))
    assert response.status_code == 201, response.text
    return response.json()


def add_alarm(
    platform: Platform, *, alarm_id: str, at: datetime, severity: str = "critical"
) -> None:
    with platform.database.unit_of_work() as session:
        session.add(
            Alarm(
                id=alarm_id,
                reduction_key=f"linkDown:{alarm_id}",
                source="snmp",
                state="raised",
                alarm_type="communicationsAlarm",
                probable_cause="linkDown",
                perceived_severity=severity,
                alarmed_object_id="dev-1",
                alarmed_object_type="Device",
                raised_at=at,
                last_occurred_at=at,
                changed_at=at,
                is_root_cause=True,
            )
        )


def deliver(platform: Platform, *events: Event) -> None:
    """Publish through the outbox in a unit of work and run the dispatcher, as production does."""
    with platform.database.unit_of_work() as session:
        for event in events:
            publish(session, event, now=platform.clock.now())
    platform.dispatcher.run_pending()
    with platform.database.unit_of_work(write=False) as session:
        dead = session.query(OutboxMessage).filter(OutboxMessage.last_error.is_not(None)).all()
        assert not dead, [message.last_error for message in dead]
