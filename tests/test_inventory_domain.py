"""inventory's pure rules: pool ranges, slots and values, device addresses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ossbss.inventory import domain, pools
from ossbss.kernel import InvalidInput

FIELD = "resourceCharacteristic.cidr"


def test_ipv4_host_pools_leave_out_network_and_broadcast() -> None:
    pool = pools.ipv4_pool("192.0.2.0/24", field=FIELD)
    assert (pool.size, pool.value_at(0), pool.value_at(253)) == (254, "192.0.2.1", "192.0.2.254")
    assert pools.ipv4_pool("192.0.2.0/31", field=FIELD).size == 2  # RFC 3021 point-to-point
    assert pools.ipv4_pool("192.0.2.7/32", field=FIELD).value_at(0) == "192.0.2.7"
    with pytest.raises(ValueError, match="outside"):
        pool.value_at(254)


def test_ipv6_prefix_delegation_and_huge_host_pools() -> None:
    pd = pools.ipv6_pool("2001:db8::/48", 56, field=FIELD)
    assert (pd.kind, pd.size, pd.value_at(255)) == ("ipv6-prefix", 256, "2001:db8:0:ff00::/56")
    hosts = pools.ipv6_pool("2001:db8::/64", None, field=FIELD)
    assert hosts.total == 2**64 - 1
    assert hosts.size == pools.MAX_SLOTS
    with pytest.raises(InvalidInput) as info:
        pools.ipv6_pool("2001:db8::/48", 48, field=FIELD)
    assert info.value.field == "resourceCharacteristic.prefixLength"


@given(st.integers(min_value=0, max_value=999))
def test_every_slot_maps_to_a_value_and_back(slot: int) -> None:
    for pool in (
        pools.ipv4_pool("10.0.0.0/22", field=FIELD),
        pools.ipv6_pool("2001:db8::/48", 60, field=FIELD),
        pools.vlan_range(1, 1000),
        pools.msisdn_range("491701234000", "491701234999"),
        pools.iccid_range("8949000000000000000", "8949000000000009993"),
    ):
        value = pool.value_at(slot)
        assert pool.slot_of(value) == (slot, value)


def test_keys_sort_like_numbers() -> None:
    small, big = pools.vlan_range(9, 9), pools.vlan_range(10, 10)
    assert small.lower_key < big.lower_key


@pytest.mark.parametrize(
    "address", ["router.example.net", "r1:830", "192.0.2.1", "192.0.2.1:22", "[::1]:830", "::1"]
)
def test_management_addresses(address: str) -> None:
    domain.check_management_address(address)


@pytest.mark.parametrize("address", ["1.2.3", "host:0", "[::1", "[1.2.3.4]:22", "bad_name", "a:b"])
def test_bad_management_addresses(address: str) -> None:
    with pytest.raises(InvalidInput):
        domain.check_management_address(address)


def test_kind_comes_from_type_or_base_type() -> None:
    assert domain.kind_of({"@type": "Device"}) == "device"
    assert domain.kind_of({"@type": "JuniperMX", "@baseType": "Device"}) == "device"
    assert domain.kind_of({"@type": "AcmeThing", "@baseType": "Resource"}) is None


def test_service_lifecycle_is_closed() -> None:
    for moves in domain.SERVICE_LIFECYCLE.values():
        assert moves <= set(domain.SERVICE_LIFECYCLE)
    assert domain.SERVICE_LIFECYCLE["terminated"] == frozenset()
