"""Hub subscriptions and notifications POSTed to a real HTTP listener on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from ossbss.bootstrap import Platform
from ossbss.kernel import FixedClock, backoff

PARTY = "/tmf-api/party/v4"


class Listener:
    """A real HTTP server that records event bodies; it can be told to fail first."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.fail_next = 0
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if listener.fail_next > 0:
                    listener.fail_next -= 1
                    self.send_response(503)
                else:
                    listener.events.append(body)
                    self.send_response(201)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/listener"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def types(self) -> list[str]:
        return [event["eventType"] for event in self.events]


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def subscribe(client: TestClient, listener: Listener, query: str = "") -> dict:
    response = client.post(f"{PARTY}/hub", json={"callback": listener.url, "query": query})
    assert response.status_code == 201, response.text
    return response.json()


def test_register_and_unregister(client: TestClient, listener: Listener) -> None:
    subscription = subscribe(client, listener)
    assert subscription["callback"] == listener.url
    assert client.delete(f"{PARTY}/hub/{subscription['id']}").status_code == 204
    assert client.delete(f"{PARTY}/hub/{subscription['id']}").status_code == 404


def test_a_bad_callback_is_refused(client: TestClient) -> None:
    response = client.post(f"{PARTY}/hub", json={"callback": "not a url"})
    assert response.status_code == 400
    assert "callback" in response.json()["message"]


def test_nul_characters_are_refused_not_a_server_error(client: TestClient) -> None:
    # PostgreSQL text cannot hold U+0000: it used to surface as a 500 there.
    body = {"callback": "http://example.com/cb", "query": "eventType=a\u0000"}
    response = client.post(f"{PARTY}/hub", json=body)
    assert response.status_code == 400
    assert client.delete(f"{PARTY}/hub/a%00b").status_code == 404


def test_create_change_state_change_and_delete_are_notified(
    client: TestClient, platform: Platform, listener: Listener
) -> None:
    subscribe(client, listener)
    person = client.post(f"{PARTY}/individual", json={"givenName": "A", "familyName": "B"}).json()
    url = f"{PARTY}/individual/{person['id']}"
    client.patch(url, json={"gender": "female"})
    client.patch(url, json={"status": "validated"})
    client.delete(url)
    platform.dispatcher.run_pending()
    assert listener.types() == [
        "IndividualCreateEvent",
        "IndividualAttributeValueChangeEvent",
        "IndividualStateChangeEvent",
        "IndividualDeleteEvent",
    ]
    created = listener.events[0]
    assert created["event"]["individual"]["id"] == person["id"]
    assert created["event"]["individual"]["href"] == person["href"]
    assert created["eventId"]
    assert created["eventTime"]
    assert created["domain"] == "party"
    assert listener.events[2]["event"]["individual"]["status"] == "validated"


def test_the_query_filters_what_a_subscriber_receives(
    client: TestClient, platform: Platform, listener: Listener
) -> None:
    subscribe(client, listener, query="eventType=IndividualStateChangeEvent")
    person = client.post(f"{PARTY}/individual", json={"givenName": "A", "familyName": "B"}).json()
    client.patch(f"{PARTY}/individual/{person['id']}", json={"status": "validated"})
    platform.dispatcher.run_pending()
    assert listener.types() == ["IndividualStateChangeEvent"]


def test_query_on_resource_attributes(
    client: TestClient, platform: Platform, listener: Listener
) -> None:
    subscribe(client, listener, query="event.individual.familyName=Wanted")
    client.post(f"{PARTY}/individual", json={"givenName": "A", "familyName": "Other"})
    client.post(f"{PARTY}/individual", json={"givenName": "A", "familyName": "Wanted"})
    platform.dispatcher.run_pending()
    assert [e["event"]["individual"]["familyName"] for e in listener.events] == ["Wanted"]


def test_a_failing_subscriber_gets_the_event_later(
    client: TestClient, platform: Platform, clock: FixedClock, listener: Listener
) -> None:
    subscribe(client, listener)
    listener.fail_next = 2
    client.post(f"{PARTY}/individual", json={"givenName": "A", "familyName": "B"})
    platform.dispatcher.run_pending()
    assert listener.events == []
    clock.advance(backoff(1))
    platform.dispatcher.run_pending()
    assert listener.events == []
    clock.advance(backoff(2))
    platform.dispatcher.run_pending()
    assert listener.types() == ["IndividualCreateEvent"]


def test_other_apis_events_do_not_reach_this_hub(
    client: TestClient, platform: Platform, listener: Listener
) -> None:
    response = client.post("/tmf-api/customerManagement/v4/hub", json={"callback": listener.url})
    assert response.status_code == 201
    client.post(f"{PARTY}/individual", json={"givenName": "A", "familyName": "B"})
    platform.dispatcher.run_pending()
    assert listener.events == []


def test_without_subscribers_writes_leave_the_outbox_empty(
    client: TestClient, platform: Platform, listener: Listener
) -> None:
    from sqlalchemy import func, select

    from ossbss.kernel import OutboxMessage

    def outbox_rows() -> int:
        with platform.database.unit_of_work(write=False) as session:
            return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0

    client.post(f"{PARTY}/individual", json={"givenName": "A", "familyName": "B"})
    assert outbox_rows() == 0
    subscribe(client, listener)
    client.post(f"{PARTY}/individual", json={"givenName": "A", "familyName": "C"})
    assert outbox_rows() == 1
