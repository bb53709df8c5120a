"""From two readings of a device's interface counters to samples (pure: no I/O, no clock).

- A counter that went down either wrapped (Counter32 at 2^32, Counter64 at 2^64) or was reset
  (agent restart, counters cleared). It wrapped only if the wrapped delta is plausible: within
  what the port's speed allows over the interval (with a margin for timing jitter), or, with no
  known speed, less than half the counter's range. Otherwise the interval is discarded.
- sysUpTime going back means the agent restarted: every counter of that interval is discarded
  (a restart can leave counters higher than before, so "counter decreased" alone misses it).
- Rates are bits per second over the measured interval (between the two answers), utilisation
  the rate over ifHighSpeed (or the port's recorded speed when the agent reports none), in
  percent, clamped to 0..100 (jitter in the measured interval can push it a hair over).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ossbss.performance.samples import (
    IN_BPS,
    IN_UTILISATION,
    OPER_STATUS,
    OUT_BPS,
    OUT_UTILISATION,
    Sample,
)

TIMETICKS_MODULUS = 2**32  # sysUpTime, hundredths of a second, wraps after ~497 days
# A wrapped delta up to this factor of what the line rate allows still counts as a wrap.
WRAP_SPEED_MARGIN = 1.5


@dataclass(frozen=True, slots=True)
class PortReading:
    """One port's values in one answer (None where the agent had no such instance)."""

    in_octets: int | None
    out_octets: int | None
    oper_status: int | None
    high_speed_mbps: int | None


@dataclass(frozen=True, slots=True)
class DeviceReading:
    """A device's answer: when it came (monotonic seconds), its sysUpTime, its ports by ifIndex."""

    at: float
    uptime_ticks: int | None
    ports: Mapping[int, PortReading]
    counter_bits: int = 64


@dataclass(frozen=True, slots=True)
class PortBinding:
    """Which inventory port an ifIndex is, and its recorded speed (fallback for utilisation)."""

    port_id: str
    speed_mbps: int | None


@dataclass(frozen=True, slots=True)
class Derivation:
    samples: list[Sample]
    discarded: str | None  # why the interval gave no rates ("restart"), None when it did
    discontinuities: int  # counters that went back implausibly (interval discarded per port)


def agent_restarted(previous_ticks: int, current_ticks: int, elapsed_seconds: float) -> bool:
    """sysUpTime went back, and not because it wrapped at 2^32 during the interval."""
    if current_ticks >= previous_ticks:
        return False
    wrapped = current_ticks + TIMETICKS_MODULUS - previous_ticks
    expected = elapsed_seconds * 100
    return not (expected * 0.5 <= wrapped <= expected * 2 + 100)


def counter_delta(
    previous: int, current: int, *, bits: int, speed_mbps: float | None, elapsed_seconds: float
) -> int | None:
    """Octets counted between two readings, or None when the counter was reset."""
    if current >= previous:
        return current - previous
    modulus = 1 << bits
    wrapped = current + modulus - previous
    if speed_mbps:
        limit = speed_mbps * 1_000_000 / 8 * elapsed_seconds * WRAP_SPEED_MARGIN
    else:
        limit = modulus / 2
    return wrapped if wrapped <= limit else None


def rate_bps(octets: int, elapsed_seconds: float) -> float:
    return octets * 8 / elapsed_seconds


def utilisation_percent(bps: float, speed_mbps: float | None) -> float | None:
    if not speed_mbps or speed_mbps <= 0:
        return None
    return min(100.0, max(0.0, bps / (speed_mbps * 1_000_000) * 100))


def derive(
    previous: DeviceReading | None,
    current: DeviceReading,
    *,
    bindings: Mapping[int, PortBinding],
    at: datetime,
) -> Derivation:
    """Samples for the bound ports of ``current``: oper status always, rates and utilisation
    when ``previous`` makes a valid interval."""
    samples: list[Sample] = []
    for if_index, binding in bindings.items():
        reading = current.ports.get(if_index)
        if reading is not None and reading.oper_status is not None:
            samples.append(Sample(binding.port_id, OPER_STATUS, at, float(reading.oper_status)))
    if previous is None:
        return Derivation(samples, "first reading", 0)
    elapsed = current.at - previous.at
    if elapsed <= 0:
        return Derivation(samples, "no time elapsed", 0)
    if (
        previous.uptime_ticks is not None
        and current.uptime_ticks is not None
        and agent_restarted(previous.uptime_ticks, current.uptime_ticks, elapsed)
    ):
        return Derivation(samples, "agent restarted", 0)
    if previous.counter_bits != current.counter_bits:
        return Derivation(samples, "counter width changed", 0)
    discontinuities = 0
    for if_index, binding in bindings.items():
        before, now = previous.ports.get(if_index), current.ports.get(if_index)
        if before is None or now is None:
            continue
        speed = now.high_speed_mbps or binding.speed_mbps
        for metric, utilisation, old, new in (
            (IN_BPS, IN_UTILISATION, before.in_octets, now.in_octets),
            (OUT_BPS, OUT_UTILISATION, before.out_octets, now.out_octets),
        ):
            if old is None or new is None:
                continue
            delta = counter_delta(
                old, new, bits=current.counter_bits, speed_mbps=speed, elapsed_seconds=elapsed
            )
            if delta is None:
                discontinuities += 1
                continue
            bps = rate_bps(delta, elapsed)
            samples.append(Sample(binding.port_id, metric, at, bps))
            percent = utilisation_percent(bps, speed)
            if percent is not None:
                samples.append(Sample(binding.port_id, utilisation, at, percent))
    return Derivation(samples, None, discontinuities)
