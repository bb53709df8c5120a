"""The RADIUS accounting collector: deltas between cumulative counters (rules), then the real
``radclient`` against the server on the test database, bad input, a restart, and ``kill -9``
in the middle of a burst."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrad import packet as pyrad_packet  # type: ignore[import-untyped]
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss import bootstrap, usage
from ossbss.kernel import Database
from ossbss.kernel.db import Base
from ossbss.lab.peers import free_port
from ossbss.usage.accounting_contract import UsageInput
from ossbss.usage.accounting_models import AccountingSession
from ossbss.usage.accounting_packets import Received, Refusal, accounting_dictionary, decode
from ossbss.usage.accounting_rules import (
    WRAP,
    AccountingEvent,
    Outcome,
    SessionState,
    Status,
    apply,
    record_key,
)
from ossbss.usage.accounting_store import session_state
from ossbss.usage.radius_accounting import CollectorThread, RadiusAccountingServer
from radius_helpers import RADCLIENT
from usage_accounting_sink import SinkRecord, create_table, empty_table, ingest, records, totals

SECRET = "acct-secret-3"
T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def sink_table(request: pytest.FixtureRequest) -> Iterator[None]:
    """The test sink's table beside the platform's (emptied after each test that uses it)."""
    if "platform" not in request.fixturenames:
        yield
        return
    platform = request.getfixturevalue("platform")
    create_table(platform.database.engine)
    yield
    with platform.database.unit_of_work() as session:
        empty_table(session)


# -- the arithmetic ---------------------------------------------------------------------------


def event(
    status: Status,
    *,
    up: int | None = None,
    down: int | None = None,
    seconds: int | None = None,
    at: datetime = T0,
    nas_timestamp: bool = False,
) -> AccountingEvent:
    return AccountingEvent(
        nas="10.0.0.1",
        session_id="s-1",
        subscriber="alice",
        status=status,
        event_time=at,
        nas_timestamp=nas_timestamp,
        bytes_up=up,
        bytes_down=down,
        session_seconds=seconds,
    )


def run(events: list[AccountingEvent]) -> tuple[list[Outcome], SessionState | None, list[int]]:
    """Apply events in order; outcomes, the final state, and (up, down, seconds) summed."""
    state: SessionState | None = None
    outcomes: list[Outcome] = []
    sums = [0, 0, 0]
    for one in events:
        decision = apply(state, one)
        outcomes.append(decision.outcome)
        state = decision.state or state
        if decision.record:
            sums[0] += decision.record.bytes_up
            sums[1] += decision.record.bytes_down
            sums[2] += decision.record.duration_seconds
    return outcomes, state, sums


def test_each_interim_counts_what_was_used_since_the_last_one() -> None:
    outcomes, state, sums = run(
        [
            event(Status.START, up=0, down=0, seconds=0),
            event(Status.INTERIM, up=1_000, down=5_000, seconds=60),
            event(Status.INTERIM, up=(1 << 32) + 500, down=6_000, seconds=120),  # gigawords
            event(Status.STOP, up=(1 << 32) + 700, down=9_000, seconds=150),
        ]
    )
    assert outcomes == [Outcome.STARTED, Outcome.RECORDED, Outcome.RECORDED, Outcome.RECORDED]
    assert sums == [(1 << 32) + 700, 9_000, 150]
    assert state is not None
    assert state.stopped


def test_a_counter_that_goes_down_while_time_passes_wrapped_at_32_bits() -> None:
    _, state, sums = run(
        [
            event(Status.INTERIM, up=4_000_000_000, down=10, seconds=600),
            event(Status.INTERIM, up=100, down=20, seconds=660),  # wrapped: 2^32 - 4e9 + 100
            event(Status.INTERIM, up=300, down=30, seconds=720),  # the offset stays
        ]
    )
    assert sums == [WRAP + 300, 30, 720]
    assert state is not None
    assert (state.wrap_up, state.bytes_up) == (WRAP, WRAP + 300)


def test_duplicates_late_packets_and_starts_of_known_sessions_add_nothing() -> None:
    interim = event(Status.INTERIM, up=1_000, down=2_000, seconds=60)
    outcomes, _, sums = run(
        [
            event(Status.START, seconds=0),
            interim,
            interim,  # retransmitted
            event(Status.INTERIM, up=3_000, down=4_000, seconds=120),
            event(Status.INTERIM, up=1_000, down=2_000, seconds=60),  # late: older time
            event(Status.START, seconds=0),  # late Start
            event(Status.STOP, up=3_000, down=4_000, seconds=120),  # nothing new, but stops
            event(Status.STOP, up=3_000, down=4_000, seconds=120),
            event(Status.INTERIM, up=3_000, down=4_000, seconds=120),
        ]
    )
    assert outcomes == [
        Outcome.STARTED,
        Outcome.RECORDED,
        Outcome.DUPLICATE,
        Outcome.RECORDED,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
        Outcome.STOPPED,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
    ]
    assert sums == [3_000, 4_000, 120]


def test_lower_counters_at_the_same_time_are_an_older_packet_not_a_wrap() -> None:
    outcomes, _, sums = run(
        [
            event(Status.INTERIM, up=5_000, down=5_000, seconds=60),
            event(Status.INTERIM, up=4_000, down=5_000, seconds=60),
        ]
    )
    assert outcomes == [Outcome.RECORDED, Outcome.DUPLICATE]
    assert sums == [5_000, 5_000, 60]


def test_a_stop_after_lost_interims_and_a_lost_start_counts_everything_once() -> None:
    _, _, sums = run([event(Status.STOP, up=70_000, down=90_000, seconds=3_600)])
    assert sums == [70_000, 90_000, 3_600]


def test_absurd_values_are_refused_not_stored() -> None:
    start = event(Status.START, seconds=0)
    cases = {
        "absurd_session_time": event(Status.INTERIM, up=1, down=1, seconds=0xFFFF_FFFF),
        "absurd_counters": event(Status.INTERIM, up=(500 << 32), down=1, seconds=1),
    }
    for reason, bad in cases.items():
        state = apply(None, start).state
        decision = apply(state, bad)
        assert (decision.outcome, decision.reason, decision.state) == (
            Outcome.REFUSED,
            reason,
            None,
        )
        assert not decision.acknowledge
    # A drop bigger than one 32-bit wrap is a counter reset, not usage.
    state = apply(None, event(Status.INTERIM, up=(3 << 32), down=1, seconds=600)).state
    decision = apply(state, event(Status.INTERIM, up=10, down=1, seconds=700))
    assert (decision.outcome, decision.reason) == (Outcome.REFUSED, "counters_went_back")


def test_record_keys_fit_the_sink_even_for_the_longest_ids() -> None:
    short = record_key("bng-1", "s-1", 10, 20, 30)
    assert short == "radius:bng-1:s-1:10:20:30"
    longest = record_key("n" * 253, "s" * 253, 1 << 64, 1 << 64, 1 << 32)
    assert len(longest) <= 255
    assert longest == record_key("n" * 253, "s" * 253, 1 << 64, 1 << 64, 1 << 32)
    assert longest != record_key("n" * 253, "t" * 253, 1 << 64, 1 << 64, 1 << 32)


def test_a_start_after_a_stop_by_the_nas_clock_is_a_new_session_with_the_same_id() -> None:
    _, state, _ = run(
        [
            event(Status.START, seconds=0, at=T0, nas_timestamp=True),
            event(Status.STOP, up=10, down=10, seconds=60, at=T0 + timedelta(minutes=1)),
        ]
    )
    later = apply(
        state, event(Status.START, seconds=0, at=T0 + timedelta(hours=1), nas_timestamp=True)
    )
    assert later.outcome is Outcome.STARTED
    assert later.state is not None
    assert (later.state.stopped, later.state.bytes_up) == (False, 0)
    # Without the NAS's clock a Start after the Stop is taken as a late retransmission.
    assert apply(state, event(Status.START, seconds=0)).outcome is Outcome.DUPLICATE


def test_a_request_built_by_pyrad_decodes_and_pyrad_accepts_the_answer() -> None:
    dictionary = accounting_dictionary()
    request = pyrad_packet.AcctPacket(secret=SECRET.encode(), dict=dictionary)
    stamp = int(T0.timestamp())
    for name, value in {
        "Acct-Status-Type": "Stop",
        "Acct-Session-Id": "abc-1",
        "User-Name": "frank@isp",
        "NAS-IP-Address": "192.0.2.7",
        "Acct-Input-Octets": 17,
        "Acct-Input-Gigawords": 2,
        "Acct-Output-Octets": 99,
        "Acct-Session-Time": 3_600,
        "Event-Timestamp": stamp,
    }.items():
        request[name] = value
    request.AddAttribute("Proxy-State", b"hop-1")
    request.AddAttribute("Proxy-State", b"hop-2")
    raw = request.RequestPacket()
    received = decode(raw, ("127.0.0.1", 5000), secret=SECRET.encode(), now=T0)
    assert isinstance(received, Received)
    assert received.event == AccountingEvent(
        nas="192.0.2.7",
        session_id="abc-1",
        subscriber="frank@isp",
        status=Status.STOP,
        event_time=T0,
        nas_timestamp=True,
        bytes_up=(2 << 32) | 17,
        bytes_down=99,
        session_seconds=3_600,
    )
    reply = request.CreateReply(packet=received.response)
    assert request.VerifyReply(reply, received.response)
    assert reply.code == pyrad_packet.AccountingResponse
    assert reply[33] == [b"hop-1", b"hop-2"]  # Proxy-State, in order
    wrong = decode(raw, ("127.0.0.1", 5000), secret=b"other", now=T0)
    assert wrong == Refusal("bad_authenticator", "wrong shared secret?")


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 3 << 32), st.integers(0, 3 << 32), st.integers(1, 3_600)),
        min_size=1,
        max_size=8,
    ),
    data=st.data(),
)
def test_any_order_loss_or_repetition_counts_the_stop_exactly_once(
    steps: list[tuple[int, int, int]], data: st.DataObject
) -> None:
    """With gigawords, whatever the network does to the packets, once the Stop arrives the
    records add up to its counters, each cumulative position once."""
    packets, up, down, seconds = [event(Status.START, up=0, down=0, seconds=0)], 0, 0, 0
    for n, (more_up, more_down, more_seconds) in enumerate(steps):
        up, down, seconds = up + more_up, down + more_down, seconds + more_seconds
        status = Status.STOP if n == len(steps) - 1 else Status.INTERIM
        packets.append(event(status, up=up, down=down, seconds=seconds))
    received = data.draw(st.lists(st.sampled_from(packets), max_size=20))
    received.append(packets[-1])  # the NAS retries the Stop until it is answered
    received += data.draw(st.lists(st.sampled_from(packets), max_size=5))  # late ones
    state: SessionState | None = None
    keys: list[str] = []
    sums = [0, 0, 0]
    for one in received:
        decision = apply(state, one)
        state = decision.state or state
        if decision.record:
            keys.append(decision.record.record_key)
            sums[0] += decision.record.bytes_up
            sums[1] += decision.record.bytes_down
            sums[2] += decision.record.duration_seconds
    assert sums == [up, down, seconds]
    assert len(keys) == len(set(keys))


# -- the server with the real radclient ----------------------------------------------------


def radclient(port: int, attributes: Mapping[str, object], *, secret: str = SECRET) -> bool:
    """Send one Accounting-Request with ``radclient``; did an Accounting-Response come back?"""
    line = ", ".join(f"{name} = {value}" for name, value in attributes.items())
    done = subprocess.run(
        [RADCLIENT, "-t", "1", "-r", "2", f"127.0.0.1:{port}", "acct", secret],
        input=line,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return "Accounting-Response" in done.stdout


def acct(
    status: str, session_id: str, user: str, *, up: int = 0, down: int = 0, seconds: int = 0
) -> dict[str, object]:
    return {
        "Acct-Status-Type": status,
        "Acct-Session-Id": f'"{session_id}"',
        "User-Name": f'"{user}"',
        "NAS-IP-Address": "127.0.0.1",
        "NAS-Identifier": '"bng-1"',
        "Acct-Input-Octets": up & 0xFFFF_FFFF,
        "Acct-Input-Gigawords": up >> 32,
        "Acct-Output-Octets": down & 0xFFFF_FFFF,
        "Acct-Output-Gigawords": down >> 32,
        "Acct-Session-Time": seconds,
    }


@pytest.fixture
def collector(platform: bootstrap.Platform) -> Iterator[RadiusAccountingServer]:
    server = RadiusAccountingServer(
        database=platform.database, sink=ingest, secret=SECRET, clock=platform.clock
    )
    thread = CollectorThread(server).start()
    yield server
    thread.stop()


def test_radclient_session_with_gigawords_a_wrap_a_duplicate_and_a_stop(
    platform: bootstrap.Platform, collector: RadiusAccountingServer
) -> None:
    port = collector.port
    assert radclient(port, acct("Start", "sess-1", "alice"))
    assert radclient(
        port, acct("Interim-Update", "sess-1", "alice", up=1_000, down=50_000, seconds=60)
    )
    assert radclient(
        port,
        acct("Interim-Update", "sess-1", "alice", up=(1 << 32) + 2_000, down=80_000, seconds=120),
    )
    # Acct-Input-Octets wraps without the gigawords moving (a NAS that does not send them).
    wrapped = acct("Interim-Update", "sess-1", "alice", up=(1 << 32) + 2_000, down=100, seconds=180)
    wrapped["Acct-Output-Gigawords"] = 0
    assert radclient(port, wrapped)
    assert radclient(port, wrapped)  # the NAS sent it again: answered, nothing new
    assert radclient(
        port, acct("Stop", "sess-1", "alice", up=(1 << 32) + 9_000, down=500, seconds=200)
    )

    with platform.database.unit_of_work(write=False) as session:
        stored = records(session)
        assert [(r.bytes_up, r.bytes_down, r.duration_seconds) for r in stored] == [
            (1_000, 50_000, 60),
            ((1 << 32) + 1_000, 30_000, 60),
            (0, WRAP + 100 - 80_000, 60),
            (7_000, 400, 20),
        ]
        assert totals(session) == {"alice": ((1 << 32) + 9_000, WRAP + 500, 200)}
        assert {r.source_ref for r in stored} == {"bng-1/sess-1"}
        state = session_state(session, nas="bng-1", session_id="sess-1")
        assert state is not None
        assert (state.stopped, state.wrap_down) == (True, WRAP)
    status = collector.status()
    assert status.records == 4
    assert status.outcomes["duplicate"] == 1
    assert status.refused == {}


def test_accounting_on_ends_the_sessions_of_that_nas(
    platform: bootstrap.Platform, collector: RadiusAccountingServer
) -> None:
    """The NAS restarted: its sessions are gone, so what arrives for them later is late (an
    older packet) and counts nothing; another NAS's sessions go on."""
    port = collector.port
    other_nas = {**acct("Start", "s-c", "cat"), "NAS-Identifier": '"bng-2"'}
    for packet in (
        acct("Start", "s-a", "amy"),
        acct("Interim-Update", "s-a", "amy", up=100, down=200, seconds=10),
        acct("Start", "s-b", "ben"),
        other_nas,
        acct("Accounting-On", "reboot", "bng-1"),
        acct("Interim-Update", "s-a", "amy", up=300, down=400, seconds=20),
    ):
        assert radclient(port, packet)
    with platform.database.unit_of_work(write=False) as session:
        assert totals(session) == {"amy": (100, 200, 10)}
        ended = {
            key: state.stopped
            for key in (("bng-1", "s-a"), ("bng-1", "s-b"), ("bng-2", "s-c"))
            if (state := session_state(session, nas=key[0], session_id=key[1])) is not None
        }
    assert ended == {("bng-1", "s-a"): True, ("bng-1", "s-b"): True, ("bng-2", "s-c"): False}


