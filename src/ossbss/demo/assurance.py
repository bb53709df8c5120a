"""The demo's assurance history: last month the access device went dark for three hours (a root
alarm with its customers, a ticket opened and resolved, outages that break the SLA and earn
credits on the next bills) and an access port lost signal for 45 minutes; the last two weeks
of uplink traffic, growing, so the 95th percentile and the capacity forecast have a story."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from rich.console import Console

from ossbss import assurance, inventory, performance
from ossbss.kernel.time import Period

if TYPE_CHECKING:
    from ossbss.bootstrap import Platform

OUTAGE = timedelta(hours=3, minutes=20)
PORT_OUTAGE = timedelta(minutes=45)
TRAFFIC_DAYS = 14
# Uplink load: from 45 % to 62 % over the fortnight with a daily swing, so the forecast
# of the 80 % crossing lands a few weeks out.
LOAD_START, LOAD_GROWTH, LOAD_SWING = 45.0, 17.0, 12.0


@dataclass(frozen=True, slots=True)
class AssuranceReport:
    alarms: int
    credits: int
    samples: int


def fault_history(platform: Platform, *, console: Console) -> AssuranceReport:
    now = datetime.now(UTC)
    with platform.database.unit_of_work() as session:
        # the default KPI thresholds (utilisation above 80 %, ...), so hot ports raise alarms
        performance.seed_thresholds(
            session, now=now, path=platform.settings.performance_thresholds_policy
        )
        devices = inventory.managed_devices(session)
    access = next((d for d in devices if d.characteristics.get("role") == "access"), None)
    if access is None:
        return AssuranceReport(0, 0, 0)
    month = _last_month(now)
    outage_start = month.start + timedelta(days=11, hours=2, minutes=10)
    alarms = _outage(platform, access, start=outage_start)
    port = next((p for p in access.ports if p.role == "access" and p.if_index == 3), None)
    if port is not None:
        alarms += _port_outage(platform, access, port, start=month.start + timedelta(days=19))
    with platform.database.unit_of_work() as session:
        credits = performance.evaluate_sla(session, month=month.start.strftime("%Y-%m"), now=now)
    _settle(platform)
    samples = _traffic(platform, devices, now=now)
    console.print(
        f"demo: assurance history — {alarms} alarms, {len(credits)} SLA credits for "
        f"{month.start:%B}, {samples} KPI samples"
    )
    return AssuranceReport(alarms, len(credits), samples)


def _outage(platform: Platform, device: inventory.ManagedDevice, *, start: datetime) -> int:
    """Ports drop, then the monitoring's DeviceDown: correlation makes the device the root."""
    ports = [port for port in device.ports if port.role == "access" and port.if_index][:8]
    down = [_link_signal(device, port, at=start, clears=False) for port in ports]
    root = _device_signal(device, at=start + timedelta(seconds=40), clears=False)
    _ingest(platform, [*down, root], at=start + timedelta(seconds=40))
    end = start + OUTAGE
    up = [_link_signal(device, port, at=end, clears=True) for port in ports]
    _ingest(platform, [_device_signal(device, at=end, clears=True), *up], at=end)
    return len(down) + 1


def _port_outage(
    platform: Platform,
    device: inventory.ManagedDevice,
    port: inventory.ManagedPort,
    *,
    start: datetime,
) -> int:
    _ingest(platform, [_link_signal(device, port, at=start, clears=False)], at=start)
    end = start + PORT_OUTAGE
    _ingest(platform, [_link_signal(device, port, at=end, clears=True)], at=end)
    return 1


def _ingest(platform: Platform, signals: list[assurance.AlarmSignal], *, at: datetime) -> None:
    with platform.database.unit_of_work() as session:
        assurance.ingest(session, signals=signals, now=at)
    _settle(platform)


def _device_signal(
    device: inventory.ManagedDevice, *, at: datetime, clears: bool
) -> assurance.AlarmSignal:
    return assurance.AlarmSignal(
        source="alertmanager",
        reduction_key=f"alertmanager:DeviceDown:{device.name}",
        alarm_type="communicationsAlarm",
        probable_cause="DeviceDown",
        perceived_severity=assurance.CLEARED if clears else "critical",
        occurred_at=at,
        alarmed_object_id=device.id,
        alarmed_object_type="Device",
        source_address=device.management_address,
        text=f"{device.name} does not answer ping",
        clears=clears,
    )


def _link_signal(
    device: inventory.ManagedDevice, port: inventory.ManagedPort, *, at: datetime, clears: bool
) -> assurance.AlarmSignal:
    return assurance.AlarmSignal(
        source="snmp",
        reduction_key=f"snmp:link:{device.management_address}:{port.if_index}",
        alarm_type="communicationsAlarm",
        probable_cause="lossOfSignal",
        perceived_severity=assurance.CLEARED if clears else "major",
        occurred_at=at,
        alarmed_object_id=port.id,
        alarmed_object_type="Port",
        source_address=device.management_address,
        specific_problem=f"linkDown {port.name}",
        clears=clears,
    )


def _traffic(platform: Platform, devices: list[inventory.ManagedDevice], *, now: datetime) -> int:
    """Hourly uplink utilisation and rate for the last fortnight, one transaction a day."""
    uplinks = [
        (port, port.speed_mbps or 10_000)
        for device in devices
        for port in device.ports
        if port.role == "uplink"
    ]
    first = (now - timedelta(days=TRAFFIC_DAYS)).replace(minute=0, second=0, microsecond=0)
    stored = 0
    for day in range(TRAFFIC_DAYS):
        samples = []
        for hour in range(24):
            at = first + timedelta(days=day, hours=hour)
            progress = (day * 24 + hour) / (TRAFFIC_DAYS * 24)
            swing = math.sin((hour - 8) / 24 * 2 * math.pi)
            for number, (port, speed) in enumerate(uplinks):
                percent = LOAD_START + LOAD_GROWTH * progress + LOAD_SWING * swing - 4 * number
                rate = percent / 100 * speed * 1_000_000
                samples += [
                    performance.Sample(port.id, performance.IN_UTILISATION, at, percent),
                    performance.Sample(port.id, performance.IN_BPS, at, rate),
                    performance.Sample(port.id, performance.OUT_UTILISATION, at, percent * 0.4),
                    performance.Sample(port.id, performance.OUT_BPS, at, rate * 0.4),
                ]
        with platform.database.unit_of_work() as session:
            stored += performance.record_samples(session, samples=samples, now=now)
    _settle(platform)
    return stored


def _last_month(now: datetime) -> Period:
    this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (this_month - timedelta(days=1)).replace(day=1)
    return Period(start, this_month)


def _settle(platform: Platform) -> None:
    while platform.dispatcher.run_pending() + platform.activator.run_pending():
        pass
