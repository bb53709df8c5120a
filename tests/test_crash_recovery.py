"""kill -9 in the middle of orders: on restart every in-flight order finishes or is
compensated, and no resource stays allocated to nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from conftest import ADMIN_KEY
from ordering_world import ORDERS, add_item, build, order_body
from ossbss import bootstrap

ORDER_COUNT = 24


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, database_url: str, workdir: Path) -> None:
        self.port = _free_port()
        self.env = {
            **os.environ,
            "OSSBSS_DATABASE_URL": database_url,
            "OSSBSS_ADMIN_API_KEY": ADMIN_KEY,
            "OSSBSS_ADMIN_KEY_FILE": str(workdir / "admin.key"),
            "OSSBSS_FAKE_DRIVER_DELAY_SECONDS": "0.25",
            "OSSBSS_ACTIVATION_LEASE_SECONDS": "2",
            "OSSBSS_OUTBOX_LEASE_SECONDS": "2",
            "OSSBSS_DISPATCHER_POLL_SECONDS": "0.2",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "server.log"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ossbss.cli", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"server did not start: {self.log.read_text()[-2000:]}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture
def server(fresh_database_url: str, tmp_path: Path) -> Iterator[Server]:
    engine = create_engine(fresh_database_url)
    bootstrap.metadata().create_all(engine)
    engine.dispose()
    running = Server(fresh_database_url, tmp_path)
    yield running
    running.stop()


def _states(database_url: str, sql: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [str(row[0]) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def test_orders_in_flight_at_a_kill_finish_after_restart(
    server: Server, fresh_database_url: str
) -> None:
    server.start()
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=10
    ) as client:
        world = build(client, pool_cidr="100.64.0.0/24")
        for _ in range(ORDER_COUNT):
            assert client.post(ORDERS, json=order_body(world, add_item(world))).status_code == 201
        deadline = time.monotonic() + 20
        while "inProgress" not in _states(
            fresh_database_url, "SELECT state FROM provisioning_service_order"
        ):
            assert time.monotonic() < deadline, "no activation started"
            time.sleep(0.05)
    server.kill()
    in_flight = _states(
        fresh_database_url,
        "SELECT state FROM ordering_product_order WHERE state NOT IN ('completed', 'failed')",
    )
    assert in_flight, "the kill came too late to leave orders in flight"

    server.start()
    deadline = time.monotonic() + 60
    while _states(
        fresh_database_url,
        "SELECT state FROM ordering_product_order WHERE state NOT IN ('completed', 'failed')",
    ):
        assert time.monotonic() < deadline, "orders did not finish after the restart"
        time.sleep(0.2)

    orders = _states(fresh_database_url, "SELECT state FROM ordering_product_order")
    assert len(orders) == ORDER_COUNT
    assert set(orders) == {"completed"}
    # Every allocation belongs to a live resource-facing service, and every live one has one.
    orphans = _states(
        fresh_database_url,
        "SELECT a.value FROM inventory_allocation a LEFT JOIN inventory_service s "
        "ON s.id = a.consumer_id WHERE s.id IS NULL OR s.state <> 'active' "
        "OR a.state <> 'allocated'",
    )
    assert orphans == []
    allocated = _states(fresh_database_url, "SELECT value FROM inventory_allocation")
    assert len(allocated) == len(set(allocated)) == ORDER_COUNT
