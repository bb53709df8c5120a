"""The RADIUS driver against a real FreeRADIUS reading the test database, and a NAS simulator.

FreeRADIUS (rlm_sql on our tables) runs on the session's database, SQLite or PostgreSQL per
``OSSBSS_TEST_DATABASE_URL``; the real ``radclient`` asks it what a NAS would be told.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from driver_contract import DriverContract, Scenario, request
from ossbss import bootstrap
from ossbss.cli import app
from ossbss.lab.nas import NasSimulator
from ossbss.lab.peers import RunningPeer, free_port, pid_alive
from ossbss.provisioning.drivers.radius import SPEC, RadiusDriver
from ossbss.provisioning.radius_tables import (
    RadAcct,
    RadCheck,
    RadGroupReply,
    RadReply,
    RadUserGroup,
)
from radius_helpers import (
    COA_SECRET,
    SECRET,
    RadclientElement,
    authenticate,
    ipv4_for,
    params_from,
    password_for,
    radclient,
    username_for,
)


@pytest.fixture
def driver(
    radius_database: bootstrap.Platform, freeradius: RunningPeer, nas: NasSimulator
) -> Iterator[RadiusDriver]:
    driver = RadiusDriver(
        radius_database.database,
        coa_secret=COA_SECRET,
        coa_port=nas.port,
        coa_timeout=0.3,
        coa_retries=2,
    )
    yield driver
    driver.close()
    with radius_database.database.unit_of_work() as session:
        for table in (RadAcct, RadCheck, RadReply, RadUserGroup, RadGroupReply):
            session.execute(delete(table))


@pytest.fixture
def element(auth_port: int) -> RadclientElement:
    return RadclientElement(auth_port, SECRET)


@pytest.fixture
def service_id() -> str:
    return f"svc-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def scenario(service_id: str) -> Scenario:
    initial = {
        "username": username_for(service_id),
        "password": password_for(service_id),
        "ipv4Address": ipv4_for(service_id),
        "ipv6Prefix": "2001:db8:40::/56",
        "rateDownKbps": "50000",
        "rateUpKbps": "10000",
    }
    return Scenario(
        spec=SPEC,
        initial=initial,
        changed={**initial, "rateDownKbps": "300000", "rateUpKbps": "50000"},
        refused={**initial, "ipv4Address": "10.0.0.256"},
    )


class TestRadiusDriverContract(DriverContract):
    """The shared driver contract, observed through FreeRADIUS with radclient."""


# -- what FreeRADIUS answers ---------------------------------------------------------------


def test_accept_carries_the_address_prefix_and_rate(
    driver: RadiusDriver, scenario: Scenario, service_id: str, auth_port: int
) -> None:
    assert driver.execute(request(scenario, service_id, "add", scenario.initial)).ok
    answer = authenticate(auth_port, SECRET, username_for(service_id), password_for(service_id))
    assert answer.code == "Access-Accept"
    assert answer.attributes["Framed-IP-Address"] == scenario.initial["ipv4Address"]
    assert answer.attributes["Delegated-IPv6-Prefix"] == "2001:db8:40::/56"
    assert answer.attributes["Mikrotik-Rate-Limit"] == "10000k/50000k"
    assert answer.attributes["WISPr-Bandwidth-Max-Down"] == "50000000"
    assert answer.attributes["WISPr-Bandwidth-Max-Up"] == "10000000"
    wrong = authenticate(auth_port, SECRET, username_for(service_id), "not-the-password")
    assert wrong.code == "Access-Reject"


def test_suspended_is_walled_garden_and_deleted_is_rejected(
    driver: RadiusDriver, scenario: Scenario, service_id: str, auth_port: int
) -> None:
    username, password = username_for(service_id), password_for(service_id)
    assert driver.execute(request(scenario, service_id, "add", scenario.initial)).ok
    suspend = request(scenario, service_id, "suspend", scenario.initial, scenario.initial)
    assert driver.execute(suspend).ok
    assert driver.execute(suspend).ok  # idempotent
    walled = authenticate(auth_port, SECRET, username, password)
    assert walled.code == "Access-Accept"
    assert walled.attributes["Filter-Id"] == "walled-garden"
    assert walled.attributes["Mikrotik-Rate-Limit"] == "256k/256k"
    assert "Framed-IP-Address" not in walled.attributes
    assert driver.execute(request(scenario, service_id, "resume", scenario.initial)).ok
    resumed = authenticate(auth_port, SECRET, username, password)
    assert params_from(resumed, username, password) == dict(scenario.initial)
    assert "Filter-Id" not in resumed.attributes
    delete_ = request(scenario, service_id, "delete", scenario.initial, scenario.initial)
    assert driver.execute(delete_).ok
    assert authenticate(auth_port, SECRET, username, password).code == "Access-Reject"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("username", "o'brien"),
        ("username", "a+b"),
        ("password", ""),
        ("ipv6Prefix", "2001:db8::/200"),
        ("rateDownKbps", "fast"),
        ("rateUpKbps", "0"),
    ],
)
def test_params_freeradius_cannot_serve_are_refused(
    driver: RadiusDriver, scenario: Scenario, service_id: str, name: str, value: str
) -> None:
    result = driver.execute(request(scenario, service_id, "add", {**scenario.initial, name: value}))
    assert not result.ok
    assert name in result.message or "missing" in result.message


def test_undo_of_suspend_and_delete_put_the_subscriber_back(
    driver: RadiusDriver, element: RadclientElement, scenario: Scenario, service_id: str
) -> None:
    assert driver.execute(request(scenario, service_id, "add", scenario.initial)).ok
    suspend = request(scenario, service_id, "suspend", scenario.initial, scenario.initial)
    assert driver.execute(suspend).ok
    assert driver.undo(suspend).ok
    assert not element.observe(service_id).suspended
    delete_ = request(scenario, service_id, "delete", scenario.initial, scenario.initial)
    assert driver.execute(delete_).ok
    assert driver.undo(delete_).ok
    assert element.observe(service_id).params == dict(scenario.initial)


def test_a_username_of_another_service_is_refused(
    driver: RadiusDriver, scenario: Scenario, service_id: str, auth_port: int
) -> None:
    assert driver.execute(request(scenario, service_id, "add", scenario.initial)).ok
    other = {**scenario.initial, "ipv4Address": ipv4_for(service_id, "other")}
    result = driver.execute(request(scenario, "svc-other", "add", other))
    assert not result.ok
    assert "belongs to service" in result.message
    # Undo of the refused add leaves the first service alone.
    assert driver.undo(request(scenario, "svc-other", "add", other)).ok
    answer = authenticate(auth_port, SECRET, username_for(service_id), password_for(service_id))
    assert answer.code == "Access-Accept"


# -- accounting and live sessions (RFC 5176) -------------------------------------------------


def _start_session(acct_port: int, service_id: str, session_id: str, ipv4: str) -> None:
    answer = radclient(
        acct_port,
        SECRET,
        "acct",
        {
            "User-Name": f'"{username_for(service_id)}"',
            "Acct-Status-Type": "Start",
            "Acct-Session-Id": f'"{session_id}"',
            "NAS-IP-Address": "127.0.0.1",
            "NAS-Port": "7",
            "Framed-IP-Address": ipv4,
        },
    )
    assert answer.code == "Accounting-Response"


@pytest.fixture
def online(
    driver: RadiusDriver,
    scenario: Scenario,
    service_id: str,
    acct_port: int,
    radius_database: bootstrap.Platform,
) -> str:
    """An added subscriber with an open accounting session; returns the Acct-Session-Id."""
    assert driver.execute(request(scenario, service_id, "add", scenario.initial)).ok
    session_id = f"acct-{service_id[-8:]}"
    _start_session(acct_port, service_id, session_id, scenario.initial["ipv4Address"])
    return session_id


def test_accounting_start_and_stop_land_in_radacct(
    online: str, service_id: str, acct_port: int, radius_database: bootstrap.Platform
) -> None:
    with radius_database.database.unit_of_work(write=False) as session:
        row = session.scalars(select(RadAcct).where(RadAcct.acctsessionid == online)).one()
        assert row.username == username_for(service_id)
        assert row.nasipaddress == "127.0.0.1"
        assert row.nasportid == "7"
        assert row.acctstoptime is None
        assert isinstance(row.acctstarttime, datetime)
        assert row.acctstarttime.tzinfo is not None
        assert len(row.acctuniqueid) == 32
    stop = radclient(
        acct_port,
        SECRET,
        "acct",
        {
            "User-Name": f'"{username_for(service_id)}"',
            "Acct-Status-Type": "Stop",
            "Acct-Session-Id": f'"{online}"',
            "NAS-IP-Address": "127.0.0.1",
            "NAS-Port": "7",
            "Acct-Session-Time": "42",
            "Acct-Input-Octets": "1000",
            "Acct-Output-Octets": "2000",
        },
    )
    assert stop.code == "Accounting-Response"
    with radius_database.database.unit_of_work(write=False) as session:
        row = session.scalars(select(RadAcct).where(RadAcct.acctsessionid == online)).one()
        assert row.acctstoptime is not None
        assert (row.acctsessiontime, row.acctinputoctets, row.acctoutputoctets) == (42, 1000, 2000)


def test_speed_change_of_an_online_subscriber_sends_a_coa(
    driver: RadiusDriver, scenario: Scenario, service_id: str, online: str, nas: NasSimulator
) -> None:
    modify = request(scenario, service_id, "modify", scenario.changed, scenario.initial)
    result = driver.execute(modify)
    assert result.ok, result.message
    (coa,) = nas.requests("CoA")
    assert coa.first("User-Name") == username_for(service_id)
    assert coa.first("Acct-Session-Id") == online
    assert coa.first("Mikrotik-Rate-Limit") == "50000k/300000k"
    assert coa.first("WISPr-Bandwidth-Max-Down") == "300000000"
    assert coa.answered == "CoA-ACK"


def test_a_coa_nak_fails_the_step_and_leaves_the_rows(
    driver: RadiusDriver,
    scenario: Scenario,
    service_id: str,
    online: str,
    nas: NasSimulator,
    auth_port: int,
) -> None:
    nas.nak(online, 503)
    result = driver.execute(
        request(scenario, service_id, "modify", scenario.changed, scenario.initial)
    )
    assert not result.ok
    assert "Session-Context-Not-Found (503)" in result.message
    assert result.detail["errorCause"] == "503"
    assert result.detail["packet"] == "CoA-NAK"
    username, password = username_for(service_id), password_for(service_id)
    answer = authenticate(auth_port, SECRET, username, password)
    assert params_from(answer, username, password) == dict(scenario.initial)


def test_a_silent_nas_fails_the_step(
    driver: RadiusDriver,
    scenario: Scenario,
    service_id: str,
    online: str,
    nas: NasSimulator,
    auth_port: int,
) -> None:
    nas.silent.add(online)
    result = driver.execute(
        request(scenario, service_id, "modify", scenario.changed, scenario.initial)
    )
    assert not result.ok
    assert result.message.startswith("NAS did not answer")
    assert len(nas.requests("CoA")) == 2  # sent, resent, given up
    username, password = username_for(service_id), password_for(service_id)
    answer = authenticate(auth_port, SECRET, username, password)
    assert params_from(answer, username, password) == dict(scenario.initial)


def test_suspend_of_an_online_subscriber_disconnects_it(
    driver: RadiusDriver,
    scenario: Scenario,
    service_id: str,
    online: str,
    nas: NasSimulator,
    auth_port: int,
) -> None:
    suspend = request(scenario, service_id, "suspend", scenario.initial, scenario.initial)
    assert driver.execute(suspend).ok
    (disconnect,) = nas.requests("Disconnect")
    assert disconnect.first("Acct-Session-Id") == online
    assert disconnect.answered == "Disconnect-ACK"
    answer = authenticate(auth_port, SECRET, username_for(service_id), password_for(service_id))
    assert answer.attributes["Filter-Id"] == "walled-garden"
    # Suspending again changes nothing and tells the NAS nothing.
    assert driver.execute(suspend).ok
    assert len(nas.requests("Disconnect")) == 1


def test_a_disconnect_nak_keeps_the_subscriber_as_it_was(
    driver: RadiusDriver,
    scenario: Scenario,
    service_id: str,
    online: str,
    nas: NasSimulator,
    auth_port: int,
) -> None:
    nas.nak(username_for(service_id), 504)
    suspend = request(scenario, service_id, "suspend", scenario.initial, scenario.initial)
    result = driver.execute(suspend)
    assert not result.ok
    assert "Disconnect-NAK" in result.message
    assert "Session-Context-Not-Removable (504)" in result.message
    answer = authenticate(auth_port, SECRET, username_for(service_id), password_for(service_id))
    assert "Filter-Id" not in answer.attributes
    assert answer.attributes["Framed-IP-Address"] == scenario.initial["ipv4Address"]


def test_delete_and_readdress_of_an_online_subscriber_disconnect_it(
    driver: RadiusDriver,
    scenario: Scenario,
    service_id: str,
    online: str,
    nas: NasSimulator,
    auth_port: int,
) -> None:
    readdressed = {**scenario.initial, "ipv4Address": ipv4_for(service_id, "new")}
    assert driver.execute(request(scenario, service_id, "modify", readdressed, scenario.initial)).ok
    assert [r.kind for r in nas.requests()] == ["Disconnect"]
    assert driver.execute(request(scenario, service_id, "delete", readdressed, readdressed)).ok
    assert [r.kind for r in nas.requests()] == ["Disconnect", "Disconnect"]
    answer = authenticate(auth_port, SECRET, username_for(service_id), password_for(service_id))
    assert answer.code == "Access-Reject"


# -- the lab CLI -------------------------------------------------------------------------------


def test_lab_up_starts_the_peers_and_down_stops_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OSSBSS_DATABASE_URL", f"sqlite:///{tmp_path / 'lab.db'}")
    workdir = tmp_path / "lab"
    runner = CliRunner()
    netconf_port = str(free_port())
    up = runner.invoke(app, ["lab", "up", "--dir", str(workdir), "--netconf-port", netconf_port])
    try:
        assert up.exit_code == 0, up.output
        records = {
            path.stem: json.loads(path.read_text()) for path in (workdir / "peers").glob("*.json")
        }
        assert set(records) == {"freeradius", "nas-simulator", "netconf-device"}
        settings = (workdir / "lab.env").read_text()
        assert "OSSBSS_RADIUS_NAS_PORTS=127.0.0.1=" in settings
        keys = json.loads((workdir / "secrets.json").read_text())
        auth = int(records["freeradius"]["endpoints"]["auth"].rsplit(":", 1)[1])
        assert authenticate(auth, keys["radius"], "nobody", "x").code == "Access-Reject"
        again = runner.invoke(
            app, ["lab", "up", "--dir", str(workdir), "--netconf-port", netconf_port]
        )
        assert again.exit_code == 0, again.output
        assert {p.stem for p in (workdir / "peers").glob("*.json")} == set(records)
    finally:
        down = runner.invoke(app, ["lab", "down", "--dir", str(workdir)])
    assert down.exit_code == 0, down.output
    assert "stopped freeradius" in down.output
    assert "stopped nas-simulator" in down.output
    assert "stopped netconf-device" in down.output
    assert not any(pid_alive(int(r["pid"])) for r in records.values())
    assert not list((workdir / "peers").glob("*.json"))


def test_a_rename_of_an_online_subscriber_disconnects_the_old_session(
    driver: RadiusDriver,
    scenario: Scenario,
    service_id: str,
    online: str,
    nas: NasSimulator,
    auth_port: int,
) -> None:
    renamed = {**scenario.initial, "username": f"new-{service_id}"}
    result = driver.execute(request(scenario, service_id, "modify", renamed, scenario.initial))
    assert result.ok, result.message
    (disconnect,) = nas.requests("Disconnect")
    assert disconnect.first("User-Name") == username_for(service_id)
    assert disconnect.first("Acct-Session-Id") == online
    password = password_for(service_id)
    assert authenticate(auth_port, SECRET, username_for(service_id), password).code == (
        "Access-Reject"
    )
    assert authenticate(auth_port, SECRET, f"new-{service_id}", password).code == "Access-Accept"
