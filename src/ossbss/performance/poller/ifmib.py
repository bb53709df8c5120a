"""Reading a device's interface counters: the IF-MIB columns by numeric OID (Debian ships no
MIBs) walked with GETBULK, sysUpTime as the non-repeater of the first request.

The walk starts just below the lowest ifIndex the inventory knows and stops at the highest, so
a device with many interfaces and few managed ports costs no more than its managed range.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from ossbss.performance.poller.ber import END_OF_MIB_VIEW, Oid, VarBind
from ossbss.performance.poller.client import SnmpClient
from ossbss.performance.poller.rules import DeviceReading, PortBinding, PortReading

SYS_UPTIME: Oid = (1, 3, 6, 1, 2, 1, 1, 3, 0)
# GETBULK's non-repeaters are GETNEXTs: ask for the object to get its instance .0.
SYS_UPTIME_OBJECT: Oid = SYS_UPTIME[:-1]
IF_DESCR: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_OPER_STATUS: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)
IF_IN_OCTETS: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 10)  # Counter32
IF_OUT_OCTETS: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 16)  # Counter32
IF_HC_IN_OCTETS: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)  # Counter64
IF_HC_OUT_OCTETS: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10)  # Counter64
IF_HIGH_SPEED: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15)  # Gauge32, Mbit/s

MAX_ROUNDS = 64  # a misbehaving agent never keeps a poll going forever


def columns(counter_bits: int) -> tuple[Oid, Oid, Oid, Oid]:
    """In octets, out octets, oper status, high speed: the order of ``PortReading``'s fields."""
    if counter_bits == 32:
        return (IF_IN_OCTETS, IF_OUT_OCTETS, IF_OPER_STATUS, IF_HIGH_SPEED)
    return (IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_OPER_STATUS, IF_HIGH_SPEED)


@dataclass(frozen=True, slots=True)
class DeviceTarget:
    """What to poll on one device and how to reach it (built from the inventory)."""

    device_id: str
    name: str
    address: tuple[str, int]
    community: bytes
    bindings: Mapping[int, PortBinding]  # ifIndex -> inventory port
    counter_bits: int = 64


async def read_device(
    client: SnmpClient, target: DeviceTarget, *, max_repetitions: int = 25
) -> tuple[DeviceReading, int]:
    """The device's reading and how many of its values were for managed ports."""
    wanted = sorted(target.bindings)
    if not wanted:
        varbinds = await client.get(target.address, target.community, [SYS_UPTIME])
        return DeviceReading(time.monotonic(), _uptime(varbinds[0]), {}, target.counter_bits), 1
    cols = columns(target.counter_bits)
    low, high = wanted[0], wanted[-1]
    cursors: dict[int, Oid] = {
        position: (*column, low - 1) if low > 1 else column for position, column in enumerate(cols)
    }
    found: list[dict[int, int]] = [{} for _ in cols]
    uptime: int | None = None
    answered_at: float | None = None
    repetitions = max(1, min(max_repetitions, len(wanted) + 1))
    for _ in range(MAX_ROUNDS):
        if not cursors:
            break
        first = answered_at is None
        active = list(cursors)
        asked = [cursors[position] for position in active]
        varbinds = await client.get_bulk(
            target.address,
            target.community,
            [SYS_UPTIME_OBJECT, *asked] if first else asked,
            non_repeaters=1 if first else 0,
            max_repetitions=repetitions,
        )
        if first:
            answered_at = time.monotonic()
            if varbinds:
                uptime = _uptime(varbinds[0])
                varbinds = varbinds[1:]
        if not varbinds:
            break
        for offset, varbind in enumerate(varbinds):
            position = active[offset % len(active)]
            if position not in cursors:
                continue  # that column ended earlier in this answer
            index = _index_in(varbind, cols[position], after=cursors[position])
            if index is None:
                del cursors[position]
                continue
            if isinstance(varbind.value, int):
                found[position][index] = varbind.value
            cursors[position] = varbind.oid
            if index >= high:
                del cursors[position]
    assert answered_at is not None
    # Values read for managed ports (what a poll is for), not the walk's overshoot.
    values = (uptime is not None) + sum(
        1 for column in found for if_index in column if if_index in target.bindings
    )
    ports = {
        if_index: PortReading(
            in_octets=found[0].get(if_index),
            out_octets=found[1].get(if_index),
            oper_status=found[2].get(if_index),
            high_speed_mbps=found[3].get(if_index),
        )
        for if_index in wanted
        if any(if_index in column for column in found)
    }
    return DeviceReading(answered_at, uptime, ports, target.counter_bits), values


def _uptime(varbind: VarBind) -> int | None:
    if varbind.oid != SYS_UPTIME or not isinstance(varbind.value, int):
        return None
    return varbind.value


def _index_in(varbind: VarBind, column: Oid, *, after: Oid) -> int | None:
    """The ifIndex of a walked varbind, or None when the column has ended (or the agent went
    backwards, which would loop)."""
    oid = varbind.oid
    if varbind.tag == END_OF_MIB_VIEW or len(oid) != len(column) + 1 or oid[:-1] != column:
        return None
    if oid <= after:
        return None
    return oid[-1]
