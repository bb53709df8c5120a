"""The NETCONF driver against a real device: yuma123 netconfd behind OpenSSH on loopback."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from lxml import etree

from driver_contract import DriverContract, Observed, Scenario
from ossbss.lab.netconf import NetconfDevice, start_netconf_device, stop_netconf_device
from ossbss.provisioning.drivers import ActivationRequest, DriverError
from ossbss.provisioning.drivers.netconf import ACCESS, SPEC, SUBTREE, NetconfDriver

VLANS = itertools.count(100)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def netconf_device(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfDevice]:
    """A real NETCONF device for the whole test session (never skipped: CI installs it)."""
    device = start_netconf_device(workdir=tmp_path_factory.mktemp("netconf"), port=free_port())
    yield device
    stop_netconf_device(device)


@pytest.fixture(scope="session")
def netconf_driver(netconf_device: NetconfDevice) -> Iterator[NetconfDriver]:
    driver = NetconfDriver(username=netconf_device.username, key_file=netconf_device.key_file)
    yield driver
    driver.close()


def subscriber_params(
    device: NetconfDevice, *, vlan: int, interface: str = "ge-0/0/1", **extra: str
) -> dict[str, str]:
    return {"deviceAddress": device.address, "interface": interface, "vlan": str(vlan), **extra}


def add(service_id: str, params: Mapping[str, str]) -> ActivationRequest:
    return ActivationRequest(service_id=service_id, spec=SPEC, action="add", params=params)


class NetconfElement:
    """Reads what the device really runs, over its own raw ncclient session."""

    def __init__(self, device: NetconfDevice, driver: NetconfDriver) -> None:
        self.device = device
        self.session = driver.session(device.address)  # its own, outside the driver's pool

    def running(self) -> str:
        return self.session.get_config(SUBTREE)

    def observe(self, service_id: str) -> Observed:
        root = etree.fromstring(self.running().encode())
        ns = {"a": ACCESS}
        for entry in root.iterfind(".//a:interface/a:subscriber", ns):
            if entry.findtext("a:service-id", namespaces=ns) != service_id:
                continue
            params = {
                "deviceAddress": self.device.address,
                "interface": entry.getparent().findtext("a:name", namespaces=ns),
                "vlan": entry.findtext("a:vlan", namespaces=ns),
            }
            for leaf, name in (
                ("description", "description"),
                ("rate-down-kbps", "rateDownKbps"),
                ("rate-up-kbps", "rateUpKbps"),
            ):
                value = entry.findtext(f"a:{leaf}", namespaces=ns)
                if value is not None:
                    params[name] = value
            enabled = entry.findtext("a:enabled", default="true", namespaces=ns)
            return Observed(present=True, suspended=enabled == "false", params=params)
        return Observed(present=False)


@pytest.fixture(scope="session")
def netconf_element(
    netconf_device: NetconfDevice, netconf_driver: NetconfDriver
) -> Iterator[NetconfElement]:
    element = NetconfElement(netconf_device, netconf_driver)
    yield element
    element.session.close()


class TestNetconfDriver(DriverContract):
    @pytest.fixture
    def driver(self, netconf_driver: NetconfDriver) -> NetconfDriver:
        return netconf_driver

    @pytest.fixture
    def element(self, netconf_element: NetconfElement) -> NetconfElement:
        return netconf_element

    @pytest.fixture
    def scenario(self, netconf_device: NetconfDevice) -> Scenario:
        vlan = next(VLANS)
        return Scenario(
            spec=SPEC,
            initial=subscriber_params(netconf_device, vlan=vlan, rateDownKbps="300000"),
            changed=subscriber_params(
                netconf_device,
                vlan=vlan,
                rateDownKbps="1000000",
                rateUpKbps="200000",
                description="upgraded to 1G",
            ),
            refused=subscriber_params(netconf_device, vlan=5000, rateDownKbps="300000"),
        )


def test_an_out_of_range_vlan_is_refused_by_the_device_and_running_is_unchanged(
    netconf_device: NetconfDevice, netconf_driver: NetconfDriver, netconf_element: NetconfElement
) -> None:
    netconf_driver.execute(add("svc-range-ok", subscriber_params(netconf_device, vlan=next(VLANS))))
    before = netconf_element.running()

    result = netconf_driver.execute(
        add("svc-range-bad", subscriber_params(netconf_device, vlan=5000, rateDownKbps="1000"))
    )

    assert not result.ok
    assert "value not in range" in result.message
    assert result.detail["error-message"] == "value not in range"
    assert result.detail["error-tag"] == "invalid-value"
    assert "subscriber[acc:vlan='5000']" in result.detail["error-path"]
    assert netconf_element.running() == before
    # The candidate was discarded: the next change commits only itself.
    assert netconf_driver.execute(
        add("svc-range-next", subscriber_params(netconf_device, vlan=next(VLANS)))
    ).ok
    assert not netconf_element.observe("svc-range-bad").present


def test_a_rate_below_the_yang_range_is_refused_too(
    netconf_device: NetconfDevice, netconf_driver: NetconfDriver
) -> None:
    params = subscriber_params(netconf_device, vlan=next(VLANS), rateDownKbps="10")
    result = netconf_driver.execute(add("svc-rate-low", params))
    assert not result.ok
    assert result.detail["error-tag"] == "invalid-value"


def test_modify_can_move_the_service_to_another_vlan_in_one_commit(
    netconf_device: NetconfDevice, netconf_driver: NetconfDriver, netconf_element: NetconfElement
) -> None:
    before = subscriber_params(netconf_device, vlan=next(VLANS), rateDownKbps="100000")
    after = subscriber_params(
        netconf_device, vlan=next(VLANS), interface="ge-0/0/2", rateDownKbps="100000"
    )
    assert netconf_driver.execute(add("svc-move", before)).ok
    modify = ActivationRequest(
        service_id="svc-move", spec=SPEC, action="modify", params=after, previous=before
    )
    assert netconf_driver.execute(modify).ok
    assert netconf_element.observe("svc-move").params == after
    assert netconf_driver.undo(modify).ok
    assert netconf_element.observe("svc-move").params == before
    running = netconf_element.running()
    assert running.count("<service-id>svc-move</service-id>") == 1


def test_missing_params_are_refused_without_touching_the_device(
    netconf_driver: NetconfDriver,
) -> None:
    result = netconf_driver.execute(add("svc-incomplete", {"interface": "ge-0/0/1"}))
    assert not result.ok
    assert "deviceAddress" in result.message
    assert "vlan" in result.message


def test_an_unreachable_device_is_a_driver_error(netconf_device: NetconfDevice) -> None:
    driver = NetconfDriver(
        username=netconf_device.username, key_file=netconf_device.key_file, timeout=3
    )
    try:
        with pytest.raises(DriverError, match="cannot open a NETCONF session"):
            driver.execute(
                add(
                    "svc-nowhere",
                    {"deviceAddress": f"127.0.0.1:{free_port()}", "interface": "x", "vlan": "10"},
                )
            )
    finally:
        driver.close()


def test_a_dead_pooled_session_is_replaced(
    netconf_device: NetconfDevice, netconf_element: NetconfElement
) -> None:
    driver = NetconfDriver(username=netconf_device.username, key_file=netconf_device.key_file)
    try:
        assert driver.execute(
            add("svc-dead-1", subscriber_params(netconf_device, vlan=next(VLANS)))
        ).ok
        for session in driver._pools[netconf_device.address].idle:
            session._m.close_session()  # the device side goes away under the pool
        assert driver.execute(
            add("svc-dead-2", subscriber_params(netconf_device, vlan=next(VLANS)))
        ).ok
        assert netconf_element.observe("svc-dead-2").present
    finally:
        driver.close()


@pytest.mark.parametrize("queue_writers", [True, False], ids=["queued", "lock-denied-retried"])
def test_ten_threads_committing_on_one_device_all_succeed(
    netconf_device: NetconfDevice, netconf_element: NetconfElement, queue_writers: bool
) -> None:
    netconf_driver = NetconfDriver(
        username=netconf_device.username,
        key_file=netconf_device.key_file,
        queue_writers=queue_writers,
    )
    per_thread = 4
    vlans = [[next(VLANS) for _ in range(per_thread)] for _ in range(10)]
    failures: list[str] = []

    def work(thread: int) -> None:
        for vlan in vlans[thread]:
            params = subscriber_params(
                netconf_device, vlan=vlan, interface="ge-0/0/3", rateDownKbps=str(1000 * vlan)
            )
            try:
                result = netconf_driver.execute(add(f"svc-par-{vlan}", params))
            except Exception as exc:
                failures.append(repr(exc))
                continue
            if not result.ok:
                failures.append(result.message)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    netconf_driver.close()

    assert failures == []
    running = netconf_element.running()
    for vlan in itertools.chain.from_iterable(vlans):
        assert f"<service-id>svc-par-{vlan}</service-id>" in running
        assert netconf_element.observe(f"svc-par-{vlan}").params["rateDownKbps"] == str(1000 * vlan)


def test_execute_many_commits_a_batch_once_and_isolates_a_refused_request(
    netconf_device: NetconfDevice, netconf_driver: NetconfDriver, netconf_element: NetconfElement
) -> None:
    good = [
        add(f"svc-batch-{n}", subscriber_params(netconf_device, vlan=next(VLANS))) for n in range(5)
    ]
    assert all(result.ok for result in netconf_driver.execute_many(good))
    assert all(netconf_element.observe(f"svc-batch-{n}").present for n in range(5))

    mixed = [
        add("svc-batch-ok", subscriber_params(netconf_device, vlan=next(VLANS))),
        add("svc-batch-bad", subscriber_params(netconf_device, vlan=4095)),
    ]
    results = netconf_driver.execute_many(mixed)
    assert [result.ok for result in results] == [True, False]
    assert netconf_element.observe("svc-batch-ok").present
    assert not netconf_element.observe("svc-batch-bad").present


def test_on_committed_gets_the_running_config_after_each_change(
    netconf_device: NetconfDevice,
) -> None:
    seen: list[tuple[str, str]] = []
    driver = NetconfDriver(
        username=netconf_device.username,
        key_file=netconf_device.key_file,
        on_committed=lambda address, running: seen.append((address, running)),
    )
    try:
        vlan = next(VLANS)
        assert driver.execute(add("svc-callback", subscriber_params(netconf_device, vlan=vlan))).ok
        refused = driver.execute(add("svc-callback-bad", subscriber_params(netconf_device, vlan=0)))
        assert not refused.ok
    finally:
        driver.close()
    assert len(seen) == 1
    address, running = seen[0]
    assert address == netconf_device.address
    assert "<service-id>svc-callback</service-id>" in running


def test_the_lab_device_runs_its_own_netconfd_home(netconf_device: NetconfDevice) -> None:
    assert len(netconf_device.pids) == 2
    assert Path(netconf_device.key_file).exists()


def test_a_candidate_locked_by_someone_else_is_waited_for(
    netconf_device: NetconfDevice, netconf_element: NetconfElement
) -> None:
    driver = NetconfDriver(username=netconf_device.username, key_file=netconf_device.key_file)
    assert driver.execute(add("svc-warm", subscriber_params(netconf_device, vlan=next(VLANS)))).ok
    holder = driver.session(netconf_device.address)  # a person at the device's CLI
    holder.lock()
    results = []
    worker = threading.Thread(
        target=lambda: results.append(
            driver.execute(add("svc-waits", subscriber_params(netconf_device, vlan=next(VLANS))))
        )
    )
    try:
        worker.start()
        deadline = time.monotonic() + 10
        while driver.lock_retries < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.is_alive()  # retrying lock-denied
        holder.unlock()
        worker.join(timeout=10)
    finally:
        holder.close()
        driver.close()
    assert results[0].ok
    assert driver.lock_retries >= 3
    assert netconf_element.observe("svc-waits").present


def test_rpcs_are_sent_from_the_callers_thread(
    netconf_device: NetconfDevice, netconf_driver: NetconfDriver
) -> None:
    """ncclient would hold each RPC for up to one 100 ms tick of its reader thread."""
    session = netconf_driver.session(netconf_device.address)
    try:
        assert "send" in vars(session._m._session)
        began = time.monotonic()
        for _ in range(10):
            session.get_config(SUBTREE)
        assert time.monotonic() - began < 0.9
    finally:
        session.close()


def test_requests_on_the_same_entry_in_one_batch_apply_in_order(
    netconf_device: NetconfDevice, netconf_driver: NetconfDriver, netconf_element: NetconfElement
) -> None:
    vlan = next(VLANS)
    first = subscriber_params(netconf_device, vlan=vlan, rateDownKbps="1000")
    second = subscriber_params(netconf_device, vlan=vlan, rateDownKbps="2000")
    other = subscriber_params(netconf_device, vlan=next(VLANS))
    results = netconf_driver.execute_many(
        [
            add("svc-order", first),
            ActivationRequest(
                service_id="svc-order", spec=SPEC, action="modify", params=second, previous=first
            ),
            add("svc-order-other", other),
            ActivationRequest(
                service_id="svc-order", spec=SPEC, action="suspend", params=second, previous=second
            ),
        ]
    )
    assert all(result.ok for result in results)
    observed = netconf_element.observe("svc-order")
    assert observed.params == second
    assert observed.suspended
    assert netconf_element.observe("svc-order-other").present


def test_concurrent_single_requests_share_commits(
    netconf_device: NetconfDevice, netconf_element: NetconfElement
) -> None:
    driver = NetconfDriver(username=netconf_device.username, key_file=netconf_device.key_file)
    vlans = [next(VLANS) for _ in range(30)]
    barrier = threading.Barrier(len(vlans))
    results = []

    def one(vlan: int) -> None:
        barrier.wait()
        params = subscriber_params(netconf_device, vlan=vlan, interface="ge-0/0/4")
        results.append(driver.execute(add(f"svc-group-{vlan}", params)))

    threads = [threading.Thread(target=one, args=(vlan,)) for vlan in vlans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    driver.close()
    assert len(results) == 30
    assert all(result.ok for result in results)
    assert driver.commits < 30  # group commit: several requests per commit
    assert all(netconf_element.observe(f"svc-group-{vlan}").present for vlan in vlans)