def test_into_usage_ingest_each_delta_once(
    platform: bootstrap.Platform,
) -> None:
    server = RadiusAccountingServer(
        database=platform.database, sink=usage.ingest, secret=SECRET, clock=platform.clock
    )
    thread = CollectorThread(server).start()
    try:
        assert radclient(server.port, acct("Start", "s-u", "zoe"))
        assert radclient(
            server.port, acct("Interim-Update", "s-u", "zoe", up=300, down=900, seconds=60)
        )
        assert radclient(
            server.port, acct("Interim-Update", "s-u", "zoe", up=300, down=900, seconds=60)
        )
        assert radclient(
            server.port, acct("Stop", "s-u", "zoe", up=(1 << 32) + 500, down=1_000, seconds=90)
        )
    finally:
        thread.stop()
    table = bootstrap.metadata().tables["usage_record"]
    with platform.database.unit_of_work(write=False) as session:
        rows = session.execute(
            select(
                table.c.record_key,
                table.c.bytes_up,
                table.c.bytes_down,
                table.c.duration_seconds,
                table.c.source,
            ).order_by(table.c.duration_seconds.desc())
        ).all()
    assert [tuple(row) for row in rows] == [
        ("radius:bng-1:s-u:300:900:60", 300, 900, 60, "radius"),
        (f"radius:bng-1:s-u:{(1 << 32) + 500}:1000:90", (1 << 32) + 200, 100, 30, "radius"),
    ]


