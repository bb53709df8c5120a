"""Network-element drivers behind one protocol (see ``base``)."""

from ossbss.provisioning.drivers.base import (
    ACTIONS,
    Action,
    ActivationRequest,
    ActivationResult,
    Driver,
    DriverError,
)

__all__ = ["ACTIONS", "Action", "ActivationRequest", "ActivationResult", "Driver", "DriverError"]
