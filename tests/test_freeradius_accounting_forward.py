"""The lab's FreeRADIUS forwards accounting to ossbss's collector: a NAS talks only to
FreeRADIUS, FreeRADIUS keeps its open sessions (radacct, which CoA needs) and proxies each
Accounting-Request to the collector, and the NAS's answer comes back only once the collector has
stored the usage."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from ossbss import bootstrap, usage
from ossbss.lab.peers import RunningPeer, free_port
from ossbss.lab.radius import AccountingForward, start_freeradius
from ossbss.provisioning.radius_tables import RadAcct
from test_usage_radius_accounting import acct, radclient

NAS_SECRET = "nas-secret-7"
COLLECTOR_SECRET = "collector-secret-9"


@pytest.fixture
def forwarding(
    radius_database: bootstrap.Platform, platform: bootstrap.Platform, tmp_path: Path
) -> Iterator[tuple[RunningPeer, usage.RadiusAccountingServer]]:
    server = usage.RadiusAccountingServer(
        database=platform.database,
        sink=usage.ingest,
        secret=COLLECTOR_SECRET,
        clock=platform.clock,
    )
    thread = usage.CollectorThread(server).start()
    peer = start_freeradius(
        database_url=platform.database.url,
        workdir=tmp_path / "freeradius",
        auth_port=free_port(),
        acct_port=free_port(),
        secret=NAS_SECRET,
        threads=2,
        forward_accounting=AccountingForward(port=server.port, secret=COLLECTOR_SECRET),
    )
    try:
        yield peer, server
    finally:
        peer.stop()
        thread.stop()


def test_accounting_through_freeradius_becomes_usage_once(
    forwarding: tuple[RunningPeer, usage.RadiusAccountingServer],
    platform: bootstrap.Platform,
) -> None:
    peer, server = forwarding
    port = int(peer.endpoints["acct"].rsplit(":", 1)[1])
    packets = [
        acct("Start", "fw-1", "yuki"),
        acct("Interim-Update", "fw-1", "yuki", up=1_000, down=5_000, seconds=60),
        acct("Interim-Update", "fw-1", "yuki", up=1_000, down=5_000, seconds=60),  # again
        acct("Stop", "fw-1", "yuki", up=3_000, down=(1 << 32) + 9_000, seconds=120),
    ]
    for packet in packets:
        assert radclient(port, packet, secret=NAS_SECRET)
    table = bootstrap.metadata().tables["usage_record"]
    with platform.database.unit_of_work(write=False) as session:
        rows = session.execute(
            select(table.c.bytes_up, table.c.bytes_down, table.c.duration_seconds, table.c.source)
            .where(table.c.subscriber == "yuki")
            .order_by(table.c.duration_seconds)
        ).all()
        open_sessions = session.scalars(
            select(RadAcct.acctstoptime).where(RadAcct.acctsessionid == "fw-1")
        ).all()
    assert [tuple(row) for row in rows] == [
        (1_000, 5_000, 60, "radius"),
        (2_000, (1 << 32) + 4_000, 60, "radius"),
    ]
    assert len(open_sessions) == 1
    assert open_sessions[0] is not None  # FreeRADIUS closed its session on the Stop
    assert server.status().records == 2
    assert udp_addresses(peer.pid) == {"127.0.0.1"}


def udp_addresses(pid: int) -> set[str]:
    """The local IPv4 addresses of a process's UDP sockets (the proxy socket included), from
    /proc: FreeRADIUS must not listen on 0.0.0.0 when it proxies (oss-peers.md G6)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    addresses = set()
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[9] in inodes:
            address = bytes.fromhex(fields[1].split(":")[0])[::-1]
            addresses.add(".".join(str(octet) for octet in address))
    return addresses