def test_a_retransmission_of_the_same_packet_is_answered_and_counted_once(
    platform: bootstrap.Platform, collector: RadiusAccountingServer
) -> None:
    request = pyrad_packet.AcctPacket(secret=SECRET.encode(), dict=accounting_dictionary())
    for name, value in acct("Interim-Update", "sess-r", "bob", up=10, down=20, seconds=30).items():
        request[name] = value.strip('"') if isinstance(value, str) else value
    raw = request.RequestPacket()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as nas:
        nas.settimeout(5)
        for _ in range(3):
            nas.sendto(raw, ("127.0.0.1", collector.port))
        answers = set()
        nas.settimeout(1)
        try:
            while True:
                answers.add(nas.recv(4096))
        except TimeoutError:
            pass
    assert answers, "no Accounting-Response"
    for answer in answers:
        assert request.VerifyReply(request.CreateReply(packet=answer), answer)
    with platform.database.unit_of_work(write=False) as session:
        assert totals(session) == {"bob": (10, 20, 30)}


def test_bad_packets_are_counted_never_answered_and_the_server_goes_on(
    platform: bootstrap.Platform, collector: RadiusAccountingServer
) -> None:
    port = collector.port
    assert not radclient(
        port, acct("Interim-Update", "s-x", "eve", up=1, seconds=1), secret="wrong"
    )
    no_session = acct("Interim-Update", "s-x", "eve", up=1, seconds=1)
    del no_session["Acct-Session-Id"]
    assert not radclient(port, no_session)
    no_user = acct("Interim-Update", "s-x", "eve", up=1, seconds=1)
    del no_user["User-Name"]
    assert not radclient(port, no_user)
    no_status = acct("Interim-Update", "s-x", "eve", up=1, seconds=1)
    del no_status["Acct-Status-Type"]
    assert not radclient(port, no_status)
    # "negative" session time: a signed -1 read as unsigned
    assert not radclient(port, acct("Interim-Update", "s-x", "eve", up=1, seconds=0xFFFF_FFFF))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        raw.sendto(b"\x04\x01\x00\x05garbage", ("127.0.0.1", port))
        # signed with the right secret, but an attribute of length 0
        body = b"\x01\x00xxxxxxxxxx"
        header = b"\x04\x01" + (20 + len(body)).to_bytes(2, "big")
        signed = hashlib.md5(header + bytes(16) + body + SECRET.encode()).digest()
        raw.sendto(header + signed + body, ("127.0.0.1", port))
        raw.sendto(header + bytes(16) + body, ("127.0.0.1", port))  # and unsigned
    assert radclient(port, acct("Interim-Update", "s-x", "eve", up=7, down=8, seconds=9))

    refused = collector.status().refused
    # radclient sent every unanswered request again (-r 2: two sends each)
    assert refused == {
        "bad_authenticator": 3,
        "missing_attribute": 6,
        "absurd_session_time": 2,
        "malformed": 2,
    }
    with platform.database.unit_of_work(write=False) as session:
        assert totals(session) == {"eve": (7, 8, 9)}


