"""TMF642 writes over HTTP: POST (de-dup), PATCH, DELETE, task resources, bad bodies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alarm_helpers import alarms
from conftest import key_for
from ossbss import bootstrap

BASE = "/tmf-api/alarmManagement/v4"
SPEC_BASE = "/tmf-api/alarm/v4"


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "alarmType": "equipmentAlarm",
        "perceivedSeverity": "major",
        "probableCause": "powerProblem",
        "specificProblem": "PSU 2 failed",
        "sourceSystemId": "ems-1",
        "state": "raised",
        "alarmRaisedTime": "2026-01-15T09:00:00Z",
        "alarmedObject": {"id": "dev-1", "@referredType": "Device"},
        "alarmDetails": "PSU 2 input lost",
    }
    body.update(overrides)
    return body


def _post(client: TestClient, base: str = BASE, **overrides: Any) -> Any:
    return client.post(f"{base}/alarm", json=_body(**overrides))


@pytest.mark.parametrize("base", [BASE, SPEC_BASE])
def test_post_creates_then_counts_duplicates(client: TestClient, base: str) -> None:
    created = _post(client, base)
    assert created.status_code == 201, created.text
    alarm = created.json()
    assert created.headers["Location"] == alarm["href"]
    assert alarm["state"] == "raised"
    assert alarm["sourceSystemId"] == "tmf642"
    assert alarm["alarmedObject"] == {"id": "dev-1", "@referredType": "Device"}
    assert alarm["alarmRaisedTime"] == "2026-01-15T09:00:00.000Z"
    assert alarm["occurrenceCount"] == 1
    again = _post(client, base, perceivedSeverity="critical")
    assert again.status_code == 200
    assert again.json()["id"] == alarm["id"]
    assert again.json()["occurrenceCount"] == 2
    assert (again.json()["state"], again.json()["perceivedSeverity"]) == ("updated", "critical")


def test_post_with_external_id_dedups_on_it(client: TestClient) -> None:
    first = _post(client, externalAlarmId="EMS-9").json()
    second = _post(client, externalAlarmId="EMS-9", specificProblem="other").json()
    assert first["id"] == second["id"]
    cleared = _post(client, externalAlarmId="EMS-9", perceivedSeverity="cleared")
    assert cleared.json()["state"] == "cleared"
    nothing = _post(client, externalAlarmId="EMS-9", perceivedSeverity="cleared")
    assert nothing.status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"perceivedSeverity": "apocalyptic"}, "perceivedSeverity"),
        ({"alarmType": "gossip"}, "alarmType"),
        ({"alarmRaisedTime": None}, "alarmRaisedTime"),
        ({"alarmedObject": "dev-1"}, "alarmedObject"),
    ],
)
def test_bad_post_names_the_field_and_stores_nothing(
    client: TestClient, platform: bootstrap.Platform, change: dict[str, Any], field: str
) -> None:
    body = _body(**change)
    if change.get("alarmRaisedTime", "") is None:
        del body["alarmRaisedTime"]
    response = client.post(f"{BASE}/alarm", json=body)
    assert response.status_code == 400, response.text
    assert field in response.text
    assert response.json()["@type"] == "Error"
    assert alarms(platform) == []


def test_readonly_may_read_but_not_write(
    app_client: TestClient, client: TestClient, platform: bootstrap.Platform
) -> None:
    headers = {"Authorization": f"Bearer {key_for(platform, 'readonly')}"}
    assert app_client.get(f"{BASE}/alarm", headers=headers).status_code == 200
    refused = app_client.post(f"{BASE}/alarm", json=_body(), headers=headers)
    assert refused.status_code == 403
    noc = {"Authorization": f"Bearer {key_for(platform, 'noc')}"}
    assert app_client.post(f"{BASE}/alarm", json=_body(), headers=noc).status_code == 201


def test_patch_acknowledges_comments_and_clears(client: TestClient) -> None:
    alarm_id = _post(client).json()["id"]
    url = f"{BASE}/alarm/{alarm_id}"
    acked = client.patch(url, json={"ackState": "acknowledged", "ackUserId": "jane"})
    assert acked.status_code == 200, acked.text
    assert (acked.json()["ackState"], acked.json()["ackUserId"]) == ("acknowledged", "jane")
    commented = client.patch(url, json={"comment": [{"comment": "on site at 10"}]})
    assert [c["comment"] for c in commented.json()["comment"]] == ["on site at 10"]
    refused = client.patch(url, json={"probableCause": "fire"})
    assert refused.status_code == 400
    assert "probableCause" in refused.text
    assert client.delete(url).status_code == 409  # still active
    cleared = client.patch(url, json={"perceivedSeverity": "cleared", "clearUserId": "jane"})
    assert cleared.json()["state"] == "cleared"
    assert cleared.json()["clearUserId"] == "jane"
    assert client.patch(url, json={"perceivedSeverity": "minor"}).status_code == 409
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def _three(client: TestClient) -> list[str]:
    return [
        _post(client, alarmedObject={"id": f"port-{n}", "@referredType": "Port"}).json()["id"]
        for n in range(3)
    ]


@pytest.mark.parametrize("base", [BASE, SPEC_BASE])
def test_ack_and_unack_tasks(client: TestClient, base: str) -> None:
    ids = _three(client)
    patterns = [{"id": ids[0]}, {"alarmedObject": {"id": "port-1"}}, {"id": "missing"}]
    body = {"ackUserId": "jane", "ackSystemId": "noc-ui", "alarmPattern": patterns}
    task = client.post(f"{base}/ackAlarms", json=body)
    assert task.status_code == 201, task.text
    document = task.json()
    assert document["state"] == "done"
    assert {ref["id"] for ref in document["ackedAlarm"]} == {ids[0], ids[1]}
    assert document["skippedAlarm"][0]["id"] == "missing"
    assert document["skippedAlarm"][0]["reason"] == "notFound"
    again = client.post(f"{base}/ackAlarms", json=body).json()
    assert again["ackedAlarm"] == []
    assert {s["reason"] for s in again["skippedAlarm"]} == {"alreadyAcknowledged", "notFound"}
    fetched = client.get(f"{base}/ackAlarms/{document['id']}")
    assert fetched.json()["ackedAlarm"] == document["ackedAlarm"]
    acked = client.get(f"{base}/alarm", params={"ackState": "acknowledged"}).json()
    assert len(acked) == 2
    un = client.post(f"{base}/unAckAlarms", json={**body, "alarmPattern": [{"id": ids[1]}]})
    assert [ref["id"] for ref in un.json()["unAckedAlarm"]] == [ids[1]]


def test_clear_comment_group_and_ungroup_tasks(client: TestClient) -> None:
    root, a, b = _three(client)
    grouped = client.post(
        f"{BASE}/groupAlarms",
        json={
            "sourceSystemId": "noc-ui",
            "alarmChangedTime": "2026-01-15T09:31:00Z",
            "parentAlarm": {"id": root},
            "correlatedAlarm": [{"id": a}, {"id": b}],
        },
    )
    assert grouped.status_code == 201, grouped.text
    assert {ref["id"] for ref in grouped.json()["groupedAlarm"]} == {a, b}
    parent = client.get(f"{BASE}/alarm/{root}").json()
    assert parent["isRootCause"] is True
    assert {ref["id"] for ref in parent["correlatedAlarm"]} == {a, b}
    child = client.get(f"{BASE}/alarm/{a}").json()
    assert child["parentAlarm"][0]["id"] == root
    assert len(client.get(f"{BASE}/alarm", params={"parentAlarm.id": root}).json()) == 2
    ungrouped = client.post(
        f"{BASE}/unGroupAlarms",
        json={
            "sourceSystemId": "noc-ui",
            "alarmChangedTime": "2026-01-15T09:32:00Z",
            "parentAlarm": {"id": root},
            "correlatedAlarm": [{"id": b}],
        },
    )
    assert [ref["id"] for ref in ungrouped.json()["unGroupedAlarm"]] == [b]
    commented = client.post(
        f"{BASE}/commentAlarms",
        json={"comment": {"comment": "fibre cut", "userId": "jane"}, "alarmPattern": [{"id": a}]},
    )
    assert [ref["id"] for ref in commented.json()["commentedAlarm"]] == [a]
    assert client.get(f"{BASE}/alarm/{a}").json()["comment"][0]["comment"] == "fibre cut"
    cleared = client.post(
        f"{BASE}/clearAlarms",
        json={
            "clearUserId": "jane",
            "clearSystemId": "noc-ui",
            "alarmClearedTime": "2026-01-15T09:40:00Z",
            "alarmPattern": [{"alarmType": "equipmentAlarm", "state": "raised"}],
        },
    )
    assert {ref["id"] for ref in cleared.json()["clearedAlarm"]} == {root, a, b}
    assert client.get(f"{BASE}/alarm", params={"state": "cleared"}).headers["X-Total-Count"] == "3"


def test_bad_task_body_names_the_field_and_changes_nothing(client: TestClient) -> None:
    [alarm_id, *_] = _three(client)
    response = client.post(
        f"{BASE}/ackAlarms", json={"ackSystemId": "x", "alarmPattern": [{"id": alarm_id}]}
    )
    assert response.status_code == 400
    assert "ackUserId" in response.text
    bad_pattern = client.post(
        f"{BASE}/ackAlarms",
        json={"ackSystemId": "x", "ackUserId": "y", "alarmPattern": [{"colour": "red"}]},
    )
    assert bad_pattern.status_code == 400
    assert "alarmPattern[0].colour" in bad_pattern.text
    assert client.get(f"{BASE}/alarm", params={"ackState": "acknowledged"}).json() == []
    assert client.get(f"{BASE}/ackAlarms").json() == []


@pytest.fixture
def running_pipeline(platform: bootstrap.Platform) -> Iterator[None]:
    platform.alarm_pipeline.start()
    yield
    platform.alarm_pipeline.stop()


@pytest.mark.usefixtures("running_pipeline")
def test_post_through_the_running_pipeline(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    created = _post(client, comment=[{"comment": "seen by EMS", "userId": "ems"}])
    assert created.status_code == 201, created.text
    assert created.json()["comment"][0]["comment"] == "seen by EMS"
    again = _post(client, perceivedSeverity="critical")
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["occurrenceCount"]) == (created.json()["id"], 2)
    cleared = _post(client, perceivedSeverity="cleared")
    assert (cleared.status_code, cleared.json()["state"]) == (200, "cleared")
    assert _post(client, perceivedSeverity="cleared").status_code == 409
    bad = _post(client, alarmType="gossip")
    assert bad.status_code == 400
    assert platform.alarm_pipeline.status()["stored"] == 4
