"""TMF621 trouble tickets over HTTP: create, list and filter, patch (status, notes,
priority), SLA clocks as of the FixedClock, delete, hub events."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from ossbss.bootstrap import Platform
from ossbss.kernel import FixedClock
from test_hub import Listener, listener  # noqa: F401  (fixture)
from tickets_world import TICKETS, add_alarm, open_ticket, ticket_body


def _total(client: TestClient, **params: str) -> int:
    response = client.get(TICKETS, params=params)
    assert response.status_code == 200, response.text
    return int(response.headers["X-Total-Count"])


def test_create_sets_status_priority_and_sla_timers(client: TestClient, clock: FixedClock) -> None:
    now = clock.now()
    ticket = open_ticket(client, severity="critical", note=[{"text": "customer called"}])
    assert ticket["href"] == f"http://testserver{TICKETS}/{ticket['id']}"
    assert ticket["status"] == "acknowledged"
    assert ticket["priority"] == "P1"  # from the severity
    assert ticket["creationDate"] == "2026-01-15T09:30:00.000Z"
    assert ticket["statusChange"] == [
        {
            "status": "acknowledged",
            "changeDate": "2026-01-15T09:30:00.000Z",
            "changeReason": "opened",
        }
    ]
    sla = ticket["sla"]
    assert sla["respondBy"] == "2026-01-15T09:45:00.000Z"
    assert sla["resolveBy"] == "2026-01-15T13:30:00.000Z"
    assert ticket["expectedResolutionDate"] == sla["resolveBy"]
    assert sla["respondRemainingSeconds"] == 15 * 60
    assert sla["breached"] is False
    [note] = ticket["note"]
    assert note["text"] == "customer called"
    assert note["author"] == "admin"
    assert note["date"] == "2026-01-15T09:30:00.000Z"
    assert note["id"]
    assert client.get(ticket["href"]).json() == ticket
    assert now == clock.now()


def test_a_given_priority_wins_over_the_severity(client: TestClient) -> None:
    ticket = open_ticket(client, severity="minor", priority="P2")
    assert ticket["priority"] == "P2"
    assert ticket["sla"]["respondBy"] == "2026-01-15T10:00:00.000Z"


def test_bad_input_is_400_naming_the_field_and_writes_nothing(client: TestClient) -> None:
    cases = [
        ({k: v for k, v in ticket_body().items() if k != "severity"}, "severity"),
        (ticket_body(description=42), "description"),
        (ticket_body(priority="urgent!"), "priority"),
        (ticket_body(status="resolved"), "status"),
        (ticket_body(relatedParty=[{"id": "x"}]), "relatedParty.0.@referredType"),
        (
            ticket_body(relatedParty=[{"id": "nobody", "@referredType": "Customer"}]),
            "relatedParty[0].id",
        ),
        (
            ticket_body(
                relatedEntity=[{"id": "nope", "@referredType": "Alarm", "role": "rootCause"}]
            ),
            "relatedEntity[0].id",
        ),
        (ticket_body(note=[{"author": "x"}]), "note[0].text"),
    ]
    for body, field in cases:
        response = client.post(TICKETS, json=body)
        assert response.status_code == 400, (field, response.text)
        assert response.json()["message"].startswith(field), (field, response.json())
    assert client.post(TICKETS, json=[1]).status_code == 400
    assert _total(client) == 0


def test_list_filters_fields_and_paging(
    client: TestClient, platform: Platform, clock: FixedClock
) -> None:
    add_alarm(platform, alarm_id="alarm-1", at=clock.now())
    first = open_ticket(
        client,
        severity="critical",
        relatedEntity=[{"id": "alarm-1", "@referredType": "Alarm", "role": "rootCause"}],
    )
    second = open_ticket(
        client, severity="minor", relatedParty=[{"id": "org-2", "@referredType": "Organization"}]
    )
    third = open_ticket(client, severity="major", ticketType="complaint")
    client.patch(f"{TICKETS}/{third['id']}", json={"status": "inProgress"})
    assert _total(client) == 3
    assert _total(client, status="acknowledged") == 2
    assert _total(client, status="acknowledged,inProgress") == 3
    assert _total(client, priority="P1") == 1
    assert _total(client, severity="minor") == 1
    assert _total(client, ticketType="complaint") == 1
    assert _total(client, **{"relatedParty.id": "org-2"}) == 1
    assert _total(client, **{"relatedEntity.id": "alarm-1"}) == 1
    assert _total(client, description="No internet since this morning") == 3
    page = client.get(TICKETS, params={"limit": "2", "offset": "1", "fields": "status,sla"})
    assert page.headers["X-Total-Count"] == "3"
    assert page.headers["X-Result-Count"] == "2"
    assert [item["id"] for item in page.json()] == [second["id"], third["id"]]
    assert set(page.json()[0]) == {"id", "href", "status", "sla"}
    ids = [t["id"] for t in client.get(TICKETS, params={"sort": "-priority"}).json()]
    assert ids == [second["id"], third["id"], first["id"]]
    assert client.get(TICKETS, params={"limit": "x"}).status_code == 400


def test_sla_breach_and_near_breach_as_time_passes(client: TestClient, clock: FixedClock) -> None:
    urgent = open_ticket(client, severity="critical")  # P1: respond 15m, resolve 4h
    calm = open_ticket(client, severity="warning")  # P4: respond 8h
    clock.advance(timedelta(minutes=10))
    assert _total(client, slaDueWithin="10m") == 1
    assert _total(client, slaDueWithin="PT1M") == 0
    assert _total(client, slaBreached="true") == 0
    clock.advance(timedelta(minutes=6))  # 16 minutes: nobody took the P1 ticket up
    fetched = client.get(f"{TICKETS}/{urgent['id']}").json()
    assert fetched["sla"]["respondBreached"] is True
    assert fetched["sla"]["respondRemainingSeconds"] == -60
    assert fetched["sla"]["breached"] is True
    assert _total(client, slaBreached="true") == 1
    assert _total(client, slaBreached="false") == 1
    assert client.get(TICKETS, params={"slaBreached": "true"}).json()[0]["id"] == urgent["id"]
    taken = client.patch(f"{TICKETS}/{calm['id']}", json={"status": "inProgress"}).json()
    assert taken["sla"]["respondedAt"] == "2026-01-15T09:46:00.000Z"
    assert taken["sla"]["respondBreached"] is False
    assert "respondRemainingSeconds" not in taken["sla"]
    assert client.get(TICKETS, params={"slaBreached": "maybe"}).status_code == 400
    assert client.get(TICKETS, params={"slaDueWithin": "soon"}).status_code == 400


def test_status_lifecycle_and_history(client: TestClient, clock: FixedClock) -> None:
    ticket = open_ticket(client)
    url = f"{TICKETS}/{ticket['id']}"
    refused = client.patch(url, json={"status": "closed"})
    assert refused.status_code == 409
    assert refused.json()["message"].startswith("status")
    assert client.get(url).json() == ticket  # nothing changed
    clock.advance(timedelta(minutes=5))
    client.patch(url, json={"status": "inProgress"})
    clock.advance(timedelta(hours=1))
    resolved = client.patch(url, json={"status": "resolved", "statusChangeReason": "fibre fixed"})
    assert resolved.status_code == 200
    body = resolved.json()
    assert body["resolutionDate"] == "2026-01-15T10:35:00.000Z"
    assert body["statusChangeDate"] == "2026-01-15T10:35:00.000Z"
    assert [c["status"] for c in body["statusChange"]] == ["acknowledged", "inProgress", "resolved"]
    assert body["statusChange"][-1]["changeReason"] == "fibre fixed"
    assert body["sla"]["resolveBreached"] is False
    clock.advance(timedelta(days=2))
    closed = client.patch(url, json={"status": "closed"}).json()
    assert closed["sla"]["breached"] is False  # the clock stopped at the resolution
    assert client.patch(url, json={"status": "inProgress"}).status_code == 409


def test_notes_are_appended_never_changed(client: TestClient, clock: FixedClock) -> None:
    ticket = open_ticket(client, note=[{"text": "first"}])
    url = f"{TICKETS}/{ticket['id']}"
    clock.advance(timedelta(minutes=3))
    added = client.patch(url, json={"note": [{"text": "second", "author": "jane"}]}).json()
    assert [n["text"] for n in added["note"]] == ["first", "second"]
    assert added["note"][1]["author"] == "jane"
    assert added["note"][1]["date"] == "2026-01-15T09:33:00.000Z"
    again = client.patch(url, json={"note": [*added["note"], {"text": "third"}]}).json()
    assert [n["text"] for n in again["note"]] == ["first", "second", "third"]
    edited = {**again["note"][0], "text": "rewritten"}
    refused = client.patch(url, json={"note": [edited]})
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("note[0]")
    assert client.get(url).json() == again


def test_patch_priority_retimes_and_server_fields_are_refused(client: TestClient) -> None:
    ticket = open_ticket(client, severity="minor")
    url = f"{TICKETS}/{ticket['id']}"
    assert ticket["priority"] == "P3"
    raised = client.patch(url, json={"severity": "critical"}).json()
    assert raised["priority"] == "P1"
    assert raised["sla"]["respondBy"] == "2026-01-15T09:45:00.000Z"
    for field in ("creationDate", "statusChange", "sla", "id"):
        response = client.patch(url, json={field: "x"})
        assert response.status_code == 400
        assert response.json()["message"].startswith(field)
    bad = client.patch(url, json={"priority": "P0"})
    assert bad.status_code == 400
    assert client.get(url).json() == raised


def test_delete_only_in_a_final_state(client: TestClient) -> None:
    ticket = open_ticket(client)
    url = f"{TICKETS}/{ticket['id']}"
    assert client.delete(url).status_code == 409
    client.patch(url, json={"status": "rejected"})
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert client.delete(url).status_code == 404


def test_hub_events_create_status_change_and_resolved(
    client: TestClient,
    platform: Platform,
    listener: Listener,  # noqa: F811
) -> None:
    base = "/tmf-api/troubleTicket/v4"
    assert client.post(f"{base}/hub", json={"callback": listener.url}).status_code == 201
    ticket = open_ticket(client)
    url = f"{TICKETS}/{ticket['id']}"
    client.patch(url, json={"status": "inProgress"})
    client.patch(url, json={"status": "resolved", "note": [{"text": "done"}]})
    platform.dispatcher.run_pending()
    assert listener.types() == [
        "TroubleTicketCreateEvent",
        "TroubleTicketStatusChangeEvent",
        "TroubleTicketStatusChangeEvent",
        "TroubleTicketResolvedEvent",
        "TroubleTicketAttributeValueChangeEvent",
    ]
    assert listener.events[3]["event"]["troubleTicket"]["status"] == "resolved"


def test_the_sla_filters_agree_with_the_sla_shown(client: TestClient, clock: FixedClock) -> None:
    # The same rule lives in SQL (filters) and in Python (the rendered sla): walk a day of
    # tickets in every state and check both give the same answer at each moment.
    made = [open_ticket(client, severity=s) for s in ("critical", "major", "minor", "warning")]
    clock.advance(timedelta(minutes=20))
    client.patch(f"{TICKETS}/{made[1]['id']}", json={"status": "inProgress"})
    clock.advance(timedelta(hours=1))
    client.patch(f"{TICKETS}/{made[2]['id']}", json={"status": "inProgress"})
    client.patch(f"{TICKETS}/{made[2]['id']}", json={"status": "resolved"})
    client.patch(f"{TICKETS}/{made[3]['id']}", json={"status": "cancelled"})
    for _ in range(12):
        documents = client.get(TICKETS).json()
        for flag in ("true", "false"):
            found = {t["id"] for t in client.get(TICKETS, params={"slaBreached": flag}).json()}
            shown = {t["id"] for t in documents if t["sla"]["breached"] is (flag == "true")}
            assert found == shown, (clock.now(), flag)
        near = {t["id"] for t in client.get(TICKETS, params={"slaDueWithin": "2h"}).json()}
        with_near = {t["id"] for t in client.get(TICKETS).json() if _near(t["sla"], 7200)}
        assert near == with_near, clock.now()
        clock.advance(timedelta(hours=2))


def _near(sla: dict, within: int) -> bool:
    left = [sla.get(f"{name}RemainingSeconds") for name in ("respond", "resolve")]
    running = [seconds for seconds in left if seconds is not None]
    return not sla["breached"] and any(0 <= seconds <= within for seconds in running)