def test_nothing_is_answered_until_the_batch_is_committed(platform: bootstrap.Platform) -> None:
    failures = {"left": 2}

    def flaky_sink(session: Session, *, records: Sequence[UsageInput], now: datetime) -> int:
        result = ingest(session, records=records, now=now)
        session.flush()
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("database went away")
        return result

    server = RadiusAccountingServer(
        database=platform.database, sink=flaky_sink, secret=SECRET, clock=platform.clock
    )
    thread = CollectorThread(server).start()
    try:
        # radclient sends twice (-r 2): both transactions fail, no answer, nothing kept.
        assert not radclient(server.port, acct("Interim-Update", "s-f", "dan", up=5, seconds=5))
        with platform.database.unit_of_work(write=False) as session:
            assert totals(session) == {}
            assert session_state(session, nas="bng-1", session_id="s-f") is None
        # The NAS tries again later: stored once, answered.
        assert radclient(server.port, acct("Interim-Update", "s-f", "dan", up=5, seconds=5))
    finally:
        thread.stop()
    assert server.status().store_failures == 2
    with platform.database.unit_of_work(write=False) as session:
        assert totals(session) == {"dan": (5, 0, 5)}


def test_when_the_database_falls_behind_the_excess_is_refused_and_retried(
    platform: bootstrap.Platform,
) -> None:
    release = threading.Event()

    def slow_sink(session: Session, *, records: Sequence[UsageInput], now: datetime) -> int:
        release.wait(10)
        return ingest(session, records=records, now=now)

    server = RadiusAccountingServer(
        database=platform.database,
        sink=slow_sink,
        secret=SECRET,
        clock=platform.clock,
        batch_size=1,
        max_pending=1,
    )
    thread = CollectorThread(server).start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as nas:
            address = ("127.0.0.1", server.port)
            nas.sendto(packet("s-o1", "gina", up=1, seconds=1), address)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # until the worker holds it (the sink waits)
                status = server.status()
                if status.received == 1 and status.pending == 0:
                    break
                time.sleep(0.01)
            for n in range(2, 6):
                nas.sendto(packet(f"s-o{n}", "gina", up=n, seconds=n), address)
            while server.status().refused.get("overloaded", 0) < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            release.set()
            # one in the worker, one waiting: the other three were refused, unanswered
            assert server.status().refused == {"overloaded": 3}
            # the NAS sends them again once the database has caught up
            for n in range(1, 6):
                assert radclient(
                    server.port, acct("Interim-Update", f"s-o{n}", "gina", up=n, seconds=n)
                )
    finally:
        thread.stop()
    with platform.database.unit_of_work(write=False) as session:
        assert totals(session) == {"gina": (15, 0, 15)}


