"""Pools as ranges of slots, pure: what a pool holds, how big it is, slot <-> value.

Every pool is a range of ``size`` slots numbered from 0; the allocator hands out slots and
stores the value each stands for. Values are strings: an IPv4/IPv6 address, an IPv6 prefix,
a VLAN id, an MSISDN (E.164 digits, no ``+``) or an ICCID (with its Luhn check digit).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from stdnum import luhn

from ossbss.kernel.errors import InvalidInput

PoolKind = Literal["ipv4", "ipv6", "ipv6-prefix", "vlan", "msisdn", "iccid"]
POOL_KINDS: tuple[PoolKind, ...] = ("ipv4", "ipv6", "ipv6-prefix", "vlan", "msisdn", "iccid")
VLAN_MIN, VLAN_MAX = 1, 4094
# Slots are stored in a signed 64-bit column: bigger IPv6 pools allocate from their first 2^62.
MAX_SLOTS = 2**62
# Sortable keys for the overlap check: every bound padded to the same width.
KEY_WIDTH = 40


@dataclass(frozen=True, slots=True)
class PoolRange:
    """The values of one pool: ``first`` (an int standing for the first value) + slot * step."""

    kind: PoolKind
    first: int  # the number behind slot 0
    size: int  # how many slots are allocatable (capped at MAX_SLOTS)
    total: int  # how many values the pool holds (may exceed size for huge IPv6 pools)
    step: int = 1
    width: int = 0  # digits (MSISDN) or digits without the check digit (ICCID)
    prefix_length: int = 0  # ipv6-prefix: the delegated prefix length
    # Bounds of the whole space the pool covers, for the overlap check.
    lower: int = 0
    upper: int = 0

    def value_at(self, slot: int) -> str:
        if not 0 <= slot < self.size:
            raise ValueError(f"slot {slot} outside the pool")
        number = self.first + slot * self.step
        if self.kind == "ipv4":
            return str(ipaddress.IPv4Address(number))
        if self.kind == "ipv6":
            return str(ipaddress.IPv6Address(number))
        if self.kind == "ipv6-prefix":
            return str(ipaddress.IPv6Network((number, self.prefix_length)))
        if self.kind == "iccid":
            body = str(number).zfill(self.width)
            return body + luhn.calc_check_digit(body)
        return str(number)

    def slot_of(self, raw: str, *, field: str = "value") -> tuple[int, str]:
        """The slot of a requested value and its canonical spelling; InvalidInput outside."""
        number = self._number(raw.strip(), field)
        offset = number - self.first
        if offset < 0 or offset % self.step or offset // self.step >= self.size:
            raise InvalidInput("Value outside the pool", field=field, detail=f"{raw} is not in it")
        slot = offset // self.step
        return slot, self.value_at(slot)

    def _number(self, raw: str, field: str) -> int:
        try:
            if self.kind == "ipv4":
                return int(ipaddress.IPv4Address(raw))
            if self.kind == "ipv6":
                return int(ipaddress.IPv6Address(raw))
            if self.kind == "ipv6-prefix":
                network = ipaddress.IPv6Network(raw)
                if network.prefixlen != self.prefix_length:
                    raise ValueError(f"must be a /{self.prefix_length}")
                return int(network.network_address)
        except ValueError as exc:
            raise InvalidInput("Invalid value", field=field, detail=str(exc)) from None
        digits = raw.removeprefix("+")
        if not digits.isdigit():
            raise InvalidInput("Invalid value", field=field, detail=f"{raw} is not a number")
        if self.kind == "iccid":
            if not luhn.is_valid(digits):
                raise InvalidInput("Invalid ICCID", field=field, detail="wrong check digit")
            return int(digits[:-1])
        return int(digits)

    @property
    def lower_key(self) -> str:
        return str(self.lower).zfill(KEY_WIDTH)

    @property
    def upper_key(self) -> str:
        return str(self.upper).zfill(KEY_WIDTH)


def ipv4_pool(cidr: str, *, field: str) -> PoolRange:
    network = _network(cidr, 4, field)
    first, last = int(network.network_address), int(network.broadcast_address)
    if network.prefixlen <= 30:  # a host pool: no network, no broadcast address
        first, last = first + 1, last - 1
    total = last - first + 1
    return PoolRange(
        kind="ipv4",
        first=first,
        size=total,
        total=total,
        lower=int(network.network_address),
        upper=int(network.broadcast_address),
    )


def ipv6_pool(cidr: str, prefix_length: int | None, *, field: str) -> PoolRange:
    network = _network(cidr, 6, field)
    lower, upper = int(network.network_address), int(network.broadcast_address)
    if prefix_length is None:
        # As ipaddress.hosts(): the Subnet-Router anycast address (the first) is not a host.
        first = lower + 1 if network.prefixlen < 127 else lower
        total = upper - first + 1
        return PoolRange(
            kind="ipv6",
            first=first,
            size=min(total, MAX_SLOTS),
            total=total,
            lower=lower,
            upper=upper,
        )
    if not network.prefixlen < prefix_length <= 128:
        raise InvalidInput(
            "Invalid prefix length",
            field="resourceCharacteristic.prefixLength",
            detail=f"must be longer than the pool's /{network.prefixlen} and at most 128",
        )
    total = 2 ** (prefix_length - network.prefixlen)
    return PoolRange(
        kind="ipv6-prefix",
        first=lower,
        size=min(total, MAX_SLOTS),
        total=total,
        step=2 ** (128 - prefix_length),
        prefix_length=prefix_length,
        lower=lower,
        upper=upper,
    )


def _network(cidr: str, version: int, field: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=True)
    except ValueError as exc:
        raise InvalidInput("Invalid CIDR", field=field, detail=str(exc)) from None
    if network.version != version:
        raise InvalidInput("Invalid CIDR", field=field, detail=f"must be an IPv{version} network")
    return network


def vlan_range(first: int, last: int) -> PoolRange:
    for name, number in (("first", first), ("last", last)):
        if not VLAN_MIN <= number <= VLAN_MAX:
            raise InvalidInput(
                "Invalid VLAN id",
                field=f"resourceCharacteristic.{name}",
                detail=f"must be from {VLAN_MIN} to {VLAN_MAX}",
            )
    _check_order(first, last)
    size = last - first + 1
    return PoolRange(kind="vlan", first=first, size=size, total=size, lower=first, upper=last)


def msisdn_range(first: str, last: str) -> PoolRange:
    low, high = _msisdn(first, "first"), _msisdn(last, "last")
    if len(low) != len(high):
        raise InvalidInput(
            "Invalid range",
            field="resourceCharacteristic.last",
            detail="first and last must have the same number of digits",
        )
    _check_order(int(low), int(high))
    size = int(high) - int(low) + 1
    return PoolRange(
        kind="msisdn",
        first=int(low),
        size=size,
        total=size,
        width=len(low),
        lower=int(low),
        upper=int(high),
    )


def _msisdn(raw: str, name: str) -> str:
    digits = raw.strip().removeprefix("+")
    field = f"resourceCharacteristic.{name}"
    if not digits.isdigit() or not 8 <= len(digits) <= 15:
        raise InvalidInput("Invalid MSISDN", field=field, detail="must be 8 to 15 E.164 digits")
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput("Invalid MSISDN", field=field, detail=str(exc)) from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise InvalidInput("Invalid MSISDN", field=field, detail=f"+{digits} is not a valid number")
    return digits


def iccid_range(first: str, last: str) -> PoolRange:
    low, high = _iccid(first, "first"), _iccid(last, "last")
    if len(low) != len(high):
        raise InvalidInput(
            "Invalid range",
            field="resourceCharacteristic.last",
            detail="first and last must have the same number of digits",
        )
    low_body, high_body = int(low[:-1]), int(high[:-1])
    _check_order(low_body, high_body)
    size = high_body - low_body + 1
    return PoolRange(
        kind="iccid",
        first=low_body,
        size=size,
        total=size,
        width=len(low) - 1,
        lower=low_body,
        upper=high_body,
    )


def _iccid(raw: str, name: str) -> str:
    digits = raw.strip()
    field = f"resourceCharacteristic.{name}"
    if not digits.isdigit() or not 19 <= len(digits) <= 20:
        raise InvalidInput("Invalid ICCID", field=field, detail="must be 19 or 20 digits")
    if not digits.startswith("89"):
        raise InvalidInput(
            "Invalid ICCID", field=field, detail="must start with 89 (telecommunications)"
        )
    if not luhn.is_valid(digits):
        raise InvalidInput("Invalid ICCID", field=field, detail="wrong Luhn check digit")
    return digits


def _check_order(first: int, last: int) -> None:
    if last < first:
        raise InvalidInput(
            "Invalid range", field="resourceCharacteristic.last", detail="must not be below first"
        )
