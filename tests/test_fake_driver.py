"""The fake driver passes the driver contract (so unit tests that use it stand for real ones)."""

from __future__ import annotations

import pytest

from driver_contract import DriverContract, Observed, Scenario
from ossbss.provisioning.drivers.fake import FAIL_PARAM, FakeDriver


class FakeElement:
    def __init__(self, driver: FakeDriver) -> None:
        self.driver = driver

    def observe(self, service_id: str) -> Observed:
        params = self.driver.services.get(service_id)
        if params is None:
            return Observed(present=False)
        return Observed(present=True, suspended=service_id in self.driver.suspended, params=params)


class TestFakeDriver(DriverContract):
    @pytest.fixture
    def driver(self) -> FakeDriver:
        return FakeDriver()

    @pytest.fixture
    def element(self, driver: FakeDriver) -> FakeElement:
        return FakeElement(driver)

    @pytest.fixture
    def scenario(self) -> Scenario:
        return Scenario(
            spec="fake",
            initial={"rateDownKbps": "300000"},
            changed={"rateDownKbps": "1000000"},
            refused={FAIL_PARAM: "true"},
        )