def packet(session_id: str, user: str, *, up: int, seconds: int) -> bytes:
    request = pyrad_packet.AcctPacket(secret=SECRET.encode(), dict=accounting_dictionary())
    for name, value in acct("Interim-Update", session_id, user, up=up, seconds=seconds).items():
        request[name] = value.strip('"') if isinstance(value, str) else value
    return bytes(request.RequestPacket())


def test_a_new_collector_on_the_same_database_continues_the_deltas(
    platform: bootstrap.Platform,
) -> None:
    def collector() -> CollectorThread:
        server = RadiusAccountingServer(
            database=platform.database, sink=ingest, secret=SECRET, clock=platform.clock
        )
        return CollectorThread(server).start()

    first = collector()
    assert radclient(
        first.server.port, acct("Interim-Update", "s-2", "carol", up=100, down=200, seconds=10)
    )
    first.stop()
    second = collector()
    try:
        assert radclient(
            second.server.port, acct("Stop", "s-2", "carol", up=150, down=260, seconds=15)
        )
    finally:
        second.stop()
    with platform.database.unit_of_work(write=False) as session:
        assert [(r.bytes_up, r.bytes_down) for r in records(session)] == [(100, 200), (50, 60)]


# -- kill -9 in the middle of a burst ---------------------------------------------------------

