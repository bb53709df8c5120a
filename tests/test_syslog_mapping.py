"""The syslog parser and the shipped mapping rules, as pure functions (the collector tests
drive them with real senders)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alarm_sinks import lab_directory
from ossbss.assurance.syslog import Garbled, SyslogMapping, parse, parse_mapping
from ossbss.kernel.errors import InvalidInput

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
MAPPING = SyslogMapping.load()
DIRECTORY = lab_directory()


def signal_for(line: bytes, sender: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    message = parse(line, received_at=NOW)
    return MAPPING.signal(message, sender=sender, directory=DIRECTORY, received_at=NOW)


def test_rfc5424_with_bom_escapes_and_zone() -> None:
    line = (
        b"<165>1 2026-01-02T04:04:05.5+01:00 router1.lab.example evntslog 42 ID47 "
        b'[ex@32473 iut="3" msg="a \\"quoted\\" \\] \\\\"][other@1] \xef\xbb\xbfh\xc3\xa9llo'
    )
    message = parse(line, received_at=NOW)
    assert (message.facility, message.severity) == (20, 5)
    assert message.timestamp == datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)
    assert (message.hostname, message.app_name, message.procid, message.msgid) == (
        "router1.lab.example",
        "evntslog",
        "42",
        "ID47",
    )
    assert message.structured_data == {
        "ex@32473": {"iut": "3", "msg": 'a "quoted" ] \\'},
        "other@1": {},
    }
    assert message.message == "héllo"


def test_rfc5424_nilvalues() -> None:
    message = parse(b"<14>1 - - - - - -", received_at=NOW)
    assert message.timestamp is None
    assert message.hostname is None
    assert message.message == ""


def test_bsd_year_is_the_one_nearest_arrival() -> None:
    message = parse(b"<13>Dec 31 23:59:59 host1 app[7]: late", received_at=NOW)
    assert message.timestamp == datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert (message.hostname, message.app_name, message.procid) == ("host1", "app", "7")


def test_bsd_without_host() -> None:
    message = parse(b"<13>Jan  2 03:04:05 sshd: hello", received_at=NOW)
    assert (message.hostname, message.app_name, message.message) == (None, "sshd", "hello")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"", "no_pri"),
        (b"hello", "no_pri"),
        (b"<>x", "bad_pri"),
        (b"<012>x", "bad_pri"),
        (b"<192>x", "bad_pri"),
        (b"<13>1 - host", "bad_header"),
        (b"<13>1 - h\x01st a - - - m", "bad_header"),
        (b"<13>1 2026-01-02 h a - - - m", "bad_timestamp"),
        (b"<13>1 - h a - - [x a=b] m", "bad_structured_data"),
        (b'<13>1 - h a - - [x a="b m', "bad_structured_data"),
        (b"<13>1 - h a - - -m", "bad_structured_data"),
        (b"<13>", "empty"),
    ],
)
def test_garbled(line: bytes, reason: str) -> None:
    with pytest.raises(Garbled) as raised:
        parse(line, received_at=NOW)
    assert raised.value.reason == reason


def test_line_protocol_down_and_up() -> None:
    head = b"<189>1 - router1 - - - - %LINEPROTO-5-UPDOWN: Line protocol on Interface "
    down = signal_for(head + b"GigabitEthernet0/1, changed state to down")
    up = signal_for(head + b"GigabitEthernet0/1, changed state to up")
    assert down is not None
    assert up is not None
    assert down.reduction_key == up.reduction_key == "syslog:router1:lineproto:GigabitEthernet0/1"
    assert (down.perceived_severity, up.perceived_severity) == ("minor", "cleared")
    assert down.alarmed_object_id == up.alarmed_object_id == "port-router1-gi0-1"


def test_pon_los_restored_clears_by_sender_address() -> None:
    # no HOSTNAME: the device is the sender (olt3 at 10.0.0.3)
    los = signal_for(b"<186>PON port 1/1/3 LOS", sender="10.0.0.3")
    restored = signal_for(b"<190>PON port 1/1/3 LOS restored", sender="10.0.0.3")
    assert los is not None
    assert restored is not None
    assert los.reduction_key == restored.reduction_key == "syslog:10.0.0.3:pon-los:1/1/3"
    assert not los.clears
    assert restored.clears
    assert los.alarmed_object_id == "port-olt3-pon-1-1-3"


def test_bgp_cisco_adjchange() -> None:
    down = signal_for(
        b"<189>1 - router1 - - - - %BGP-5-ADJCHANGE: neighbor 192.0.2.1 Down BGP Notification sent"
    )
    up = signal_for(b"<189>1 - router1 - - - - %BGP-5-ADJCHANGE: neighbor 192.0.2.1 Up")
    assert down is not None
    assert up is not None
    assert down.reduction_key == up.reduction_key == "syslog:router1:bgp:192.0.2.1"
    assert down.alarmed_object_id == "dev-router1"
    assert up.clears


def test_unmatched_below_err_is_ignored_and_repeats_share_a_key() -> None:
    assert signal_for(b"<30>1 - router1 app - - - all good") is None  # info
    first = signal_for(b"<27>1 - router1 fand - - - fan 2 speed 1200 rpm below 3000")
    again = signal_for(b"<27>1 - router1 fand - - - fan 2 speed 1100 rpm below 3000")
    assert first is not None
    assert again is not None
    assert first.reduction_key == again.reduction_key
    assert first.perceived_severity == "indeterminate"
    assert first.alarmed_object_id == "dev-router1"


def test_unmatched_floor_none_turns_it_off() -> None:
    mapping = parse_mapping('[defaults]\nunmatched_min_severity = "none"\n')
    message = parse(b"<8>1 - h a - - - kernel panic", received_at=NOW)
    assert mapping.signal(message, sender="x", directory=DIRECTORY, received_at=NOW) is None


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[[rule]]\nname='a'\npattern='('\n", "rule 'a'"),
        ("[[rule]]\nname='a'\npattern='x'\nalarm_type='nope'\n", "rule 'a'"),
        (
            "[[rule]]\nname='a'\npattern='x'\nalarm_type='communicationsAlarm'\nobject='port'\n",
            "rule 'a'",
        ),
        (
            "[[rule]]\nname='a'\npattern='x'\nalarm_type='communicationsAlarm'\nkey='{y}'\n",
            "rule 'a'",
        ),
        ("[[rule]]\nname='b'\npattern='x'\nclears='a'\n", "rule 'b'"),
        ("[severity]\nerr='bad'\n", "severity.err"),
        ("[defaults]\nunmatched_min_severity='loud'\n", "defaults.unmatched_min_severity"),
        ("not toml [", "syslogMapping"),
    ],
)
def test_a_bad_mapping_file_names_the_rule(text: str, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_mapping(text)
    assert raised.value.field == field
