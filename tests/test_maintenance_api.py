"""Maintenance windows over HTTP (/assurance/v1/maintenanceWindow): validation, CRUD, and
``covering`` (what correlation asks) agreeing with them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ossbss import assurance, cli
from ossbss.bootstrap import Platform
from ossbss.kernel import parse_datetime

WINDOWS = "/assurance/v1/maintenanceWindow"
RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"


def _site(client: TestClient, name: str) -> str:
    response = client.post(RESOURCES, json={"@type": "Site", "name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _window(site: str, **extra: object) -> dict[str, object]:
    return {
        "name": "Fibre splice",
        "description": "planned work on the ring",
        "resources": [{"id": site}],
        "validFor": {
            "startDateTime": "2026-01-16T01:00:00Z",
            "endDateTime": "2026-01-16T03:00:00Z",
        },
        **extra,
    }


def _total(client: TestClient) -> int:
    return int(client.get(WINDOWS).headers["X-Total-Count"])


def test_create_read_list_patch_delete(client: TestClient, platform: Platform) -> None:
    site = _site(client, "Dublin 1")
    response = client.post(WINDOWS, json=_window(site))
    assert response.status_code == 201, response.text
    window = response.json()
    assert response.headers["Location"] == window["href"]
    assert window["resources"] == [{"id": site}]
    assert window["createdBy"] == "admin"
    assert client.get(window["href"]).json() == window
    inside = {"activeAt": "2026-01-16T02:00:00Z"}
    assert [w["id"] for w in client.get(WINDOWS, params=inside).json()] == [window["id"]]
    assert client.get(WINDOWS, params={"activeAt": "2026-01-16T03:00:00Z"}).json() == []
    assert client.get(WINDOWS, params={"resources.id": "other"}).json() == []
    with platform.database.unit_of_work(write=False) as session:
        at = parse_datetime("2026-01-16T02:59:59Z")
        assert assurance.covering(session, object_ids=[site, "x"], at=at)
        end = parse_datetime("2026-01-16T03:00:00Z")
        assert not assurance.covering(session, object_ids=[site], at=end)
    later = {"startDateTime": "2026-01-16T01:00:00Z", "endDateTime": "2026-01-16T05:00:00Z"}
    patched = client.patch(window["href"], json={"validFor": later})
    assert patched.status_code == 200
    assert patched.json()["validFor"]["endDateTime"] == "2026-01-16T05:00:00.000Z"
    assert patched.json()["name"] == "Fibre splice"
    assert client.delete(window["href"]).status_code == 204
    assert client.get(window["href"]).status_code == 404
    assert _total(client) == 0


def test_bad_windows_are_400_naming_the_field_and_change_nothing(client: TestClient) -> None:
    site = _site(client, "Cork 1")
    backwards = {"startDateTime": "2026-01-16T03:00:00Z", "endDateTime": "2026-01-16T01:00:00Z"}
    empty = {"startDateTime": "2026-01-16T03:00:00Z", "endDateTime": "2026-01-16T03:00:00Z"}
    cases = [
        (_window(site, validFor=backwards), "validFor.endDateTime"),
        (_window(site, validFor=empty), "validFor.endDateTime"),
        (_window(site, validFor={"startDateTime": "soon"}), "validFor.startDateTime"),
        (_window(site, validFor=None), "validFor"),
        (_window(site, resources=[{"id": "no-such-resource"}]), "resources[0].id"),
        (_window(site, resources=[]), "resources"),
        (_window(site, resources=[{"name": "x"}]), "resources[0].id"),
        (_window(site, name=""), "name"),
    ]
    for body, field in cases:
        response = client.post(WINDOWS, json=body)
        assert response.status_code == 400, (field, response.text)
        assert response.json()["message"].startswith(field), (field, response.json())
    assert _total(client) == 0
    window = client.post(WINDOWS, json=_window(site)).json()
    refused = client.patch(window["href"], json={"validFor": backwards})
    assert refused.status_code == 400
    assert client.patch(window["href"], json={"id": "x"}).status_code == 400
    assert client.get(window["href"]).json() == window
    assert client.get(f"{WINDOWS}/nope").status_code == 404


def test_readers_may_not_plan_windows(client: TestClient, platform: Platform) -> None:
    from conftest import key_for

    site = _site(client, "Galway 1")
    key = key_for(platform, "readonly")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.post(WINDOWS, json=_window(site), headers=headers).status_code == 403
    assert client.get(WINDOWS, headers=headers).status_code == 200


def test_the_cli_plans_lists_and_removes_windows(
    client: TestClient, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(client, "Limerick 1")
    monkeypatch.setenv("OSSBSS_DATABASE_URL", platform.settings.database_url)
    runner = CliRunner()
    period = ["--start", "2026-01-16T01:00:00Z", "--end", "2026-01-16T03:00:00Z"]
    added = runner.invoke(
        cli.app, ["assurance", "maintenance", "add", "Splice", *period, "--resource", site]
    )
    assert added.exit_code == 0, added.output
    window_id = added.output.split()[-1]
    assert client.get(f"{WINDOWS}/{window_id}").json()["createdBy"] == "cli"
    listed = runner.invoke(cli.app, ["assurance", "maintenance", "list"])
    assert window_id in listed.output
    assert "Splice" in listed.output
    backwards = ["--start", "2026-01-16T03:00:00Z", "--end", "2026-01-16T01:00:00Z"]
    bad = runner.invoke(
        cli.app, ["assurance", "maintenance", "add", "Oops", *backwards, "--resource", site]
    )
    assert bad.exit_code == 1
    assert "validFor.endDateTime" in bad.output
    removed = runner.invoke(cli.app, ["assurance", "maintenance", "remove", window_id])
    assert removed.exit_code == 0, removed.output
    assert _total(client) == 0