SESSIONS = 600
USERS = 40


def burst_session(i: int) -> list[dict[str, object]]:
    """Start, two Interims (the second with gigawords for some) and a Stop."""
    giga = (i % 3) << 32
    sid, user = f"burst-{i}", f"user{i % USERS}"
    return [
        acct("Start", sid, user),
        acct("Interim-Update", sid, user, up=i * 1_000 + 1, down=i * 4_000 + 1, seconds=60),
        acct(
            "Interim-Update",
            sid,
            user,
            up=giga + i * 2_000 + 2,
            down=giga + i * 5_000 + 2,
            seconds=120,
        ),
        acct("Stop", sid, user, up=giga + i * 3_000 + 7, down=giga + i * 9_000 + 7, seconds=150),
    ]


def expected_totals() -> dict[str, tuple[int, int, int]]:
    sums: dict[str, list[int]] = {}
    for i in range(SESSIONS):
        last = burst_session(i)[-1]
        up = int(last["Acct-Input-Gigawords"]) << 32 | int(last["Acct-Input-Octets"])  # type: ignore[call-overload]
        down = int(last["Acct-Output-Gigawords"]) << 32 | int(last["Acct-Output-Octets"])  # type: ignore[call-overload]
        entry = sums.setdefault(f"user{i % USERS}", [0, 0, 0])
        entry[0] += up
        entry[1] += down
        entry[2] += 150
    return {user: (a, b, c) for user, (a, b, c) in sums.items()}


