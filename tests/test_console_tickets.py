"""The ticket pages over HTTP as a signed-in user: the queue (most urgent first, SLA
countdowns, breached highlighted, filters), one ticket with its notes, status history, linked
alarm and customer, notes and status moves through TMF621's PATCH rules (a refused move is
409 with the reason; readonly and a missing CSRF token change nothing)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from console_helpers import post_form, sign_in, staff_user
from correlation_world import customer
from ossbss import bootstrap
from ossbss.kernel import FixedClock
from tickets_world import TICKETS, add_alarm, open_ticket


def queue_ids(html: str) -> list[str]:
    return re.findall(r'data-ticket-id="([^"]+)"', html)


def row_of(html: str, ticket_id: str) -> str:
    return html.split(f'data-ticket-id="{ticket_id}"')[1].split("</tr>")[0]


def test_the_queue_puts_the_most_urgent_first_with_sla_countdowns(
    platform: bootstrap.Platform, client: TestClient, clock: FixedClock
) -> None:
    minor = open_ticket(client, severity="minor", name="Slow line")  # P3: 2h / 24h
    critical = open_ticket(client, severity="critical", name="Town offline")  # P1: 15m / 4h
    major = open_ticket(client, severity="major", name="Flapping port")  # P2: 30m / 8h
    done = open_ticket(client, severity="critical", name="Old news")
    client.patch(f"{TICKETS}/{done['id']}", json={"status": "cancelled"}).raise_for_status()
    clock.advance(timedelta(minutes=20))
    sign_in(client, staff_user(platform, "csr", "carol"))

    page = client.get("/tickets")
    assert page.status_code == 200
    assert queue_ids(page.text) == [critical["id"], major["id"], minor["id"]]
    urgent = row_of(page.text, critical["id"])
    assert f'<tr class="ticket breached" data-ticket-id="{critical["id"]}"' in page.text
    assert '<span class="sla breached">overdue 5m</span>' in urgent  # respond: 15m, 20m ago
    assert "3h 40m left" in urgent  # resolve: 4h
    assert '<span class="sla near">10m left</span>' in row_of(page.text, major["id"])
    assert "1h 40m left" in row_of(page.text, minor["id"])
    assert "1 open ticket past a due time" in page.text
    due = page.text.split("Due within the hour:")[1].split("</ul>")[0]
    assert "Flapping port" in due  # respond in 10m
    assert "Town offline" not in due  # already missed: counted above

    assert queue_ids(client.get("/tickets", params={"priority": "P2"}).text) == [major["id"]]
    assert queue_ids(client.get("/tickets", params={"breached": "true"}).text) == [critical["id"]]
    assert queue_ids(client.get("/tickets", params={"status": "cancelled"}).text) == [done["id"]]
    assert client.get("/tickets", params={"status": "lost"}).status_code == 400


def test_the_ticket_page_links_its_alarm_and_customer_and_shows_its_sla(
    platform: bootstrap.Platform, client: TestClient, clock: FixedClock
) -> None:
    add_alarm(platform, alarm_id="alarm-7", at=clock.now())
    customer_id, _ = customer(client, "Ada Lovelace")
    ticket = open_ticket(
        client,
        name="Outage",
        relatedEntity=[{"id": "alarm-7", "@referredType": "Alarm", "role": "rootCause"}],
        relatedParty=[{"id": customer_id, "@referredType": "Customer", "role": "customer"}],
    )
    sign_in(client, staff_user(platform, "noc", "nora"))
    page = client.get(f"/tickets/{ticket['id']}")
    assert page.status_code == 200
    assert 'href="/noc/alarms/alarm-7"' in page.text
    assert f'<a href="/customers/{customer_id}">Ada Lovelace</a>' in page.text
    assert "30m left" in page.text  # a major ticket: P2, respond within 30 minutes
    moves = re.findall(r'<option value="([^"]+)">', page.text)
    assert moves == ["inProgress", "cancelled", "rejected"]
    assert client.get("/tickets/nope").status_code == 404


def test_a_note_and_an_allowed_move_change_the_ticket_as_tmf621_does(
    platform: bootstrap.Platform, client: TestClient, clock: FixedClock
) -> None:
    ticket = open_ticket(client)
    sign_in(client, staff_user(platform, "noc", "nora"))
    url = f"/tickets/{ticket['id']}"
    answer = post_form(client, f"{url}/notes", {"note": "Called the customer"}, page=url)
    assert answer.status_code == 303  # type: ignore[attr-defined]
    clock.advance(timedelta(minutes=5))
    answer = post_form(
        client, f"{url}/status", {"status": "inProgress", "reason": "on it"}, page=url
    )
    assert answer.status_code == 303  # type: ignore[attr-defined]
    stored = client.get(f"{TICKETS}/{ticket['id']}").json()
    assert [(n["text"], n["author"]) for n in stored["note"]] == [("Called the customer", "nora")]
    assert stored["status"] == "inProgress"
    assert stored["statusChange"][-1]["changeReason"] == "on it"
    assert stored["sla"]["respondedAt"]  # taking it up met the respond clock
    page = client.get(url)
    assert "Moved to inProgress" in page.text
    assert "Called the customer" in page.text
    assert re.search(
        r"badge inprogress\">inProgress</span> <small[^>]*>[^<]+</small> — on it", page.text
    )


def test_a_move_the_lifecycle_refuses_is_409_with_the_reason(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    ticket = open_ticket(client)
    sign_in(client, staff_user(platform, "csr", "carol"))
    url = f"/tickets/{ticket['id']}"
    answer = post_form(client, f"{url}/status", {"status": "closed"}, page=url)
    assert answer.status_code == 409  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert "cannot go from acknowledged to closed" in text
    assert 'role="alert"' in text
    assert client.get(f"{TICKETS}/{ticket['id']}").json()["status"] == "acknowledged"
    empty = post_form(client, f"{url}/notes", {"note": ""}, page=url)
    assert empty.status_code == 400  # type: ignore[attr-defined]


def test_readonly_and_forged_posts_change_nothing(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    ticket = open_ticket(client)
    url = f"/tickets/{ticket['id']}"
    sign_in(client, staff_user(platform, "readonly", "rita"))
    assert client.get(url).status_code == 200
    assert post_form(client, f"{url}/notes", {"note": "hi"}, page=url).status_code == 403  # type: ignore[attr-defined]
    moved = post_form(client, f"{url}/status", {"status": "inProgress"}, page=url)
    assert moved.status_code == 403  # type: ignore[attr-defined]
    sign_in(client, staff_user(platform, "billing", "bill"))
    assert post_form(client, f"{url}/notes", {"note": "hi"}, page=url).status_code == 403  # type: ignore[attr-defined]
    sign_in(client, staff_user(platform, "noc", "nora"))
    forged = client.post(f"{url}/notes", data={"note": "hi"}, follow_redirects=False)
    assert forged.status_code == 403
    stored = client.get(f"{TICKETS}/{ticket['id']}").json()
    assert stored["status"] == "acknowledged"
    assert stored.get("note", []) == []
