"""TMF642 over HTTP: listing (filters, fields, paging), retrieval, both base paths."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from alarm_helpers import clear, signal, store
from ossbss import bootstrap

BASE = "/tmf-api/alarmManagement/v4"
SPEC_BASE = "/tmf-api/alarm/v4"


@pytest.fixture
def three_alarms(platform: bootstrap.Platform) -> None:
    store(
        platform,
        signal("a", perceived_severity="critical"),
        signal("a", minute=1),
        signal(
            "b", perceived_severity="minor", alarmed_object_id="port-7", alarmed_object_type="Port"
        ),
        signal("c", alarmed_object_id=None, alarm_type="equipmentAlarm"),
    )
    store(platform, clear("c", minute=2))


@pytest.mark.usefixtures("three_alarms")
@pytest.mark.parametrize("base", [BASE, SPEC_BASE])
def test_list_filters_and_counts(client: TestClient, base: str) -> None:
    response = client.get(f"{base}/alarm")
    assert response.status_code == 200, response.text
    assert response.headers["X-Total-Count"] == "3"
    assert [a["reductionKey"] for a in response.json()] == ["c", "b", "a"]
    active = client.get(f"{base}/alarm", params={"state": "raised,updated"}).json()
    assert {a["reductionKey"] for a in active} == {"a", "b"}
    critical = client.get(f"{base}/alarm", params={"perceivedSeverity": "critical"}).json()
    assert [(a["reductionKey"], a["occurrenceCount"]) for a in critical] == [("a", 2)]
    on_port = client.get(f"{base}/alarm", params={"alarmedObject.id": "port-7"}).json()
    assert on_port[0]["alarmedObject"] == {"id": "port-7", "@referredType": "Port"}
    unresolved = client.get(f"{base}/alarm", params={"alarmedObjectResolved": "false"}).json()
    assert [(a["reductionKey"], a["state"]) for a in unresolved] == [("c", "cleared")]
    assert "alarmedObject" not in unresolved[0]


@pytest.mark.usefixtures("three_alarms")
def test_list_fields_and_paging(client: TestClient) -> None:
    response = client.get(f"{BASE}/alarm", params={"fields": "state", "limit": 2, "offset": 1})
    assert response.headers["X-Total-Count"] == "3"
    assert response.headers["X-Result-Count"] == "2"
    page = response.json()
    assert [sorted(item) for item in page] == [["href", "id", "state"]] * 2
    assert page[0]["href"].startswith("http://testserver" + BASE + "/alarm/")


@pytest.mark.usefixtures("three_alarms")
def test_bad_filter_names_the_field(client: TestClient) -> None:
    response = client.get(f"{BASE}/alarm", params={"isRootCause": "maybe"})
    assert response.status_code == 400
    assert "isRootCause" in response.text
    assert client.get(f"{BASE}/alarm", params={"colour": "red"}).status_code == 400


@pytest.mark.usefixtures("three_alarms")
def test_retrieve_one(client: TestClient) -> None:
    [listed] = client.get(f"{BASE}/alarm", params={"reductionKey": "a"}).json()
    for base in (BASE, SPEC_BASE):
        alarm = client.get(f"{base}/alarm/{listed['id']}").json()
        assert alarm["state"] == "raised"
        assert alarm["perceivedSeverity"] == "critical"
        assert alarm["plannedOutageIndicator"] == "inService"
        assert alarm["comment"] == []
        assert alarm["correlatedAlarm"] == []
    missing = client.get(f"{BASE}/alarm/nope")
    assert missing.status_code == 404


def test_a_flapping_alarm_is_listed_as_flapping(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    # the default rule: more than 5 raises and clears inside 10 minutes
    for minute in range(0, 8, 2):
        store(platform, signal("bouncy", minute=minute))
        store(platform, clear("bouncy", minute=minute + 1))
    flapping = client.get(f"{BASE}/alarm", params={"flapping": "true"}).json()
    assert [(a["reductionKey"], a["state"]) for a in flapping] == [("bouncy", "raised")]
    assert client.get(f"{BASE}/alarm", params={"state": "cleared"}).headers["X-Total-Count"] == "2"