def request_file(path: Path) -> None:
    """Every Start, then every first Interim, ...: a session's packets far apart in the file."""
    sessions = [burst_session(i) for i in range(SESSIONS)]
    with path.open("w") as out:
        for step in range(4):
            for packets in sessions:
                out.write(", ".join(f"{k} = {v}" for k, v in packets[step].items()) + "\n\n")


def start_collector(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "OSSBSS_DATABASE_URL": database_url,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "ossbss.cli", "usage", "radius-acct", "--port", str(port)]
    command += ["--secret", SECRET, "--sink", "usage_accounting_sink:ingest"]
    with log.open("ab") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        if status_server(port):
            return process
    process.kill()
    raise AssertionError(f"the collector did not answer:\n{log.read_text()}")


def status_server(port: int) -> bool:
    """Does the collector answer a Status-Server (RFC 5997)?"""
    request = pyrad_packet.AcctPacket(
        code=pyrad_packet.StatusServer, secret=SECRET.encode(), dict=accounting_dictionary()
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.2)
        probe.sendto(request.RequestPacket(), ("127.0.0.1", port))
        try:
            return bool(probe.recv(4096))
        except TimeoutError:
            return False


def stored_count(database: Database) -> int:
    with database.unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(SinkRecord)) or 0


def test_kill_9_in_the_middle_of_a_burst_then_restart_counts_every_record_once(
    fresh_database_url: str, tmp_path: Path
) -> None:
    database = Database(fresh_database_url)
    state_table = [AccountingSession.__table__]
    Base.metadata.create_all(database.engine, tables=state_table)  # type: ignore[arg-type]
    create_table(database.engine)
    port = free_port()
    log = tmp_path / "collector.log"
    requests = tmp_path / "burst.txt"
    request_file(requests)
    collector = start_collector(fresh_database_url, port, log)
    kills: list[int] = []
    try:
        burst = subprocess.Popen(
            [
                RADCLIENT,
                "-q",
                "-s",
                "-p",
                "40",
                "-t",
                "1",
                "-r",
                "30",
                "-f",
                str(requests),
                f"127.0.0.1:{port}",
                "acct",
                SECRET,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # Once among the first Interims, twice among the Stops (a lost Interim is made good by
        # the next cumulative packet; a Stop acknowledged before it was stored would be lost).
        stops = 2 * SESSIONS
        for threshold in (SESSIONS // 2, stops + SESSIONS // 10, stops + SESSIONS // 2):
            deadline = time.monotonic() + 60
            while stored_count(database) < threshold and time.monotonic() < deadline:
                time.sleep(0.005)
            collector.send_signal(signal.SIGKILL)
            collector.wait(10)
            kills.append(stored_count(database))
            collector = start_collector(fresh_database_url, port, log)
        output, _ = burst.communicate(timeout=180)
    finally:
        collector.terminate()
        collector.wait(10)
    expected = expected_totals()
    assert SESSIONS // 2 <= kills[0] < SESSIONS * 2, kills
    assert 2 * SESSIONS < kills[1] < 3 * SESSIONS, f"not killed among the Stops: {kills}"
    summary = output.replace(" ", "")
    assert f"Accepted:{4 * SESSIONS}" in summary, output
    # ("Lost" counts the sends that timed out while the collector was down: retried.)
    with database.unit_of_work(write=False) as session:
        assert totals(session) == expected
    database.dispose()
