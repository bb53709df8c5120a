"""The poller: every interval, every target device is read (at most ``concurrency`` at once),
its reading turned into samples against the previous one (``rules.derive``), and the samples
of the cycle handed to the sink in one call (off the event loop: the sink writes to the
database).

A device still being polled when its interval ends is an overrun: counted, logged (throttled),
and not started again until its poll finishes. A device that does not answer, or answers with
an error, is a failure: counted per device with the consecutive count and the last error, so
``status()`` tells which devices are unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ossbss.kernel import Clock
from ossbss.performance.poller.ber import BerError
from ossbss.performance.poller.client import SnmpClient, SnmpError, SnmpTimeout
from ossbss.performance.poller.ifmib import DeviceTarget, read_device
from ossbss.performance.poller.rules import DeviceReading, derive
from ossbss.performance.samples import REACHABLE, Sample, SampleSink

log = logging.getLogger(__name__)
LOG_EVERY_SECONDS = 60.0

TargetLoader = Callable[[], Sequence[DeviceTarget]]


@dataclass(frozen=True)
class DeviceStatus:
    device_id: str
    name: str
    address: str
    polls: int
    failures: int
    consecutive_failures: int
    overruns: int
    discarded_intervals: int  # agent restarts, counter resets
    last_error: str | None
    last_polled_at: datetime | None
    last_duration_seconds: float | None

    @property
    def reachable(self) -> bool:
        return self.polls > 0 and self.consecutive_failures == 0


@dataclass(frozen=True)
class PollerStatus:
    cycles: int
    polls: int
    failures: int
    overruns: int
    samples: int
    values: int
    sink_failures: int
    last_cycle_seconds: float | None
    devices: tuple[DeviceStatus, ...]

    @property
    def unreachable(self) -> tuple[DeviceStatus, ...]:
        return tuple(d for d in self.devices if d.consecutive_failures > 0)


@dataclass(frozen=True)
class CycleReport:
    devices: int
    polled: int
    failed: int
    overruns: int
    samples: int
    values: int
    seconds: float


@dataclass
class _Device:
    target: DeviceTarget
    polls: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    overruns: int = 0
    discarded: int = 0
    last_error: str | None = None
    last_polled_at: datetime | None = None
    last_duration: float | None = None
    previous: DeviceReading | None = None
    running: asyncio.Task[None] | None = None


@dataclass
class _Totals:
    cycles: int = 0
    polls: int = 0
    failures: int = 0
    overruns: int = 0
    samples: int = 0
    values: int = 0
    sink_failures: int = 0
    last_cycle: float | None = None
    reasons: Counter[str] = field(default_factory=Counter)


class Poller:
    def __init__(
        self,
        *,
        client: SnmpClient,
        targets: TargetLoader,
        sink: SampleSink,
        clock: Clock,
        interval: float = 300.0,
        concurrency: int = 200,
        max_repetitions: int = 25,
    ) -> None:
        self._client = client
        self._load_targets = targets
        self._sink = sink
        self._clock = clock
        self.interval = interval
        self._limit = asyncio.Semaphore(max(1, concurrency))
        self._max_repetitions = max_repetitions
        self._devices: dict[str, _Device] = {}
        self._buffer: list[Sample] = []
        self._totals = _Totals()
        self._last_log: dict[str, float] = {}

    # -- one cycle ---------------------------------------------------------------------------

    async def poll_once(self) -> CycleReport:
        """Poll every target once (waiting at most one interval), then hand the samples over."""
        started = time.monotonic()
        targets = await asyncio.to_thread(self._load_targets)
        self._refresh(targets)
        before = (self._totals.polls, self._totals.failures, self._totals.values)
        tasks: list[asyncio.Task[None]] = []
        overruns = 0
        for device in self._devices.values():
            if device.running is not None and not device.running.done():
                overruns += 1  # still on the previous cycle's poll: not started twice
                continue
            device.running = asyncio.create_task(self._poll(device))
            tasks.append(device.running)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.interval)
            overruns += len(late)
            for device in self._devices.values():
                if device.running in late:
                    device.overruns += 1
                    self._warn("overrun", "poll of %s overran the %gs interval", device, None)
        self._totals.overruns += overruns
        samples = await self.flush()
        seconds = time.monotonic() - started
        self._totals.cycles += 1
        self._totals.last_cycle = seconds
        return CycleReport(
            devices=len(self._devices),
            polled=self._totals.polls - before[0],
            failed=self._totals.failures - before[1],
            overruns=overruns,
            samples=samples,
            values=self._totals.values - before[2],
            seconds=seconds,
        )

    async def run(self, stopping: asyncio.Event) -> None:
        """Cycles every interval until ``stopping`` is set."""
        loop = asyncio.get_running_loop()
        next_cycle = loop.time()
        while not stopping.is_set():
            try:
                await self.poll_once()
            except Exception as exc:  # the inventory or the sink failed: try next interval
                log.warning("poller cycle failed: %s", exc)
            next_cycle += self.interval
            now = loop.time()
            if next_cycle < now:
                next_cycle = now  # the cycle overran the interval: start again at once
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=next_cycle - now)
        for device in self._devices.values():
            if device.running is not None:
                device.running.cancel()

    async def flush(self) -> int:
        """Hand the buffered samples to the sink (in a thread); how many there were."""
        if not self._buffer:
            return 0
        samples, self._buffer = self._buffer, []
        try:
            await asyncio.to_thread(self._sink, samples)
        except Exception as exc:
            self._totals.sink_failures += 1
            if self._due("sink"):
                log.warning("poller: %d samples not stored: %s", len(samples), exc)
            return 0
        self._totals.samples += len(samples)
        return len(samples)

    def _refresh(self, targets: Sequence[DeviceTarget]) -> None:
        wanted = {target.device_id: target for target in targets}
        for device_id in list(self._devices):
            if device_id not in wanted:
                device = self._devices.pop(device_id)
                if device.running is not None:
                    device.running.cancel()
        for device_id, target in wanted.items():
            known = self._devices.get(device_id)
            if known is None:
                self._devices[device_id] = _Device(target)
            elif known.target != target:
                if known.target.address != target.address:
                    known.previous = None  # another agent: its counters are not comparable
                known.target = target

    # -- one device --------------------------------------------------------------------------

    async def _poll(self, device: _Device) -> None:
        async with self._limit:
            target = device.target
            started = time.monotonic()
            try:
                reading, values = await read_device(
                    self._client, target, max_repetitions=self._max_repetitions
                )
            except (SnmpTimeout, SnmpError, BerError, OSError) as exc:
                self._failed(device, exc)
                return
            finally:
                device.last_duration = time.monotonic() - started
        now = self._clock.now()
        derivation = derive(device.previous, reading, bindings=target.bindings, at=now)
        device.previous = reading
        device.polls += 1
        device.consecutive_failures = 0
        device.last_polled_at = now
        if derivation.discarded == "agent restarted" or derivation.discontinuities:
            device.discarded += 1
        self._totals.polls += 1
        self._totals.values += values
        self._buffer.extend(derivation.samples)
        self._buffer.append(Sample(target.device_id, REACHABLE, now, 1.0))

    def _failed(self, device: _Device, exc: Exception) -> None:
        device.failures += 1
        device.consecutive_failures += 1
        device.last_error = str(exc) or type(exc).__name__
        self._totals.failures += 1
        self._totals.reasons[type(exc).__name__] += 1
        self._buffer.append(Sample(device.target.device_id, REACHABLE, self._clock.now(), 0.0))
        self._warn("failure", "poll of %s failed: %s", device, device.last_error)

    def _due(self, reason: str) -> bool:
        """At most one log line per reason per LOG_EVERY_SECONDS."""
        now = time.monotonic()
        if now - self._last_log.get(reason, -LOG_EVERY_SECONDS) < LOG_EVERY_SECONDS:
            return False
        self._last_log[reason] = now
        return True

    def _warn(self, reason: str, message: str, device: _Device, detail: str | None) -> None:
        if not self._due(reason):
            return
        name = f"{device.target.name} ({device.target.address[0]}:{device.target.address[1]})"
        log.warning(message, name, detail if detail is not None else self.interval)

    # -- status ------------------------------------------------------------------------------

    def status(self) -> PollerStatus:
        totals = self._totals
        return PollerStatus(
            cycles=totals.cycles,
            polls=totals.polls,
            failures=totals.failures,
            overruns=totals.overruns,
            samples=totals.samples,
            values=totals.values,
            sink_failures=totals.sink_failures,
            last_cycle_seconds=totals.last_cycle,
            devices=tuple(
                DeviceStatus(
                    device_id=device.target.device_id,
                    name=device.target.name,
                    address=f"{device.target.address[0]}:{device.target.address[1]}",
                    polls=device.polls,
                    failures=device.failures,
                    consecutive_failures=device.consecutive_failures,
                    overruns=device.overruns,
                    discarded_intervals=device.discarded,
                    last_error=device.last_error,
                    last_polled_at=device.last_polled_at,
                    last_duration_seconds=device.last_duration,
                )
                # A copy: status() is read from other threads while the loop refreshes.
                for device in list(self._devices.values())
            ),
        )

    def latest(self) -> dict[str, DeviceReading]:
        """The last reading of each device (the CLI's table)."""
        return {
            device_id: device.previous
            for device_id, device in self._devices.items()
            if device.previous is not None
        }
