"""The contract every driver passes (napalm style): subclass ``DriverContract`` per driver.

A subclass provides three fixtures:

- ``driver``: the driver under test, connected to its element;
- ``element``: an ``Element`` that reads what the network element really holds;
- ``scenario``: a ``Scenario`` with the driver's spec name and parameter sets.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import pytest

from ossbss.provisioning.drivers import Action, ActivationRequest, Driver


@dataclass(frozen=True)
class Observed:
    present: bool
    suspended: bool = False
    # The parameters the element holds, as the driver's scenario names them.
    params: Mapping[str, str] | None = None


class Element(Protocol):
    def observe(self, service_id: str) -> Observed: ...


@dataclass(frozen=True)
class Scenario:
    spec: str
    initial: Mapping[str, str]
    changed: Mapping[str, str]  # a modify (e.g. a speed change) of ``initial``
    refused: Mapping[str, str]  # params the element itself refuses on add


def request(
    scenario: Scenario,
    service_id: str,
    action: Action,
    params: Mapping[str, str],
    previous: Mapping[str, str] | None = None,
) -> ActivationRequest:
    return ActivationRequest(
        service_id=service_id,
        spec=scenario.spec,
        action=action,
        params=params,
        previous=previous or {},
    )


class DriverContract:
    @pytest.fixture
    def service_id(self) -> str:
        return f"svc-{uuid.uuid4().hex[:12]}"

    def _add(self, driver: Driver, scenario: Scenario, service_id: str) -> None:
        result = driver.execute(request(scenario, service_id, "add", scenario.initial))
        assert result.ok, result.message

    def test_add_makes_the_service_present_with_its_params(
        self, driver: Driver, element: Element, scenario: Scenario, service_id: str
    ) -> None:
        self._add(driver, scenario, service_id)
        observed = element.observe(service_id)
        assert observed.present
        assert not observed.suspended
        assert observed.params == dict(scenario.initial)

    def test_add_twice_is_idempotent(
        self, driver: Driver, element: Element, scenario: Scenario, service_id: str
    ) -> None:
        self._add(driver, scenario, service_id)
        self._add(driver, scenario, service_id)
        assert element.observe(service_id).params == dict(scenario.initial)

    def test_modify_then_undo_restores_the_previous_params(
        self, driver: Driver, element: Element, scenario: Scenario, service_id: str
    ) -> None:
        self._add(driver, scenario, service_id)
        modify = request(scenario, service_id, "modify", scenario.changed, scenario.initial)
        assert driver.execute(modify).ok
        assert element.observe(service_id).params == dict(scenario.changed)
        assert driver.undo(modify).ok
        assert element.observe(service_id).params == dict(scenario.initial)

    def test_suspend_and_resume(
        self, driver: Driver, element: Element, scenario: Scenario, service_id: str
    ) -> None:
        self._add(driver, scenario, service_id)
        suspend = request(scenario, service_id, "suspend", scenario.initial, scenario.initial)
        assert driver.execute(suspend).ok
        assert element.observe(service_id).suspended
        assert driver.execute(request(scenario, service_id, "resume", scenario.initial)).ok
        observed = element.observe(service_id)
        assert observed.present
        assert not observed.suspended

    def test_delete_is_idempotent_and_undo_of_add_removes(
        self, driver: Driver, element: Element, scenario: Scenario, service_id: str
    ) -> None:
        self._add(driver, scenario, service_id)
        delete = request(scenario, service_id, "delete", scenario.initial, scenario.initial)
        assert driver.execute(delete).ok
        assert driver.execute(delete).ok
        assert not element.observe(service_id).present
        self._add(driver, scenario, service_id)
        assert driver.undo(request(scenario, service_id, "add", scenario.initial)).ok
        assert not element.observe(service_id).present

    def test_undo_of_something_never_done_is_a_no_op(
        self, driver: Driver, element: Element, scenario: Scenario, service_id: str
    ) -> None:
        assert driver.undo(request(scenario, service_id, "add", scenario.initial)).ok
        assert not element.observe(service_id).present

    def test_a_refusal_is_reported_and_changes_nothing(
        self, driver: Driver, element: Element, scenario: Scenario, service_id: str
    ) -> None:
        result = driver.execute(request(scenario, service_id, "add", scenario.refused))
        assert not result.ok
        assert result.message
        assert not element.observe(service_id).present
