"""Which driver serves which name, from settings."""

from __future__ import annotations

from ossbss.kernel import Settings
from ossbss.kernel.db import Database
from ossbss.provisioning.drivers import Driver
from ossbss.provisioning.drivers.fake import FakeDriver


def build_drivers(settings: Settings, database: Database) -> dict[str, Driver]:
    """The real drivers, with any named in ``OSSBSS_FAKE_DRIVERS`` replaced by the fake."""
    delay = settings.fake_driver_delay_seconds
    drivers: dict[str, Driver] = {"fake": FakeDriver(delay_seconds=delay)}
    for name in filter(None, (n.strip() for n in settings.fake_drivers.split(","))):
        drivers[name] = FakeDriver(name, delay_seconds=delay)
    return drivers
