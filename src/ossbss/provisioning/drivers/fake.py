"""An in-memory driver for unit tests: records what it was asked and can be told to refuse."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from ossbss.provisioning.drivers.base import ActivationRequest, ActivationResult

# A request whose params carry this key with value "true" is refused (tests drive failures).
FAIL_PARAM = "fakeFail"


class FakeDriver:
    """Keeps one state per service: its params and whether it is suspended."""

    def __init__(self, name: str = "fake", *, delay_seconds: float = 0.0) -> None:
        self.name = name
        self.delay_seconds = delay_seconds
        self.services: dict[str, dict[str, str]] = {}
        self.suspended: set[str] = set()
        self.calls: list[tuple[str, str, str]] = []  # (operation, action, service id)
        self.fail_services: set[str] = set()
        self._lock = threading.Lock()

    def execute(self, request: ActivationRequest) -> ActivationResult:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)  # outside the lock: steps overlap like real ones
        with self._lock:
            self.calls.append(("execute", request.action, request.service_id))
            if self._refused(request):
                return ActivationResult(
                    ok=False,
                    message=f"fake element refused {request.action} of {request.service_id}",
                    detail={"cause": "injected"},
                )
            self._apply(request.action, request.service_id, request.params)
            return ActivationResult(ok=True)

    def undo(self, request: ActivationRequest) -> ActivationResult:
        with self._lock:
            self.calls.append(("undo", request.action, request.service_id))
            reverse = {"add": "delete", "delete": "add", "suspend": "resume", "resume": "suspend"}
            if request.action == "modify":
                self._apply("modify", request.service_id, request.previous)
            else:
                self._apply(reverse[request.action], request.service_id, request.previous)
            return ActivationResult(ok=True)

    def close(self) -> None:
        return None

    def _refused(self, request: ActivationRequest) -> bool:
        return request.params.get(FAIL_PARAM) == "true" or request.service_id in self.fail_services

    def _apply(self, action: str, service_id: str, params: Mapping[str, str]) -> None:
        if action == "delete":
            self.services.pop(service_id, None)
            self.suspended.discard(service_id)
        elif action in ("add", "modify"):
            self.services[service_id] = dict(params)
        elif action == "suspend":
            self.suspended.add(service_id)
        elif action == "resume":
            self.suspended.discard(service_id)
