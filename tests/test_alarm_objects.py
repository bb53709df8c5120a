"""Which inventory resource an alarm is about: the object directory (pure, no database)."""

from __future__ import annotations

from ossbss.assurance.objects import ObjectDirectory
from ossbss.inventory import ManagedDevice, ManagedPort


def _device(device_id: str, name: str, address: str | None) -> ManagedDevice:
    ports = (
        ManagedPort(f"{device_id}-p1", device_id, "ge-0/0/1", "access", 1, 1000),
        ManagedPort(f"{device_id}-p2", device_id, "xe-0/1/0", "uplink", None, 10000),
    )
    return ManagedDevice(device_id, name, address, {}, ports)


DIRECTORY = ObjectDirectory(
    [
        _device("olt", "olt-leeds-1.example.net", "192.0.2.10:830"),
        _device("core", "core-leeds-1", "[2001:db8::1]:830"),
        _device("cpe", "cpe-9", None),
    ]
)


def test_a_device_is_found_by_its_management_address_with_or_without_a_port() -> None:
    found = DIRECTORY.device(address="192.0.2.10")
    assert found is not None
    assert (found.id, found.type) == ("olt", "Device")
    assert DIRECTORY.device(address="192.0.2.10:830") == found
    core = DIRECTORY.device(address="2001:db8::1")
    assert core is not None
    assert core.id == "core"


def test_a_device_is_found_by_host_name_fully_qualified_or_short() -> None:
    short = DIRECTORY.device(host="OLT-LEEDS-1")
    assert short is not None
    assert short.id == "olt"
    cpe = DIRECTORY.device(address="198.51.100.7", host="cpe-9.customers.example.net")
    assert cpe is not None
    assert cpe.id == "cpe"


def test_an_unknown_source_is_not_guessed() -> None:
    assert DIRECTORY.device(address="198.51.100.7", host="unknown-host") is None
    assert DIRECTORY.device() is None


def test_a_port_is_found_by_if_index_else_by_interface_name() -> None:
    olt = DIRECTORY.device(address="192.0.2.10")
    assert olt is not None
    by_index = DIRECTORY.port(olt, if_index=1)
    assert by_index is not None
    assert (by_index.id, by_index.type) == ("olt-p1", "Port")
    by_name = DIRECTORY.port(olt, if_index=99, if_name="XE-0/1/0")
    assert by_name is not None
    assert by_name.id == "olt-p2"
    assert DIRECTORY.port(olt, if_index=99) is None
