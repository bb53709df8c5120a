"""Configuration management: versioned backups, diffs and drift, with a real NETCONF device."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from ncclient import manager
from typer.testing import CliRunner

from ossbss import bootstrap
from ossbss.cli import app
from ossbss.kernel import FixedClock, NotFound
from ossbss.lab.netconf import NetconfDevice
from ossbss.provisioning import configs
from ossbss.provisioning.drivers import Action, ActivationRequest
from ossbss.provisioning.drivers.netconf import SPEC, NetconfDriver
from test_netconf_driver import netconf_device, subscriber_params  # noqa: F401  (fixture)

DEVICE = "router-7"
V1 = """<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <interfaces xmlns="urn:ossbss:access">
    <interface><name>ge-0/0/2</name><mtu>1500</mtu></interface>
    <interface><name>ge-0/0/1</name><mtu>1500</mtu></interface>
  </interfaces>
</data>"""
# The same configuration, listed in another order and with other whitespace.
V1_AGAIN = (
    '<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><interfaces xmlns="urn:ossbss:access">'
    "<interface><name>ge-0/0/1</name><mtu>1500</mtu></interface>"
    "<interface><name>ge-0/0/2</name>  <mtu>1500</mtu></interface></interfaces></data>"
)
V2 = V1.replace("<name>ge-0/0/2</name><mtu>1500</mtu>", "<name>ge-0/0/2</name><mtu>9000</mtu>")


@pytest.fixture
def driver(
    netconf_device: NetconfDevice,  # noqa: F811
    platform: bootstrap.Platform,
) -> Iterator[NetconfDriver]:
    driver = NetconfDriver(
        username=netconf_device.username,
        key_file=netconf_device.key_file,
        on_committed=configs.commit_recorder(platform.database, platform.clock),
    )
    yield driver
    driver.close()


def request(
    action: Action, params: dict[str, str], previous: dict[str, str] | None = None
) -> ActivationRequest:
    return ActivationRequest(
        service_id=f"svc-config-{params['vlan']}",
        spec=SPEC,
        action=action,
        params=params,
        previous=previous or {},
    )


def test_normalize_is_stable_across_order_and_whitespace() -> None:
    assert configs.normalize(V1) == configs.normalize(V1_AGAIN)
    normalised = configs.normalize(V1)
    assert normalised.index("ge-0/0/1") < normalised.index("ge-0/0/2")
    assert "  <interfaces" in normalised  # pretty-printed


def test_a_backup_is_a_new_version_only_when_the_content_changed(
    platform: bootstrap.Platform, clock: FixedClock
) -> None:
    with platform.database.unit_of_work() as session:
        first = configs.backup(session, device_id=DEVICE, content=V1, reason="r1", now=clock.now())
        again = configs.backup(
            session, device_id=DEVICE, content=V1_AGAIN, reason="r1b", now=clock.now()
        )
        clock.advance(timedelta(hours=1))
        second = configs.backup(session, device_id=DEVICE, content=V2, reason="r2", now=clock.now())
        listed = configs.versions(session, device_id=DEVICE)
    assert (first, again, second) == (1, 1, 2)
    assert [(v.version, v.reason) for v in listed] == [(1, "r1"), (2, "r2")]
    assert listed[0].taken_at.tzinfo is not None
    assert listed[0].sha256 != listed[1].sha256


def test_diff_between_two_versions_defaults_to_the_latest_two(
    platform: bootstrap.Platform, clock: FixedClock
) -> None:
    with platform.database.unit_of_work() as session:
        for content in (V1, V2, V1):
            configs.backup(session, device_id=DEVICE, content=content, reason="", now=clock.now())
        latest_two = configs.diff(session, device_id=DEVICE)
        first_two = configs.diff(session, device_id=DEVICE, from_version=1, to_version=2)
        same = configs.diff(session, device_id=DEVICE, from_version=1, to_version=3)
        with pytest.raises(NotFound):
            configs.diff(session, device_id=DEVICE, from_version=1, to_version=9)
        with pytest.raises(NotFound):
            configs.diff(session, device_id="nobody")
    assert f"--- {DEVICE} v2\n+++ {DEVICE} v3\n" in latest_two
    assert "-      <mtu>9000</mtu>\n+      <mtu>1500</mtu>\n" in latest_two
    assert "-      <mtu>1500</mtu>\n+      <mtu>9000</mtu>\n" in first_two
    assert same == ""


def test_each_commit_is_backed_up_and_the_diff_shows_the_change(
    netconf_device: NetconfDevice,  # noqa: F811
    driver: NetconfDriver,
    platform: bootstrap.Platform,
) -> None:
    initial = subscriber_params(netconf_device, vlan=3001, rateDownKbps="300000")
    changed = subscriber_params(netconf_device, vlan=3001, rateDownKbps="1000000")
    assert driver.execute(request("add", initial)).ok
    assert driver.execute(request("modify", changed, initial)).ok
    assert driver.execute(request("modify", changed, initial)).ok  # no change: no new version

    address = netconf_device.address
    with platform.database.unit_of_work(write=False) as session:
        listed = configs.versions(session, device_id=address)
        text = configs.diff(session, device_id=address)
        assert configs.drift(session, device_id=address, running=driver.running(address)) is None
    assert [v.version for v in listed] == [1, 2]
    assert "-        <rate-down-kbps>300000</rate-down-kbps>" in text
    assert "+        <rate-down-kbps>1000000</rate-down-kbps>" in text


def edit_behind_our_back(device: NetconfDevice, config: str) -> None:
    """Someone changes the device with their own NETCONF client."""
    with (
        manager.connect(
            host=device.host,
            port=device.port,
            username=device.username,
            key_filename=str(device.key_file),
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
        ) as session,
        session.locked("candidate"),
    ):
        session.edit_config(target="candidate", config=config)
        session.commit()


MTU_CHANGE = """<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <interfaces xmlns="urn:ossbss:access">
    <interface><name>ge-0/0/9</name><mtu>1400</mtu></interface>
  </interfaces>
