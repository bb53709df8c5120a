"""CDR files: mapping, per-row validation and quarantine, exactly-once per file, and a real
``kill -9`` in the middle of an import."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from ossbss import bootstrap, usage
from ossbss.usage.cdr import Mapping, import_file
from ossbss.usage.models import QuarantinedRecord, UsageRecord

T0 = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)


def register(platform: bootstrap.Platform, identifier: str) -> None:
    with platform.database.unit_of_work() as session:
        usage.register_subscriber(
            session,
            identifier=identifier,
            product_id="p1",
            billing_account_id="acc-1",
            offering_id="off-1",
            customer_id=None,
            valid_from=T0 - timedelta(days=30),
            now=platform.clock.now(),
        )


def count(platform: bootstrap.Platform, model: type, *where: object) -> int:
    with platform.database.unit_of_work(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_a_voice_file_quarantines_bad_rows_and_goes_on(
    platform: bootstrap.Platform, tmp_path: Path
) -> None:
    register(platform, "31612345678")
    path = tmp_path / "switch-20260110.csv"
    path.write_text(
        "a_number,b_number,start,duration\n"
        "31612345678,31201234567,2026-01-10T08:00:00Z,65\n"
        "31612345678,31201234567,2026-01-10T09:00:00+01:00,abc\n"
        ",31201234567,2026-01-10T08:02:00Z,10\n"
        "31612345678,31201234567,yesterday,10\n"
        "31612345678,31201234567,2026-01-10T08:03:00Z,-4\n"
        "31699999999,31201234567,2026-01-10T08:04:00Z,30\n"
        "31612345678,0044201234567,2026-01-10T10:00:00+02:00,120\n"
    )
    first = import_file(platform.database, platform.clock, path=path)
    counts = first.report
    assert (counts.accepted, counts.suspended, counts.duplicates, counts.rejected) == (2, 1, 0, 4)
    with platform.database.unit_of_work(write=False) as session:
        quarantined = {
            row.source_ref: row.reason for row in session.scalars(select(QuarantinedRecord))
        }
        starts = sorted(session.scalars(select(UsageRecord.started_at)))
    assert quarantined == {
        "switch-20260110.csv:2": "duration_seconds is not an integer: abc",
        "switch-20260110.csv:3": "missing subscriber (column a_number)",
        "switch-20260110.csv:4": "unreadable start time yesterday",
        "switch-20260110.csv:5": "negative duration_seconds",
    }
    # Offsets are honoured: every start is stored in UTC.
    assert starts == [T0, T0, T0 + timedelta(minutes=4)]
    again = import_file(platform.database, platform.clock, path=path)
    assert again.already_processed
    assert count(platform, UsageRecord) == 3


def test_a_declared_mapping_reads_another_layout(
    platform: bootstrap.Platform, tmp_path: Path
) -> None:
    register(platform, "alice@isp")
    mapping = tmp_path / "ggsn.toml"
    mapping.write_text(
        'feed = "ggsn-1"\nkind = "data"\ndelimiter = ";"\n'
        'time_format = "%d/%m/%Y %H:%M:%S"\ntime_zone = "Europe/Amsterdam"\n'
        "[columns]\n"
        'subscriber = "user"\nstarted_at = "begin"\nbytes_up = "up"\nbytes_down = "down"\n'
        'record_key = "session"\n'
    )
    path = tmp_path / "ggsn.csv"
    path.write_text(
        "session;user;begin;up;down\n"
        "s-1;alice@isp;10/01/2026 09:00:00;100;2000\n"
        "s-2;alice@isp;10/01/2026 09:30:00;5;7\n"
        "s-1;alice@isp;10/01/2026 09:00:00;100;2000\n"
    )
    feed = Mapping.load(mapping)
    report = import_file(platform.database, platform.clock, path=path, mapping=feed)
    assert (report.report.accepted, report.report.duplicates) == (2, 1)
    with platform.database.unit_of_work(write=False) as session:
        row = session.scalar(select(UsageRecord).where(UsageRecord.record_key == "s-1"))
    assert row is not None
    assert (row.kind, row.bytes_up, row.bytes_down) == ("data", 100, 2000)
    assert row.started_at == T0  # 09:00 in Amsterdam is 08:00 UTC


def test_sms_rows_count_one_event_each(platform: bootstrap.Platform, tmp_path: Path) -> None:
    path = tmp_path / "sms.csv"
    path.write_text("a_number,b_number,start\n316,317,2026-01-10T08:00:00Z\n")
    import_file(platform.database, platform.clock, path=path, mapping=Mapping.default("sms"))
    with platform.database.unit_of_work(write=False) as session:
        assert session.scalar(select(UsageRecord.events)) == 1


# -- a real process killed with SIGKILL in the middle of a file ------------------------------

ROWS = 60_000
BAD_EVERY = 997  # one malformed duration every 997 rows


def write_big_file(path: Path) -> int:
    lines = ["a_number,b_number,start,duration"]
    bad = 0
    for n in range(ROWS):
        duration = "x" if n % BAD_EVERY == 0 else str(n % 3600)
        bad += duration == "x"
        lines.append(f"3161{n % 5000:07d},3120{n:07d},2026-01-10T08:{n % 60:02d}:00Z,{duration}")
    path.write_text("\n".join(lines) + "\n")
    return bad


IMPORT = (sys.executable, "-m", "ossbss.cli", "usage", "import")


def run_import(url: str, path: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OSSBSS_DATABASE_URL": url, "COLUMNS": "200"}
    with log.open("wb") as output:
        return subprocess.Popen(
            [*IMPORT, str(path), "--chunk-rows", "1000"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def test_a_killed_import_resumes_and_counts_every_row_once(
    fresh_database_url: str, tmp_path: Path
) -> None:
    engine = create_engine(fresh_database_url)
    bootstrap.metadata().create_all(engine)
    engine.dispose()
    path = tmp_path / "big.csv"
    bad = write_big_file(path)
    process = run_import(fresh_database_url, path, tmp_path / "first.log")
    deadline = time.monotonic() + 60
    progress = 0
    while time.monotonic() < deadline and process.poll() is None:
        rows = query(fresh_database_url, "SELECT rows_done FROM usage_cdr_file")
        progress = int(rows[0][0]) if rows else 0  # type: ignore[call-overload]
        if progress >= 5_000:
            break
        time.sleep(0.02)
    assert process.poll() is None, (tmp_path / "first.log").read_text()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    [(status, done)] = query(fresh_database_url, "SELECT status, rows_done FROM usage_cdr_file")
    assert status == "importing"
    assert 0 < int(done) < ROWS  # type: ignore[call-overload]
    rerun = run_import(fresh_database_url, path, tmp_path / "rerun.log")
    rerun.wait(timeout=120)
    output = (tmp_path / "rerun.log").read_text()
    assert rerun.returncode == 0, output
    assert "resumed at row" in output
    [(stored,)] = query(fresh_database_url, "SELECT count(*) FROM usage_record")
    [(quarantined,)] = query(fresh_database_url, "SELECT count(*) FROM usage_quarantine")
    [(keys,)] = query(fresh_database_url, "SELECT count(DISTINCT record_key) FROM usage_record")
    assert stored == keys == ROWS - bad
    assert quarantined == bad
    [(status, done, suspended, rejected, duplicates)] = query(
        fresh_database_url,
        "SELECT status, rows_done, suspended, rejected, duplicates FROM usage_cdr_file",
    )
    assert (status, done, suspended, rejected, duplicates) == (
        "processed",
        ROWS,
        ROWS - bad,
        bad,
        0,
    )
    third = run_import(fresh_database_url, path, tmp_path / "third.log")
    third.wait(timeout=60)
    assert "already processed" in (tmp_path / "third.log").read_text()


def test_watch_picks_up_each_file_once(fresh_database_url: str, tmp_path: Path) -> None:
    engine = create_engine(fresh_database_url)
    bootstrap.metadata().create_all(engine)
    engine.dispose()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    body = "a_number,b_number,start,duration\n316,317,2026-01-10T08:00:00Z,5\n"
    (inbox / "one.csv").write_text(body)
    (inbox / "copy-of-one.csv").write_text(body)
    env = {**os.environ, "OSSBSS_DATABASE_URL": fresh_database_url}
    done = subprocess.run(
        [sys.executable, "-m", "ossbss.cli", "usage", "watch", str(inbox), "--once"],
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert "already processed" in done.stdout.decode()
    assert query(fresh_database_url, "SELECT count(*) FROM usage_record") == [(1,)]
    assert query(fresh_database_url, "SELECT count(*) FROM usage_cdr_file") == [(1,)]


def test_the_pickup_thread_imports_each_new_file_once_and_goes_on_after_a_bad_one(
    platform: bootstrap.Platform, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    reports: list[usage.FileReport] = []
    pickup = usage.CdrPickup(
        inbox,
        lambda path: usage.import_file(
            platform.database, platform.clock, path=path, mapping=usage.CdrMapping.default("voice")
        ),
        interval=0.05,
        on_file=reports.append,
    ).start()
    try:
        body = "a_number,b_number,start,duration\n316,317,2026-01-10T08:00:00Z,5\n"
        (inbox / "broken.csv").write_text("not,a,voice\nfile\n")
        (inbox / "one.csv").write_text(body)
        _wait_for(lambda: len(reports) == 1)
        (inbox / "copy-of-one.csv").write_text(body)
        _wait_for(lambda: len(reports) == 2)
    finally:
        pickup.stop()
    assert [(r.name, r.already_processed) for r in reports] == [
        ("one.csv", False),
        ("copy-of-one.csv", True),
    ]
    assert count(platform, UsageRecord) == 1


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the pickup did not get there"
        time.sleep(0.02)
