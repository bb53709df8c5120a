"""Topology over links, CSV import (service and CLI), and the public service functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ossbss import inventory
from ossbss.bootstrap import Platform
from ossbss.cli import app
from ossbss.kernel import InvalidInput, InvalidStateTransition, NotFound
from test_inventory_api import RES, device, link_body, port, post, site

DEVICES = """name,vendor,model,managementAddress,netconfPort,site
bng1,Juniper,MX204,192.0.2.1:830,830,POP Berlin
agg1,Nokia,7750 SR-1,agg1.example.net,,POP Berlin
olt1,Huawei,MA5800,[2001:db8::7]:22,,
"""
PORTS = """device,name,role
bng1,ge-0/0/0,uplink
agg1,ge-0/0/0,uplink
agg1,ge-0/0/1,access
olt1,xe-0/0/0,uplink
"""
LINKS = """aDevice,aPort,bDevice,bPort
bng1,ge-0/0/0,agg1,ge-0/0/0
agg1,ge-0/0/1,olt1,xe-0/0/0
"""


def run(platform: Platform, work: Any) -> Any:
    with platform.database.unit_of_work() as session:
        return work(session, platform.clock.now())


def load(platform: Platform, kind: str, text: str) -> inventory.ImportReport:
    return run(platform, lambda s, now: inventory.import_csv(s, kind=kind, text=text, now=now))


def ids_by_name(client: TestClient, type_: str) -> dict[str, str]:
    return {item["name"]: item["id"] for item in client.get(RES, params={"@type": type_}).json()}


def test_import_devices_ports_and_links_then_walk_the_topology(
    platform: Platform, client: TestClient
) -> None:
    site(client, "POP Berlin")
    assert load(platform, "devices", DEVICES).created == 3
    assert load(platform, "ports", PORTS).created == 4
    report = load(platform, "links", LINKS)
    assert (report.kind, report.created, len(report.ids)) == ("links", 2, 2)
    devices = ids_by_name(client, "Device")
    bng, agg, olt = devices["bng1"], devices["agg1"], devices["olt1"]
    stored = client.get(f"{RES}/{bng}").json()
    assert stored["place"]["id"] == ids_by_name(client, "Site")["POP Berlin"]
    with platform.database.unit_of_work(write=False) as session:
        assert inventory.neighbours(session, device_id=agg) == [bng, olt]
        assert inventory.neighbours(session, device_id=olt) == [agg]
        assert inventory.path(session, from_device=bng, to_device=olt) == [bng, agg, olt]
        assert inventory.path(session, from_device=olt, to_device=olt) == [olt]
        ports = inventory.ports_of(session, device_id=agg)
        assert [(p.name, p.role) for p in ports] == [("ge-0/0/0", "uplink"), ("ge-0/0/1", "access")]
        assert inventory.get_resource(session, resource_id=bng)["name"] == "bng1"


def test_path_is_shortest_and_empty_when_unreachable(
    client: TestClient, platform: Platform
) -> None:
    # a ring a-b-c-d-a and an island e
    names = "abcde"
    devices = {name: device(client, name) for name in names}
    ports = {
        (x, y): port(client, devices[x], f"to-{y}")
        for x, y in ("ab", "ba", "bc", "cb", "cd", "dc", "da", "ad")
    }
    for x, y in ("ab", "bc", "cd", "da"):
        post(client, RES, link_body(ports[(x, y)], ports[(y, x)], f"{x}-{y}"))
    site_id = site(client)
    with platform.database.unit_of_work(write=False) as session:
        route = inventory.path(session, from_device=devices["a"], to_device=devices["c"])
        assert len(route) == 3
        assert route[0] == devices["a"]
        assert route[-1] == devices["c"]
        assert inventory.path(session, from_device=devices["a"], to_device=devices["d"]) == [
            devices["a"],
            devices["d"],
        ]
        assert inventory.path(session, from_device=devices["a"], to_device=devices["e"]) == []
        assert inventory.neighbours(session, device_id=devices["e"]) == []
        with pytest.raises(NotFound):
            inventory.neighbours(session, device_id="nope")
        with pytest.raises(InvalidInput):
            inventory.ports_of(session, device_id=site_id)


def test_one_bad_row_imports_nothing_and_every_bad_row_is_named(
    platform: Platform, client: TestClient
) -> None:
    text = """name,vendor,model,managementAddress,netconfPort,site
