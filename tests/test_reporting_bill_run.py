"""Revenue assurance over a month billed by the real bill run (billing.start_run, run_bills,
approve_run): every live product has its recurring line (in advance), the rated usage is
billed, the terminated product is charged nothing: a clean month. Skipped until the bill run
is on the branch under test (it is written in parallel)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ossbss import billing, bootstrap, reporting
from ossbss.kernel import FixedClock
from reporting_world import JANUARY, day
from test_reporting_assurance import _month


def test_a_month_billed_by_the_bill_run_is_clean(
    client: TestClient, platform: bootstrap.Platform, clock: FixedClock
) -> None:
    door: Any = billing
    if not hasattr(door, "start_run"):
        pytest.skip("the bill run is not merged yet")
    _month(client, platform)
    clock.set(day(2, 2, 6))
    with platform.database.unit_of_work() as session:
        run_id = door.start_run(session, cycle_id="default", period=JANUARY, now=clock.now())
    door.run_bills(platform.database, run_id=run_id, clock=clock, chunk_size=5)
    with platform.database.unit_of_work(write=False) as session:
        drafted = reporting.revenue_assurance(session, period=JANUARY)
    assert drafted.waiting == 2  # drafts are not bills yet: the usage waits
    clock.set(day(2, 2, 8))
    door.approve_run(platform.database, run_id=run_id, clock=clock, chunk_size=4)
    with platform.database.unit_of_work(write=False) as session:
        report = reporting.revenue_assurance(session, period=JANUARY)
    assert report.clean, report.gaps
    assert (report.rated, report.billed, report.waiting) == (2, 2, 0)
