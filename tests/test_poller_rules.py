"""Counter rules of the poller (pure): wrap of Counter32 and Counter64, agent restart,
rates over the measured interval, utilisation against ifHighSpeed or the recorded speed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ossbss.performance import (
    IN_BPS,
    IN_UTILISATION,
    OPER_STATUS,
    OUT_BPS,
    OUT_UTILISATION,
)
from ossbss.performance.poller import DeviceReading, PortBinding, PortReading, derive
from ossbss.performance.poller.rules import (
    agent_restarted,
    counter_delta,
    rate_bps,
    utilisation_percent,
)

AT = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
BINDINGS = {1: PortBinding("port-1", speed_mbps=1000), 2: PortBinding("port-2", None)}


def reading(
    at: float, uptime: int | None, ports: dict[int, tuple[int, int, int, int | None]], bits=64
) -> DeviceReading:
    return DeviceReading(
        at=at,
        uptime_ticks=uptime,
        ports={index: PortReading(*values) for index, values in ports.items()},
        counter_bits=bits,
    )


def values(derivation_samples, metric: str) -> dict[str, float]:
    return {s.resource_id: s.value for s in derivation_samples if s.metric == metric}


def test_an_increasing_counter_is_the_plain_difference() -> None:
    assert counter_delta(100, 350, bits=64, speed_mbps=1000, elapsed_seconds=1) == 250


def test_counter32_wraps_at_two_to_the_32() -> None:
    before, after = 2**32 - 1_000, 500
    assert counter_delta(before, after, bits=32, speed_mbps=1000, elapsed_seconds=10) == 1_500
    # Without a known speed a wrap is believed while the wrapped delta is under half the range.
    assert counter_delta(before, after, bits=32, speed_mbps=None, elapsed_seconds=10) == 1_500


def test_counter64_wraps_at_two_to_the_64() -> None:
    before = 2**64 - 10_000
    assert counter_delta(before, 5_000, bits=64, speed_mbps=10, elapsed_seconds=1) == 15_000


def test_a_counter_that_went_back_further_than_the_line_allows_was_reset() -> None:
    # 1 Gbit/s for 10 s is 1.25e9 octets: a 64-bit "wrap" from 5e9 to 1e3 is a reset.
    assert counter_delta(5_000_000_000, 1_000, bits=64, speed_mbps=1000, elapsed_seconds=10) is None
    assert counter_delta(5_000_000_000, 1_000, bits=64, speed_mbps=None, elapsed_seconds=10) is None
    # A Counter32 wrap bigger than the line rate allows is a reset too.
    assert counter_delta(2**31, 10, bits=32, speed_mbps=1, elapsed_seconds=1) is None


def test_uptime_going_back_is_a_restart_unless_it_wrapped() -> None:
    assert agent_restarted(500_000, 200, elapsed_seconds=300)
    assert not agent_restarted(200, 30_200, elapsed_seconds=300)
    # sysUpTime wraps at 2^32 hundredths (~497 days): back by exactly the interval is a wrap.
    assert not agent_restarted(2**32 - 10_000, 20_000, elapsed_seconds=300)


def test_rate_and_utilisation() -> None:
    assert rate_bps(125_000_000, 10) == 100_000_000
    assert utilisation_percent(100_000_000, 1000) == pytest.approx(10.0)
    assert utilisation_percent(1_100_000_000, 1000) == 100.0  # jitter never shows over 100
    assert utilisation_percent(5, None) is None
    assert utilisation_percent(5, 0) is None


def test_first_reading_gives_oper_status_only() -> None:
    derivation = derive(None, reading(0, 100, {1: (1, 1, 1, 1000)}), bindings=BINDINGS, at=AT)
    assert derivation.discarded == "first reading"
    assert [(s.resource_id, s.metric, s.value) for s in derivation.samples] == [
        ("port-1", OPER_STATUS, 1.0)
    ]


def test_rates_and_utilisation_over_the_measured_interval() -> None:
    before = reading(10.0, 1_000, {1: (0, 0, 1, 1000), 2: (0, 0, 2, None)})
    after = reading(
        12.5, 1_250, {1: (31_250_000, 3_125_000, 1, 1000), 2: (2**20, 0, 2, None)}
    )  # 2.5 s later
    derivation = derive(before, after, bindings=BINDINGS, at=AT)
    assert derivation.discarded is None
    assert values(derivation.samples, IN_BPS) == {
        "port-1": pytest.approx(100_000_000),
        "port-2": pytest.approx(2**20 * 8 / 2.5),
    }
    assert values(derivation.samples, OUT_BPS)["port-1"] == pytest.approx(10_000_000)
    assert values(derivation.samples, IN_UTILISATION) == {"port-1": pytest.approx(10.0)}
    assert values(derivation.samples, OUT_UTILISATION) == {"port-1": pytest.approx(1.0)}
    assert values(derivation.samples, OPER_STATUS) == {"port-1": 1.0, "port-2": 2.0}
    assert all(s.at == AT for s in derivation.samples)


def test_utilisation_falls_back_to_the_recorded_speed() -> None:
    bindings = {1: PortBinding("port-1", speed_mbps=100)}
    before = reading(0.0, 0, {1: (0, 0, 1, None)})
    after = reading(1.0, 100, {1: (1_250_000, 0, 1, None)})  # 10 Mbit/s of 100
    samples = derive(before, after, bindings=bindings, at=AT).samples
    assert values(samples, IN_UTILISATION) == {"port-1": pytest.approx(10.0)}


def test_counter32_wrap_between_two_readings_gives_the_right_rate() -> None:
    before = reading(0.0, 0, {1: (2**32 - 1_000_000, 0, 1, 1000)}, bits=32)
    after = reading(1.0, 100, {1: (1_500_000, 0, 1, 1000)}, bits=32)
    samples = derive(before, after, bindings=BINDINGS, at=AT).samples
    assert values(samples, IN_BPS)["port-1"] == pytest.approx(2_500_000 * 8)


def test_an_agent_restart_discards_the_interval_even_with_higher_counters() -> None:
    before = reading(0.0, 900_000, {1: (1_000, 1_000, 1, 1000)})
    after = reading(300.0, 1_000, {1: (9_000_000, 9_000_000, 1, 1000)})
    derivation = derive(before, after, bindings=BINDINGS, at=AT)
    assert derivation.discarded == "agent restarted"
    assert values(derivation.samples, IN_BPS) == {}
    assert values(derivation.samples, OPER_STATUS) == {"port-1": 1.0}


def test_a_counter_reset_without_a_restart_discards_that_counter_only() -> None:
    before = reading(0.0, 0, {1: (5_000_000_000, 1_000, 1, 1000)})
    after = reading(10.0, 1_000, {1: (10, 2_000, 1, 1000)})
    derivation = derive(before, after, bindings=BINDINGS, at=AT)
    assert derivation.discontinuities == 1
    assert values(derivation.samples, IN_BPS) == {}
    assert values(derivation.samples, OUT_BPS) == {"port-1": pytest.approx(800)}


def test_a_port_missing_from_one_reading_gives_no_rate() -> None:
    before = reading(0.0, 0, {})
    after = reading(1.0, 100, {1: (10, 10, 1, 1000)})
    assert values(derive(before, after, bindings=BINDINGS, at=AT).samples, IN_BPS) == {}
