"""Which driver serves which name, from settings."""

from __future__ import annotations

from ossbss.kernel import Clock, Settings
from ossbss.kernel.db import Database
from ossbss.provisioning import configs
from ossbss.provisioning.drivers import Driver
from ossbss.provisioning.drivers.fake import FakeDriver
from ossbss.provisioning.drivers.netconf import NetconfDriver
from ossbss.provisioning.drivers.radius import RadiusDriver


def build_drivers(settings: Settings, database: Database, clock: Clock) -> dict[str, Driver]:
    """The real drivers, with any named in ``OSSBSS_FAKE_DRIVERS`` replaced by the fake.
    The NETCONF driver backs up each device's running configuration after every commit."""
    delay = settings.fake_driver_delay_seconds
    drivers: dict[str, Driver] = {
        "fake": FakeDriver(delay_seconds=delay),
        "radius": RadiusDriver(
            database,
            coa_secret=settings.radius_coa_secret.encode(),
            coa_port=settings.radius_coa_port,
            nas_ports=nas_ports(settings.radius_nas_ports),
        ),
        "netconf": NetconfDriver.from_settings(
            on_committed=configs.commit_recorder(database, clock)
        ),
    }
    for name in filter(None, (n.strip() for n in settings.fake_drivers.split(","))):
        drivers[name] = FakeDriver(name, delay_seconds=delay)
    return drivers


def nas_ports(text: str) -> dict[str, int]:
    """``"10.0.0.1=3799,10.0.0.2=1700"`` as a mapping (settings keep it one string)."""
    ports: dict[str, int] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        address, _, port = entry.partition("=")
        ports[address.strip()] = int(port)
    return ports
