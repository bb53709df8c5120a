"""The demo operator's network, as pure data: one point of presence with an OLT (the access
device the lab's NETCONF device plays), a core router, the link between them, and the pools
orders draw from. Entries refer to earlier ones through ``@demo:`` placeholders."""

from __future__ import annotations

from typing import Any

from stdnum import luhn

from ossbss.demo.catalog_data import PLACEHOLDER

Payload = dict[str, Any]
# Where ``ossbss lab up`` runs the NETCONF device that plays the OLT.
OLT_ADDRESS = "127.0.0.1"
OLT_NETCONF_PORT = 18830
ACCESS_PORTS = 16
# The core router answers on another loopback address, so traps and polls tell them apart.
CORE_ADDRESS = "127.0.0.2"
# Where each device's SNMP agent listens (the built-in simulator when no real agent runs).
SNMP_PORTS = {"olt-leeds": 16171, "core-leeds": 16172}
UPLINK_IF_INDEX = 100


def _chars(**values: Any) -> list[Payload]:
    return [{"name": name, "value": value} for name, value in values.items()]


def _contained_in(key: str, referred: str) -> list[Payload]:
    return [
        {
            "relationshipType": "isContainedIn",
            "resource": {"id": PLACEHOLDER + key, "@referredType": referred},
        }
    ]


def _iccid(serial: int) -> str:
    body = f"894401{serial:012d}"
    return body + luhn.calc_check_digit(body)


def network_data() -> list[tuple[str, Payload]]:
    """(key, TMF639 resource) in load order."""
    entries: list[tuple[str, Payload]] = [
        ("site-leeds", {"@type": "Site", "name": "Leeds POP", "description": "Northwind's POP"}),
        (
            "olt-leeds",
            {
                "@type": "Device",
                "name": "olt-leeds-1",
                "resourceCharacteristic": _chars(
                    vendor="Nokia",
                    model="7360 ISAM FX",
                    managementAddress=OLT_ADDRESS,
                    netconfPort=OLT_NETCONF_PORT,
                    snmpPort=SNMP_PORTS["olt-leeds"],
                    snmpCommunity="public",
                    role="access",
                ),
                "resourceRelationship": _contained_in("site-leeds", "Site"),
            },
        ),
        (
            "core-leeds",
            {
                "@type": "Device",
                "name": "core-leeds-1",
                "resourceCharacteristic": _chars(
                    vendor="Juniper",
                    model="MX204",
                    managementAddress=CORE_ADDRESS,
                    snmpPort=SNMP_PORTS["core-leeds"],
                    snmpCommunity="public",
                    role="core",
                ),
                "resourceRelationship": _contained_in("site-leeds", "Site"),
            },
        ),
    ]
    for number in range(1, ACCESS_PORTS + 1):
        entries.append(
            _port(f"olt-port-{number}", "olt-leeds", f"ge-0/0/{number}", "access", number, 1000)
        )
    entries.append(_port("olt-uplink", "olt-leeds", "xe-0/1/0", "uplink", UPLINK_IF_INDEX, 10000))
    entries.append(
        _port("core-downlink", "core-leeds", "xe-0/0/0", "uplink", UPLINK_IF_INDEX, 10000)
    )
    entries.append(_port("core-access", "core-leeds", "ge-0/0/9", "access", 9, 1000))
    entries += [
        (
            "link-olt-core",
            {
                "@type": "Link",
                "name": "olt-leeds-1 xe-0/1/0 <> core-leeds-1 xe-0/0/0",
                "resourceRelationship": [
                    {
                        "relationshipType": "connectsTo",
                        "resource": {"id": PLACEHOLDER + end, "@referredType": "Port"},
                    }
                    for end in ("olt-uplink", "core-downlink")
                ],
            },
        ),
        _pool("pool-residential", "IPv4Pool", "Residential IPv4", cidr="100.64.0.0/22"),
        _pool("pool-mobile", "IPv4Pool", "Mobile IPv4", cidr="100.72.0.0/20"),
        _pool(
            "pool-pd",
            "IPv6Pool",
            "Residential IPv6 delegation",
            cidr="2001:db8:100::/40",
            prefixLength=56,
        ),
        _pool(
            "vlans-olt",
            "VlanRange",
            "olt-leeds-1 subscriber VLANs",
            first=100,
            last=999,
            device=PLACEHOLDER + "olt-leeds",
        ),
        _pool(
            "msisdns",
            "MsisdnRange",
            "Northwind MSISDNs",
            first="447912000000",
            last="447912000999",
        ),
        _pool("sims", "IccidRange", "Northwind SIM stock", first=_iccid(0), last=_iccid(999)),
    ]
    return entries


def _port(
    key: str, device: str, name: str, role: str, if_index: int, speed_mbps: int
) -> tuple[str, Payload]:
    return (
        key,
        {
            "@type": "Port",
            "name": name,
            "resourceCharacteristic": _chars(
                name=name, role=role, ifIndex=if_index, speedMbps=speed_mbps
            ),
            "resourceRelationship": _contained_in(device, "Device"),
        },
    )


def _pool(key: str, kind: str, name: str, **characteristics: Any) -> tuple[str, Payload]:
    return key, {"@type": kind, "name": name, "resourceCharacteristic": _chars(**characteristics)}
