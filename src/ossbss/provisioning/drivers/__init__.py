"""Network-element drivers behind one protocol (see ``base``); ``fake`` is for unit tests."""

from ossbss.provisioning.drivers.base import (
    ACTIONS,
    Action,
    ActivationRequest,
    ActivationResult,
    Driver,
    DriverError,
)

__all__ = ["ACTIONS", "Action", "ActivationRequest", "ActivationResult", "Driver", "DriverError"]