ok1,Juniper,MX204,192.0.2.1,,
bad1,,MX204,192.0.2.2,,
bad2,Juniper,MX204,not an address!,,
bad3,Juniper,MX204,192.0.2.4,70000,
bad4,Juniper,MX204,192.0.2.5,,Nowhere
,Juniper,MX204,192.0.2.6,,
"""
    with pytest.raises(inventory.ImportFailed) as info:
        load(platform, "devices", text)
    problems = [(p.row, p.field) for p in info.value.problems]
    assert problems == [
        (3, "vendor"),
        (4, "managementAddress"),
        (5, "netconfPort"),
        (6, "site"),
        (7, "name"),
    ]
    assert "row 3 vendor" in info.value.message
    assert client.get(RES).headers["X-Total-Count"] == "0"


@pytest.mark.parametrize(
    ("kind", "text", "problem"),
    [
        ("devices", "name,vendor\nx,y\n", "missing managementAddress, model"),
        ("ports", "device,name,colour\n", "unknown colour"),
        ("ports", "device,name\nnope,ge-0\n", "no device 'nope'"),
        ("links", "aDevice,aPort,bDevice,bPort\n", "no data rows"),
    ],
)
def test_bad_files(platform: Platform, kind: str, text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as info:
        load(platform, kind, text)
    assert problem in info.value.message


def test_duplicate_ports_within_one_file_are_caught(platform: Platform, client: TestClient) -> None:
    device(client, "bng1")
    with pytest.raises(inventory.ImportFailed) as info:
        load(platform, "ports", "device,name\nbng1,ge-0/0/0\nbng1,ge-0/0/0\n")
    assert [(p.row, p.field) for p in info.value.problems] == [(3, "name")]


def test_the_cli_imports_a_file_or_nothing(
    platform: Platform, client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OSSBSS_DATABASE_URL", platform.settings.database_url)
    runner = CliRunner()
    site(client, "POP Berlin")
    devices = tmp_path / "devices.csv"
    devices.write_text(DEVICES)
    result = runner.invoke(app, ["inventory", "import", "devices", str(devices)])
    assert result.exit_code == 0, result.output
    assert "imported 3 devices" in result.output
    ports = tmp_path / "ports.csv"
    ports.write_text(PORTS + "ghost,ge-0/0/9,\n")
    result = runner.invoke(app, ["inventory", "import", "ports", str(ports)])
    assert result.exit_code == 2
    assert "row 6 device" in result.output
    assert client.get(RES, params={"@type": "Port"}).headers["X-Total-Count"] == "0"
    assert runner.invoke(app, ["inventory", "import", "sites", str(ports)]).exit_code != 0


def test_service_functions_for_other_rooms(platform: Platform, client: TestClient) -> None:
    device_id = device(client, "bng1")
    body = {
        "name": "internet 1G",
        "category": "RFS",
        "state": "reserved",
        "serviceSpecification": {"id": "spec-1"},
        "supportingResource": [{"id": device_id, "@referredType": "Device"}],
        "serviceCharacteristic": [{"name": "bandwidth", "value": "1G"}],
    }
    made = run(platform, lambda s, now: inventory.create_service(s, document=body, now=now))
    service_id = made["id"]
    updated = run(
        platform,
        lambda s, now: inventory.update_service(
            s, service_id=service_id, changes={"state": "active"}, now=now
        ),
    )
    assert updated["state"] == "active"
    with platform.database.unit_of_work(write=False) as session:
        assert inventory.get_service(session, service_id=service_id) == updated
    with pytest.raises(InvalidStateTransition) as info:
        run(
            platform,
            lambda s, now: inventory.update_service(
                s, service_id=service_id, changes={"state": "feasibilityChecked"}, now=now
            ),
        )
    assert "from active to feasibilityChecked" in info.value.message
    with pytest.raises(NotFound):
        run(platform, lambda s, _now: inventory.get_service(s, service_id="nope"))
    assert client.get(f"/tmf-api/serviceInventory/v4/service/{service_id}").json() == {
        **updated,
        "href": f"http://testserver/tmf-api/serviceInventory/v4/service/{service_id}",
    }
