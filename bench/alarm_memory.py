"""100,000 active alarms in at most 1 GB: ingest N distinct alarms through the AlarmPipeline
into SQLite, then N duplicates of them (the de-duplication path), and report the process's
peak resident memory (VmHWM) and the ingest rates, with the rate of a bare executemany
insert of the same rows measured in the same run as the reference.

    .venv/bin/python bench/alarm_memory.py [--count 100000] [--batch-size 2000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert

from ossbss import assurance, bootstrap
from ossbss.assurance import AlarmPipeline, AlarmSignal
from ossbss.assurance.models import Alarm
from ossbss.kernel import Database, FixedClock, new_id

START = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CHUNK = 1000  # signals per submit, as a collector's batch would be
CAUSES = (
    "lossOfSignal",
    "linkDown",
    "powerProblem",
    "temperatureUnacceptable",
    "cpuCyclesLimitExceeded",
)
SEVERITIES = ("critical", "major", "minor", "warning")


def _memory_kib() -> dict[str, int]:
    """VmRSS and VmHWM (peak) of this process, in KiB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    if not found:  # not Linux: ru_maxrss is the peak (KiB on Linux, bytes on macOS)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        found = {"VmRSS": peak, "VmHWM": peak}
    return found


def _signal(n: int, *, minute: int) -> AlarmSignal:
    device, port = divmod(n, 48)
    cause = CAUSES[n % len(CAUSES)]
    return AlarmSignal(
        source="snmp",
        reduction_key=f"dev-{device:05d}|{cause}|{port}",
        alarm_type="communicationsAlarm",
        probable_cause=cause,
        perceived_severity=SEVERITIES[n % len(SEVERITIES)],
        occurred_at=START + timedelta(minutes=minute, microseconds=n),
        alarmed_object_id=f"port-{device:05d}-{port:02d}",
        alarmed_object_type="Port",
        source_address=f"10.{device // 256 % 256}.{device % 256}.1",
        specific_problem=f"ifIndex {port + 1}",
        text=f"Interface GigabitEthernet0/{port} on dev-{device:05d} reports {cause}",
        details={"ifIndex": str(port + 1), "ifName": f"Gi0/{port}"},
    )


def _chunks(count: int, *, minute: int) -> Iterator[list[AlarmSignal]]:
    for start in range(0, count, CHUNK):
        yield [_signal(n, minute=minute) for n in range(start, min(count, start + CHUNK))]


def _through_pipeline(pipeline: AlarmPipeline, count: int, *, minute: int) -> tuple[float, float]:
    """Wall and CPU seconds (the writer thread's CPU included: same process)."""
    started, cpu = time.perf_counter(), time.process_time()
    for chunk in _chunks(count, minute=minute):
        while not pipeline.submit(chunk):  # full: the writer catches up (a collector would drop)
            time.sleep(0.005)
    if not pipeline.flush(timeout=600):
        raise SystemExit("the pipeline did not drain")
    return time.perf_counter() - started, time.process_time() - cpu


def _row(signal: AlarmSignal) -> dict[str, Any]:
    at = signal.occurred_at
    return {
        "id": new_id(),
        "reduction_key": signal.reduction_key,
        "source": signal.source,
        "state": "raised",
        "alarm_type": signal.alarm_type,
        "probable_cause": signal.probable_cause,
        "specific_problem": signal.specific_problem,
        "perceived_severity": signal.perceived_severity,
        "alarmed_object_id": signal.alarmed_object_id,
        "alarmed_object_type": signal.alarmed_object_type,
        "resolved": True,
        "source_address": signal.source_address,
        "text": signal.text,
        "details": dict(signal.details),
        "count": 1,
        "raised_at": at,
        "last_occurred_at": at,
        "changed_at": at,
    }


def _bare_insert(database: Database, count: int, batch_size: int) -> tuple[float, float]:
    """The reference: the same rows, executemany'd straight into the table, no de-dup."""
    table = cast(Table, Alarm.__table__)
    started, cpu = time.perf_counter(), time.process_time()
    rows: list[dict[str, Any]] = []
    for chunk in _chunks(count, minute=0):
        rows.extend(_row(signal) for signal in chunk)
        if len(rows) >= batch_size:
            with database.unit_of_work() as session:
                session.execute(insert(table), rows)
            rows = []
    if rows:
        with database.unit_of_work() as session:
            session.execute(insert(table), rows)
    return time.perf_counter() - started, time.process_time() - cpu


def _rate(name: str, count: int, wall: float, cpu: float) -> str:
    return (
        f"  {name:<26} {count / wall:>9,.0f}/s wall ({wall:.1f} s)"
        f" {count / cpu:>9,.0f}/s CPU ({cpu:.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000, help="distinct active alarms")
    parser.add_argument("--batch-size", type=int, default=2000, help="pipeline batch size")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="alarm-bench-") as directory:
        database = Database(f"sqlite:///{directory}/alarms.db")
        bootstrap.metadata().create_all(database.engine)
        reference = Database(f"sqlite:///{directory}/reference.db")
        cast(Table, Alarm.__table__).create(reference.engine)
        clock = FixedClock(START)
        pipeline = AlarmPipeline(database, clock, batch_size=args.batch_size, max_pending=200_000)
        assurance.configure(pipeline=pipeline)
        before = _memory_kib()
        pipeline.start()
        raise_seconds, raise_cpu = _through_pipeline(pipeline, args.count, minute=0)
        clock.set(START + timedelta(minutes=1))
        duplicate_seconds, duplicate_cpu = _through_pipeline(pipeline, args.count, minute=1)
        pipeline.stop()
        after = _memory_kib()
        status = pipeline.status()
        with database.unit_of_work(write=False) as session:
            active = session.query(Alarm).filter(Alarm.state != "cleared").count()
        bare_seconds, bare_cpu = _bare_insert(reference, args.count, args.batch_size)
        database.dispose()
        reference.dispose()

    count = args.count
    peak_mib = after["VmHWM"] / 1024
    lines = [
        f"alarms:               {count:,} distinct keys, then {count:,} duplicates of them",
        f"active alarms stored: {active:,} (stored {status['stored']:,}, "
        f"failed {status['failed']})",
        f"peak RSS (VmHWM):     {peak_mib:,.0f} MiB (target <= 1024 MiB; "
        f"{before['VmHWM'] / 1024:,.0f} MiB before ingest, "
        f"{after['VmRSS'] / 1024:,.0f} MiB at the end)",
        "rates (per wall second / per CPU second of this process):",
        _rate("raise through pipeline", count, raise_seconds, raise_cpu),
        _rate("duplicates de-duplicated", count, duplicate_seconds, duplicate_cpu),
        _rate("reference: bare insert", count, bare_seconds, bare_cpu),
        f"ratio raise/bare:     {bare_seconds / raise_seconds:.2f} wall, "
        f"{bare_cpu / raise_cpu:.2f} CPU",
        f"ratio duplicate/bare: {bare_seconds / duplicate_seconds:.2f} wall, "
        f"{bare_cpu / duplicate_cpu:.2f} CPU",
    ]
    print("\n".join(lines))
    if active != count:
        raise SystemExit(f"expected {count} active alarms, found {active}")


if __name__ == "__main__":
    main()
