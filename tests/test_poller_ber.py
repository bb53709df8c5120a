"""The poller's BER codec against pysnmp/pyasn1 (byte for byte) and the real net-snmp tools,
and fuzzed: any bytes decode or raise BerError, nothing else."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

from ossbss.performance.poller.ber import (
    COUNTER32,
    COUNTER64,
    END_OF_MIB_VIEW,
    GAUGE32,
    GET,
    GET_BULK,
    GET_NEXT,
    INTEGER,
    IP_ADDRESS,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    NULL,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    RESPONSE,
    TIMETICKS,
    BerError,
    Message,
    VarBind,
    decode_message,
    encode_message,
    format_oid,
    parse_oid,
    request,
)

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
UPTIME = (1, 3, 6, 1, 2, 1, 1, 3)
HC_IN = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)
NET_SNMP_ENV = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}


def pysnmp_message(pdu: object) -> bytes:
    message = V2C.Message()
    V2C.apiMessage.set_defaults(message)
    V2C.apiMessage.set_community(message, "public")
    V2C.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


def test_requests_are_byte_for_byte_what_pysnmp_encodes() -> None:
    get = V2C.GetRequestPDU()
    V2C.apiPDU.set_defaults(get)
    V2C.apiPDU.set_request_id(get, 1234567)
    V2C.apiPDU.set_varbinds(get, [((*HC_IN, 1), V2C.Null()), ((*UPTIME, 0), V2C.Null())])
    ours = request(GET, community=b"public", request_id=1234567, oids=[(*HC_IN, 1), (*UPTIME, 0)])
    assert ours == pysnmp_message(get)

    bulk = V2C.GetBulkRequestPDU()
    V2C.apiBulkPDU.set_defaults(bulk)
    V2C.apiBulkPDU.set_request_id(bulk, 42)
    V2C.apiBulkPDU.set_non_repeaters(bulk, 1)
    V2C.apiBulkPDU.set_max_repetitions(bulk, 25)
    V2C.apiBulkPDU.set_varbinds(bulk, [(UPTIME, V2C.Null()), (HC_IN, V2C.Null())])
    ours = request(
        GET_BULK,
        community=b"public",
        request_id=42,
        oids=[UPTIME, HC_IN],
        non_repeaters=1,
        max_repetitions=25,
    )
    assert ours == pysnmp_message(bulk)


def every_type_response() -> tuple[bytes, list[VarBind]]:
    pdu = V2C.ResponsePDU()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, 7)
    expected = [
        VarBind((1, 3, 6, 1, 2, 1, 1, 3, 0), TIMETICKS, 12345),
        VarBind((*HC_IN, 1), COUNTER64, 2**64 - 1),
        VarBind((1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 1), INTEGER, -5),
        VarBind((1, 3, 6, 1, 2, 1, 1, 1, 0), OCTET_STRING, b"x" * 200),
        VarBind((1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 1), IP_ADDRESS, bytes([10, 0, 0, 1])),
        VarBind((1, 3, 6, 1, 2, 1, 1, 2, 0), OBJECT_IDENTIFIER, (1, 3, 6, 1, 4, 1, 8072, 3)),
        VarBind((1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 1), COUNTER32, 2**32 - 1),
        VarBind((1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 1), GAUGE32, 0),
        VarBind((1, 3, 6, 1, 9), NO_SUCH_OBJECT, None),
        VarBind((1, 3, 6, 1, 9, 1), NO_SUCH_INSTANCE, None),
        VarBind((1, 3, 6, 1, 9, 2), END_OF_MIB_VIEW, None),
    ]
    V2C.apiPDU.set_varbinds(
        pdu,
        [
            (expected[0].oid, V2C.TimeTicks(12345)),
            (expected[1].oid, V2C.Counter64(2**64 - 1)),
            (expected[2].oid, V2C.Integer(-5)),
            (expected[3].oid, V2C.OctetString(b"x" * 200)),
            (expected[4].oid, V2C.IpAddress("10.0.0.1")),
            (expected[5].oid, V2C.ObjectIdentifier((1, 3, 6, 1, 4, 1, 8072, 3))),
            (expected[6].oid, V2C.Counter32(2**32 - 1)),
            (expected[7].oid, V2C.Gauge32(0)),
            (expected[8].oid, V2C.NoSuchObject()),
            (expected[9].oid, V2C.NoSuchInstance()),
            (expected[10].oid, V2C.EndOfMibView()),
        ],
    )
    return pysnmp_message(pdu), expected


def test_a_pysnmp_response_of_every_type_decodes_and_encodes_back_identically() -> None:
    data, expected = every_type_response()
    message = decode_message(data)
    assert (message.pdu_type, message.request_id, message.community) == (RESPONSE, 7, b"public")
    assert list(message.varbinds) == expected
    assert encode_message(message) == data


def test_pysnmp_decodes_what_we_encode() -> None:
    data, _expected = every_type_response()
    message, rest = decoder.decode(encode_message(decode_message(data)), asn1Spec=V2C.Message())
    assert rest == b""
    pdu = V2C.apiMessage.get_pdu(message)
    decoded = V2C.apiPDU.get_varbinds(pdu)
    assert int(V2C.apiPDU.get_request_id(pdu)) == 7
    assert int(decoded[1][1]) == 2**64 - 1
    assert int(decoded[2][1]) == -5
    assert bytes(decoded[3][1]) == b"x" * 200


def test_what_net_snmp_snmpget_sends_decodes(tmp_path) -> None:
    """snmpget and snmpbulkget ask a socket of ours; we decode their requests and answer, and
    snmpget prints the values we encoded (net-snmp's decoder agrees with our encoder)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        port = sock.getsockname()[1]
        seen: list[Message] = []

        def answer(count: int) -> None:
            for _ in range(count):
                data, peer = sock.recvfrom(65535)
                asked = decode_message(data)
                seen.append(asked)
                reply = [
                    VarBind((*HC_IN, 1), COUNTER64, 2**64 - 2),
                    VarBind((1, 3, 6, 1, 2, 1, 1, 3, 0), TIMETICKS, 360_000),
                    VarBind((1, 3, 6, 1, 2, 1, 1, 1, 0), OCTET_STRING, b"lab agent"),
                ][: len(asked.varbinds)]
                sock.sendto(
                    encode_message(Message(b"public", RESPONSE, asked.request_id, tuple(reply))),
                    peer,
                )

        responder = threading.Thread(target=answer, args=(2,))
        responder.start()
        get = subprocess.run(
            [
                "snmpget",
                "-On",
                "-v2c",
                "-c",
                "public",
                "-r0",
                "-t2",
                f"127.0.0.1:{port}",
                format_oid((*HC_IN, 1)),
                "1.3.6.1.2.1.1.3.0",
                "1.3.6.1.2.1.1.1.0",
            ],
            capture_output=True,
            text=True,
            env=NET_SNMP_ENV,
            timeout=10,
            check=True,
        )
        bulk = subprocess.run(
            [
                "snmpbulkget",
                "-On",
                "-v2c",
                "-c",
                "public",
                "-r0",
                "-t2",
                "-Cn1",
                "-Cr7",
                f"127.0.0.1:{port}",
                format_oid(UPTIME),
                format_oid(HC_IN),
            ],
            capture_output=True,
            text=True,
            env=NET_SNMP_ENV,
            timeout=10,
        )
        responder.join(5)
    assert seen[0].pdu_type == GET
    assert seen[0].community == b"public"
    assert [vb.oid for vb in seen[0].varbinds] == [
        (*HC_IN, 1),
        (1, 3, 6, 1, 2, 1, 1, 3, 0),
        (1, 3, 6, 1, 2, 1, 1, 1, 0),
    ]
    assert all(vb.tag == NULL for vb in seen[0].varbinds)
    assert f"Counter64: {2**64 - 2}" in get.stdout
    assert "Timeticks: (360000) 1:00:00.00" in get.stdout
    assert 'STRING: "lab agent"' in get.stdout
    assert seen[1].pdu_type == GET_BULK, bulk.stderr
    assert (seen[1].error_status, seen[1].error_index) == (1, 7)  # non-repeaters, max-repetitions
    assert [vb.oid for vb in seen[1].varbinds] == [UPTIME, HC_IN]


def test_numeric_oids_parse_and_format() -> None:
    assert parse_oid(".1.3.6.1.2.1.1.3.0") == (1, 3, 6, 1, 2, 1, 1, 3, 0)
    assert format_oid((1, 3, 6, 1)) == "1.3.6.1"
    for bad in ("ifHCInOctets", "1", "1.3.x", "1.-3"):
        with pytest.raises(BerError):
            parse_oid(bad)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30",
        b"\x30\x80\x00\x00",  # indefinite length
        b"\x30\x03\x02\x01\x01",  # a version and nothing else
        b"\x30\x05\x02\x01\x03\x04\x00",  # SNMPv3 is not this codec's business
        bytes.fromhex(
            "302602010104067075626c6963a41902012a020100020100300e300c06082b060102010103000500"
        ),
    ],
)
def test_malformed_messages_raise_ber_error(data: bytes) -> None:
    with pytest.raises(BerError):
        decode_message(data)