</config>"""


def test_drift_is_flagged_after_an_out_of_band_change(
    netconf_device: NetconfDevice,  # noqa: F811
    driver: NetconfDriver,
    platform: bootstrap.Platform,
) -> None:
    address = netconf_device.address
    assert driver.execute(request("add", subscriber_params(netconf_device, vlan=3002))).ok
    with platform.database.unit_of_work(write=False) as session:
        assert configs.drift(session, device_id=address, running=driver.running(address)) is None

    edit_behind_our_back(netconf_device, MTU_CHANGE)

    with platform.database.unit_of_work(write=False) as session:
        text = configs.drift(session, device_id=address, running=driver.running(address))
        with pytest.raises(NotFound):
            configs.drift(session, device_id="never-pushed", running=V1)
    assert text is not None
    assert f"--- {address} intended\n+++ {address} running\n" in text
    assert "+      <name>ge-0/0/9</name>" in text
    assert "+      <mtu>1400</mtu>" in text


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    netconf_device: NetconfDevice,  # noqa: F811
) -> CliRunner:
    monkeypatch.setenv("OSSBSS_DATABASE_URL", database_url)
    monkeypatch.setenv("OSSBSS_NETCONF_USERNAME", netconf_device.username)
    monkeypatch.setenv("OSSBSS_NETCONF_KEY_FILE", str(netconf_device.key_file))
    return CliRunner()


def test_the_config_cli_backs_up_lists_diffs_and_flags_drift(
    cli_env: CliRunner,
    netconf_device: NetconfDevice,  # noqa: F811
    driver: NetconfDriver,
) -> None:
    address = netconf_device.address
    assert driver.execute(request("add", subscriber_params(netconf_device, vlan=3003))).ok

    result = cli_env.invoke(app, ["config", "drift", address])
    assert result.exit_code == 0, result.output
    assert "matches" in result.output

    edit_behind_our_back(netconf_device, MTU_CHANGE.replace("1400", "1450"))
    result = cli_env.invoke(app, ["config", "drift", address])
    assert result.exit_code == 1, result.output
    assert "+      <mtu>1450</mtu>" in result.output

    result = cli_env.invoke(app, ["config", "backup", address, "--reason", "nightly"])
    assert result.exit_code == 0, result.output
    result = cli_env.invoke(app, ["config", "versions", address])
    assert result.exit_code == 0, result.output
    assert "nightly" in result.output

    result = cli_env.invoke(app, ["config", "diff", address])
    assert result.exit_code == 0, result.output
    assert "+      <mtu>1450</mtu>" in result.output
    result = cli_env.invoke(app, ["config", "diff", address, "--from", "1", "--to", "1"])
    assert result.output.strip() == "no difference"
    result = cli_env.invoke(app, ["config", "diff", "no-such-device"])
    assert result.exit_code == 2
    assert "no backup" in result.output
