"""The minimal BER decoder: packets captured from the real snmptrap, packets encoded by pysnmp,
the INFORM Response read back by pyasn1, the trap rules, and fuzzing (only BerError escapes)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902

from ossbss.assurance.snmp import TrapMapping, ber
from ossbss.kernel.errors import InvalidInput

# Captured from net-snmp 5.9.3 snmptrap (see the commands in each comment).
# snmptrap -v2c -c public H '' 1.3.6.1.6.3.1.1.5.3 ifIndex.7 i 7 ifAdminStatus.7 i 1
#          ifOperStatus.7 i 2 ifDescr.7 s eth7
V2C_LINK_DOWN = bytes.fromhex(
    "30818c02010104067075626c6963a77f0204097da4920201000201003071300f06082b060102010103004303"
    "5785353017060a2b06010603010104010006092b0601060301010503300f060a2b0601020102020101070201"
    "07300f060a2b060102010202010707020101300f060a2b0601020102020108070201023012060a2b06010201"
    "0202010207040465746837"
)
# snmptrap -v1 -c public H 1.3.6.1.4.1.8072 127.0.0.1 2 0 '' ifIndex.3 i 3
V1_LINK_DOWN = bytes.fromhex(
    "303a02010004067075626c6963a42d06072b06010401bf0840047f00000102010202010043035785373011300f"
    "060a2b060102010202010103020103"
)
# snmptrap -v1 -c public H 1.3.6.1.4.1.9.9.13.3 10.1.1.1 6 5 '' ciscoEnvMonSupplyState.2 i 3
V1_ENTERPRISE = bytes.fromhex(
    "303f02010004067075626c6963a43206092b0601040109090d0340040a010101020106020105430357853930"
    "143012060d2b0601040109090d0105010302020103"
)
NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def test_a_v2c_trap_from_snmptrap() -> None:
    trap = ber.decode(V2C_LINK_DOWN)
    assert (trap.version, trap.community, trap.pdu_type) == (1, b"public", ber.TRAP_V2)
    assert trap.trap_oid == "1.3.6.1.6.3.1.1.5.3"
    assert trap.uptime == 5735733
    assert trap.varbinds == (
        ("1.3.6.1.2.1.2.2.1.1.7", 7),
        ("1.3.6.1.2.1.2.2.1.7.7", 1),
        ("1.3.6.1.2.1.2.2.1.8.7", 2),
        ("1.3.6.1.2.1.2.2.1.2.7", b"eth7"),
    )
    assert trap.agent_address is None
    assert not trap.is_inform


def test_v1_traps_from_snmptrap_take_their_v2_oid_rfc3584() -> None:
    generic = ber.decode(V1_LINK_DOWN)
    assert (generic.version, generic.pdu_type) == (0, ber.TRAP_V1)
    assert generic.trap_oid == "1.3.6.1.6.3.1.1.5.3"  # generic-trap 2 -> snmpTraps.3
    assert generic.agent_address == "127.0.0.1"
    assert generic.varbinds == (("1.3.6.1.2.1.2.2.1.1.3", 3),)
    specific = ber.decode(V1_ENTERPRISE)
    assert specific.trap_oid == "1.3.6.1.4.1.9.9.13.3.0.5"  # enterprise.0.specific
    assert specific.agent_address == "10.1.1.1"


def _pysnmp_v2c(pdu_kind: str) -> bytes:
    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = p.InformRequestPDU() if pdu_kind == "inform" else p.SNMPv2TrapPDU()
    p.apiTrapPDU.set_defaults(pdu)
    varbinds: list[tuple[Any, Any]] = [
        (p.ObjectIdentifier("1.3.6.1.2.1.1.3.0"), rfc1902.TimeTicks(4242)),
        (p.ObjectIdentifier("1.3.6.1.6.3.1.1.4.1.0"), p.ObjectIdentifier("1.3.6.1.2.1.15.7.2")),
        (p.ObjectIdentifier("1.3.6.1.2.1.15.3.1.2.192.0.2.9"), p.Integer(3)),
        (p.ObjectIdentifier("1.3.6.1.2.1.15.3.1.14.192.0.2.9"), p.OctetString(b"\x06\x02")),
        (p.ObjectIdentifier("1.3.6.1.6.3.18.1.3.0"), rfc1902.IpAddress("192.0.2.1")),
        (p.ObjectIdentifier("1.3.6.1.2.1.31.1.1.1.6.1"), rfc1902.Counter64(2**63 + 5)),
        (p.ObjectIdentifier("1.3.6.1.2.1.2.2.1.5.1"), rfc1902.Gauge32(4_000_000_000)),
        (p.ObjectIdentifier("1.3.6.1.2.1.1.2.0"), p.ObjectIdentifier("1.3.6.1.4.1.2636")),
        (p.ObjectIdentifier("1.3.6.1.2.1.2.2.1.9.1"), p.Null()),
    ]
    p.apiTrapPDU.set_varbinds(pdu, varbinds)
    message = p.Message()
    p.apiMessage.set_defaults(message)
    p.apiMessage.set_community(message, "c0mmunity")
    p.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


def test_a_pysnmp_encoded_trap_with_every_value_type() -> None:
    trap = ber.decode(_pysnmp_v2c("trap"))
    assert trap.community == b"c0mmunity"
    assert trap.trap_oid == "1.3.6.1.2.1.15.7.2"
    assert trap.uptime == 4242
    assert trap.agent_address == "192.0.2.1"  # snmpTrapAddress.0 names the real agent
    values = dict(trap.varbinds)
    assert values["1.3.6.1.2.1.15.3.1.2.192.0.2.9"] == 3
    assert values["1.3.6.1.2.1.15.3.1.14.192.0.2.9"] == b"\x06\x02"
    assert values["1.3.6.1.2.1.31.1.1.1.6.1"] == 2**63 + 5
    assert values["1.3.6.1.2.1.2.2.1.5.1"] == 4_000_000_000
    assert values["1.3.6.1.2.1.1.2.0"] == "1.3.6.1.4.1.2636"
    assert values["1.3.6.1.2.1.2.2.1.9.1"] is None


def test_a_pysnmp_v1_trap() -> None:
    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
    pdu = p.TrapPDU()
    p.apiTrapPDU.set_defaults(pdu)
    p.apiTrapPDU.set_enterprise(pdu, (1, 3, 6, 1, 4, 1, 99))
    p.apiTrapPDU.set_agent_address(pdu, "198.51.100.7")
    p.apiTrapPDU.set_generic_trap(pdu, 0)  # coldStart
    message = p.Message()
    p.apiMessage.set_defaults(message)
    p.apiMessage.set_pdu(message, pdu)
    trap = ber.decode(bytes(encoder.encode(message)))
    assert (trap.trap_oid, trap.agent_address, trap.varbinds) == (
        "1.3.6.1.6.3.1.1.5.1",
        "198.51.100.7",
        (),
    )


def test_the_inform_response_echoes_request_id_and_varbinds() -> None:
    data = _pysnmp_v2c("inform")
    inform = ber.decode(data)
    assert inform.is_inform
    response = ber.inform_response(inform)
    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    sent, _ = decoder.decode(data, asn1Spec=p.Message())
    answer, rest = decoder.decode(response, asn1Spec=p.Message())
    assert rest == b""
    assert str(p.apiMessage.get_community(answer)) == "c0mmunity"
    answer_pdu, sent_pdu = p.apiMessage.get_pdu(answer), p.apiMessage.get_pdu(sent)
    assert isinstance(answer_pdu, p.ResponsePDU)
    assert p.apiPDU.get_request_id(answer_pdu) == p.apiPDU.get_request_id(sent_pdu)
    assert int(p.apiPDU.get_error_status(answer_pdu)) == 0
    assert [(str(o), v.prettyPrint()) for o, v in p.apiPDU.get_varbinds(answer_pdu)] == [
        (str(o), v.prettyPrint()) for o, v in p.apiPDU.get_varbinds(sent_pdu)
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30",
        b"\x30\x00",
        b"\x30\x03\x02\x01\x03",  # v3: not for this decoder
        V2C_LINK_DOWN[:-1],  # truncated
        V2C_LINK_DOWN + b"\x00",  # trailing byte
        V2C_LINK_DOWN.replace(b"\xa7\x7f", b"\xa0\x7f"),  # a GetRequest
        V1_LINK_DOWN.replace(b"\x02\x01\x00\x04", b"\x02\x01\x01\x04", 1),  # v2c with a v1 PDU
    ],
)
def test_what_is_not_a_v1_or_v2c_notification_is_a_ber_error(data: bytes) -> None:
    with pytest.raises(ber.BerError):
        ber.decode(data)


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_random_bytes_raise_only_ber_error(data: bytes) -> None:
    with contextlib.suppress(ber.BerError):
        ber.decode(data)


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from([V2C_LINK_DOWN, V1_LINK_DOWN, V1_ENTERPRISE]),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
    st.integers(0, 400),
)
def test_fuzz_mutated_real_packets_raise_only_ber_error(
    packet: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(packet)
    for position, value in flips:
        if position < len(data):
            data[position] = value
    try:
        decoded = ber.decode(bytes(data[: len(data) - cut % len(data)]))
    except ber.BerError:
        return
    assert isinstance(decoded.trap_oid, str)


def test_the_shipped_rules_load_and_map_bgp_and_power_clear_rules() -> None:
    rules = TrapMapping.load()
    bgp = ber.decode(_pysnmp_v2c("trap"))
    down = rules.signal(
        trap_oid=bgp.trap_oid, varbinds=bgp.varbinds, address="192.0.2.1", directory=None, now=NOW
    )
    assert down is not None
    assert down.reduction_key == "snmp:bgp:192.0.2.1:192.0.2.9"
    assert down.specific_problem == "BGP session to 192.0.2.9 left Established (state 3)"
    up = rules.signal(
        trap_oid="1.3.6.1.2.1.15.7.1",
        varbinds=[("1.3.6.1.2.1.15.3.1.2.192.0.2.9", 6)],
        address="192.0.2.1",
        directory=None,
        now=NOW,
    )
    assert up is not None
    assert (up.clears, up.reduction_key) == (True, down.reduction_key)
    normal = rules.signal(
        trap_oid="1.3.6.1.4.1.9.9.13.3.0.5",
        varbinds=[("1.3.6.1.4.1.9.9.13.1.5.1.3.2", 1)],
        address="10.1.1.1",
        directory=None,
        now=NOW,
    )
    assert normal is not None
    assert (normal.clears, normal.perceived_severity) == (True, "cleared")
    assert (
        rules.signal(trap_oid="1.3.6.1.4.1.1", varbinds=[], address="x", directory=None, now=NOW)
        is None
    )


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ({"name": "a", "oid": "1.3.x"}, "numeric"),
        ({"name": "a", "oid": "1.3", "clears": "nothing"}, "unknown rule"),
        (
            {"name": "a", "oid": "1.3", "alarm_type": "bad", "severity": "major"},
            "TMF642",
        ),
        (
            {
                "name": "a",
                "oid": "1.3",
                "alarm_type": "equipmentAlarm",
                "severity": "major",
                "probable_cause": "x",
                "reduction_key": "{nope}",
            },
            "unknown varbind",
        ),
    ],
)
def test_bad_rules_are_refused_with_the_reason(rule: dict[str, Any], complaint: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        TrapMapping.parse({"trap": [rule]})
    assert complaint in str(refused.value.detail)
