"""kill -9: a real `ossbss billing run` (then `ossbss billing approve`) killed with SIGKILL
after its first chunks committed, then started again, leaves every account with exactly one
bill, every bill issued once, bill numbers gapless and the ledger posted once per bill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from ossbss import bootstrap

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import bill_run_world as synthetic

ACCOUNTS = 2000
RECORDS = 4000
CHUNK = "25"
BILLING = (sys.executable, "-m", "ossbss.cli", "billing")


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def scalar(url: str, sql: str) -> int:
    [(value,)] = query(url, sql)
    return int(value)  # type: ignore[call-overload]


def start(url: str, log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OSSBSS_DATABASE_URL": url, "COLUMNS": "200"}
    with log.open("wb") as output:
        return subprocess.Popen([*BILLING, *args], env=env, stdout=output, stderr=subprocess.STDOUT)


def kill_when(url: str, process: subprocess.Popen[bytes], sql: str, at_least: int) -> int:
    """SIGKILL the process once ``sql`` counts ``at_least``; the count when it died."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if scalar(url, sql) >= at_least:
            break
        time.sleep(0.02)
    assert process.poll() is None, "finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    return scalar(url, sql)


def finish(process: subprocess.Popen[bytes], log: Path) -> str:
    process.wait(timeout=300)
    output = log.read_text()
    assert process.returncode == 0, output
    return output


def test_a_killed_run_and_a_killed_approval_finish_with_each_bill_once(
    fresh_database_url: str, tmp_path: Path
) -> None:
    url = fresh_database_url
    engine = create_engine(url)
    bootstrap.metadata().create_all(engine)
    with engine.begin() as connection:
        synthetic.generate(connection, accounts=ACCOUNTS, records=RECORDS)
    engine.dispose()
    run = ("run", "--cycle", "default", "--period", "2026-01", "--chunk-size", CHUNK)

    first = start(url, tmp_path / "run-1.log", *run)
    drafted = kill_when(url, first, "SELECT count(*) FROM billing_bill", 250)

    assert 0 < drafted < ACCOUNTS
    assert drafted % int(CHUNK) == 0  # whole chunks, nothing of the one in flight
    [(run_id, state)] = query(url, "SELECT id, state FROM billing_bill_run")
    assert state == "running"
    output = finish(start(url, tmp_path / "run-2.log", *run), tmp_path / "run-2.log")
    assert f"billed {ACCOUNTS}" in output
    assert query(url, "SELECT id, state FROM billing_bill_run") == [(run_id, "draft")]
    assert scalar(url, "SELECT count(*) FROM billing_bill") == ACCOUNTS
    assert scalar(url, "SELECT count(DISTINCT billing_account_id) FROM billing_bill") == ACCOUNTS
    assert scalar(url, "SELECT count(*) FROM billing_bill_line") == 2 * ACCOUNTS

    approve = ("approve", str(run_id), "--chunk-size", CHUNK)
    issuing = start(url, tmp_path / "approve-1.log", *approve)
    issued = kill_when(
        url, issuing, "SELECT count(*) FROM billing_bill WHERE bill_no IS NOT NULL", 250
    )

    assert 0 < issued < ACCOUNTS
    assert query(url, "SELECT state FROM billing_bill_run") == [("approving",)]
    assert scalar(url, "SELECT count(DISTINCT reference_id) FROM account_ledger_entry") == issued
    finish(start(url, tmp_path / "approve-2.log", *approve), tmp_path / "approve-2.log")

    assert query(url, "SELECT state FROM billing_bill_run") == [("issued",)]
    assert query(url, "SELECT DISTINCT state FROM billing_bill") == [("sent",)]
    numbers = [row[0] for row in query(url, "SELECT bill_no FROM billing_bill ORDER BY pk")]
    assert numbers == [f"INV-{year}-{n:06d}" for year, n in _years(numbers)]
    assert sorted(int(str(number)[-6:]) for number in numbers) == list(range(1, ACCOUNTS + 1))
    assert scalar(url, "SELECT count(*) FROM account_ledger_entry") == 3 * ACCOUNTS
    assert scalar(url, "SELECT count(DISTINCT reference_id) FROM account_ledger_entry") == (
        ACCOUNTS
    )
    mismatched = query(
        url,
        "SELECT b.id FROM billing_bill b JOIN account_ledger_entry e ON e.reference_id = b.id "
        "AND e.ledger = 'RECEIVABLE' WHERE e.amount_minor <> b.amount_incl_tax_minor",
    )
    assert mismatched == []
    assert (
        scalar(url, "SELECT count(*) FROM kernel_outbox WHERE topic = 'billing.bill-issued'")
        == ACCOUNTS
    )
    assert query(url, "SELECT DISTINCT status FROM usage_record") == [("billed",)]


def _years(numbers: list[object]) -> list[tuple[str, int]]:
    """(year, n) of each number in issue order: n counts 1, 2, 3 ... within the year."""
    return [(str(number)[4:8], index) for index, number in enumerate(numbers, 1)]