OIDS = st.builds(
    lambda first, second, rest: (first, second, *rest),
    st.integers(0, 1),
    st.integers(0, 39),
    st.lists(st.integers(0, 2**32), max_size=12),
)
VALUES = st.one_of(
    st.builds(VarBind, OIDS, st.just(INTEGER), st.integers(-(2**31), 2**31 - 1)),
    st.builds(VarBind, OIDS, st.just(COUNTER32), st.integers(0, 2**32 - 1)),
    st.builds(VarBind, OIDS, st.just(GAUGE32), st.integers(0, 2**32 - 1)),
    st.builds(VarBind, OIDS, st.just(TIMETICKS), st.integers(0, 2**32 - 1)),
    st.builds(VarBind, OIDS, st.just(COUNTER64), st.integers(0, 2**64 - 1)),
    st.builds(VarBind, OIDS, st.just(OCTET_STRING), st.binary(max_size=300)),
    st.builds(VarBind, OIDS, st.just(OBJECT_IDENTIFIER), OIDS),
    st.builds(VarBind, OIDS, st.sampled_from([NULL, NO_SUCH_OBJECT, END_OF_MIB_VIEW]), st.none()),
)
MESSAGES = st.builds(
    Message,
    community=st.binary(max_size=40),
    pdu_type=st.sampled_from([GET, GET_NEXT, GET_BULK, RESPONSE]),
    request_id=st.integers(-(2**31), 2**31 - 1),
    varbinds=st.lists(VALUES, max_size=30).map(tuple),
    error_status=st.integers(0, 2**31 - 1),
    error_index=st.integers(0, 2**31 - 1),
    version=st.sampled_from([0, 1]),
)


@settings(max_examples=300, deadline=None)
@given(MESSAGES)
def test_encode_then_decode_is_the_identity(message: Message) -> None:
    assert decode_message(encode_message(message)) == message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_decode_or_raise_ber_error(data: bytes) -> None:
    with contextlib.suppress(BerError):
        decode_message(data)


@settings(max_examples=300, deadline=None)
@given(MESSAGES, st.data())
def test_damaged_messages_decode_or_raise_ber_error(message: Message, data: st.DataObject) -> None:
    encoded = bytearray(encode_message(message))
    position = data.draw(st.integers(0, len(encoded) - 1))
    encoded[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(encoded)))
    for damaged in (bytes(encoded), bytes(encoded[:cut])):
        with contextlib.suppress(BerError):
            decode_message(damaged)
