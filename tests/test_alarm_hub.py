"""TMF642 hub: alarm and task events reach a real listener, on either base path."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alarm_helpers import clear, signal, store
from ossbss.bootstrap import Platform
from ossbss.kernel.outbox import OutboxMessage
from test_hub import Listener

BASE = "/tmf-api/alarmManagement/v4"
SPEC_BASE = "/tmf-api/alarm/v4"


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.mark.parametrize("base", [BASE, SPEC_BASE])
def test_alarm_events_reach_the_listener(
    client: TestClient, platform: Platform, listener: Listener, base: str
) -> None:
    response = client.post(f"{base}/hub", json={"callback": listener.url})
    assert response.status_code == 201, response.text
    store(platform, signal("k", perceived_severity="minor"))
    store(platform, signal("k", minute=1, perceived_severity="critical"), signal("k", minute=2))
    [alarm] = client.get(f"{BASE}/alarm").json()
    client.post(
        f"{base}/ackAlarms",
        json={"ackUserId": "jane", "ackSystemId": "ui", "alarmPattern": [{"id": alarm["id"]}]},
    )
    store(platform, clear("k", minute=3))
    platform.dispatcher.run_pending()
    assert listener.types() == [
        "AlarmCreateEvent",
        "AlarmStateChangeEvent",  # escalated: updated
        "AlarmAttributeValueChangeEvent",  # acknowledged
        "AckAlarmsCreateEvent",
        "AlarmStateChangeEvent",  # cleared
    ]
    assert listener.events[0]["event"]["alarm"]["id"] == alarm["id"]
    assert listener.events[1]["event"]["alarm"]["state"] == "updated"
    assert listener.events[-1]["event"]["alarm"]["state"] == "cleared"


def test_no_listener_no_event(platform: Platform) -> None:
    store(platform, signal("k"))
    with platform.database.unit_of_work(write=False) as session:
        topics = session.scalars(select(OutboxMessage.topic)).all()
        assert "tmf.resource-changed" not in topics
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
