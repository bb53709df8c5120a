"""AlarmPipeline: batches on a writer thread, durable futures, overload, bad signals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alarm_helpers import alarms, signal
from ossbss import assurance, bootstrap
from ossbss.assurance import AlarmPipeline, Overloaded


@pytest.fixture
def pipeline(platform: bootstrap.Platform) -> Iterator[AlarmPipeline]:
    pipeline = AlarmPipeline(platform.database, platform.clock, batch_size=50, max_pending=100)
    yield pipeline
    pipeline.stop()


def test_the_platform_wires_its_pipeline(platform: bootstrap.Platform) -> None:
    assert assurance.alarm_pipeline() is platform.alarm_pipeline


def test_a_durable_submission_resolves_once_committed(
    pipeline: AlarmPipeline, platform: bootstrap.Platform
) -> None:
    pipeline.start()
    futures = [pipeline.submit_durable([signal(f"key-{n}")]) for n in range(30)]
    outcomes = [future.result(timeout=10) for future in futures]
    # resolved means committed: another session sees every alarm
    stored = {alarm.reduction_key for alarm in alarms(platform)}
    assert stored == {f"key-{n}" for n in range(30)}
    assert all(outcome.raised for outcome in outcomes)
    assert pipeline.status()["stored"] == 30


def test_fire_and_forget_batches_merge_duplicates(
    pipeline: AlarmPipeline, platform: bootstrap.Platform
) -> None:
    assert pipeline.submit([signal("a", minute=m) for m in range(10)])
    assert pipeline.submit([signal("b")])
    pipeline.start()
    assert pipeline.flush(timeout=10)
    assert {(a.reduction_key, a.count) for a in alarms(platform)} == {("a", 10), ("b", 1)}


def test_a_full_pipeline_refuses_and_counts(
    pipeline: AlarmPipeline, platform: bootstrap.Platform
) -> None:
    # not started: nothing drains while we fill it
    assert pipeline.submit([signal(f"k{n}") for n in range(90)])
    assert not pipeline.submit([signal(f"x{n}") for n in range(11)])
    refused = pipeline.submit_durable([signal(f"y{n}") for n in range(11)])
    with pytest.raises(Overloaded):
        refused.result(timeout=1)
    assert pipeline.status()["overloaded"] == 22
    assert pipeline.submit([signal("last")])
    pipeline.stop()  # drains what was accepted
    assert len(alarms(platform)) == 91


def test_a_bad_signal_loses_only_itself(
    pipeline: AlarmPipeline, platform: bootstrap.Platform
) -> None:
    good = pipeline.submit_durable([signal("good-1")])
    bad = pipeline.submit_durable([signal("bad", details={"x": object()}), signal("good-2")])  # type: ignore[dict-item]
    other = pipeline.submit_durable([signal("good-3")])
    pipeline.start()
    assert good.result(timeout=10).raised
    assert other.result(timeout=10).raised
    assert bad.exception(timeout=10) is not None  # the driver's serialisation error
    assert {a.reduction_key for a in alarms(platform)} == {"good-1", "good-2", "good-3"}
    status = pipeline.status()
    assert (status["stored"], status["failed"], status["retriedBatches"]) == (3, 1, 1)
    assert status["lastError"]
