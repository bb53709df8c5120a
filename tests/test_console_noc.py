"""The NOC pages over HTTP as a signed-in user: the alarm board (root causes first with their
impacted customers, filters, the fragment htmx polls), acknowledge / clear / comment through
TMF642's own PATCH rules (readonly and a missing CSRF token change nothing), one alarm with
its group and ticket, the topology SVG with the alarmed device marked, a device with its ports
and KPI charts."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from console_helpers import post_form, sign_in, staff_user
from correlation_world import Network, build_network, order_line
from ossbss import assurance, bootstrap, performance
from ossbss.assurance import AlarmSignal
from ossbss.assurance.models import Alarm
from ossbss.kernel import FixedClock

ALARMS = "/tmf-api/alarmManagement/v4/alarm"


def signal(object_id: str, object_type: str, cause: str, severity: str, at: Any) -> AlarmSignal:
    return AlarmSignal(
        source="snmp",
        reduction_key=f"{cause}:{object_id}",
        alarm_type="communicationsAlarm",
        probable_cause=cause,
        perceived_severity=severity,
        occurred_at=at,
        alarmed_object_id=object_id,
        alarmed_object_type=object_type,
    )


def ingest(platform: bootstrap.Platform, *signals: AlarmSignal) -> None:
    with platform.database.unit_of_work() as session:
        assurance.ingest(session, signals=signals, now=platform.clock.now())


def alarm_of(platform: bootstrap.Platform, key: str) -> Alarm:
    with platform.database.unit_of_work(write=False) as session:
        alarm = session.scalars(select(Alarm).where(Alarm.reduction_key == key)).one()
        session.expunge(alarm)
        return alarm


@dataclass
class Outage:
    network: Network
    root: str  # the OLT's deviceDown alarm id
    customers: dict[str, str]  # name -> id


@pytest.fixture
def outage(client: TestClient, platform: bootstrap.Platform) -> Outage:
    """The OLT is down (critical root cause) with two of its access ports (grouped under it);
    Ada and Bob are on those ports; a minor temperature alarm on the core stands alone."""
    network = build_network(client)
    ada, _, _ = order_line(client, platform, network, "olt:ge-1", "Ada Olt")
    bob, _, _ = order_line(client, platform, network, "olt:ge-2", "Bob Olt")
    now = platform.clock.now()
    ingest(
        platform,
        signal(network.devices["olt"], "Device", "deviceDown", "critical", now),
        signal(network.ports["olt:ge-1"], "Port", "linkDown", "major", now),
        signal(network.ports["olt:ge-2"], "Port", "linkDown", "major", now),
        signal(network.devices["core"], "Device", "highTemperature", "minor", now),
    )
    root = alarm_of(platform, f"deviceDown:{network.devices['olt']}")
    assert root.is_root_cause
    return Outage(network, root.id, {"Ada Olt": ada, "Bob Olt": bob})


def rows(html: str) -> list[str]:
    """The alarm ids of the board's rows, in order."""
    return re.findall(r'data-alarm-id="([^"]+)"', html)


def noc(platform: bootstrap.Platform, client: TestClient) -> TestClient:
    return sign_in(client, staff_user(platform, "noc", "nora"))


def test_the_board_lists_the_root_cause_first_with_its_impacted_customers(
    platform: bootstrap.Platform, client: TestClient, outage: Outage
) -> None:
    noc(platform, client)
    page = client.get("/noc")
    assert page.status_code == 200
    shown = rows(page.text)
    assert shown[0] == outage.root
    assert len(shown) == 2  # the root and the core's own alarm; the port alarms are grouped
    root_row = page.text.split(f'data-alarm-id="{outage.root}"')[1].split("</tr>")[0]
    assert "root cause" in root_row
    assert "2 grouped" in root_row
    for name, customer_id in outage.customers.items():
        assert f'<a href="/customers/{customer_id}">{name}</a>' in root_row
    assert 'class="badge critical"' in root_row
    assert f'href="/noc/devices/{outage.network.devices["olt"]}"' in root_row

    grouped = client.get("/noc", params={"grouped": "1"})
    assert len(rows(grouped.text)) == 4
    minor = client.get("/noc", params={"severity": "minor"})
    assert len(rows(minor.text)) == 1
    assert outage.root not in rows(minor.text)
    assert client.get("/noc", params={"severity": "fatal"}).status_code == 400


def test_the_board_is_a_fragment_polled_every_five_seconds_that_shows_new_alarms(
    platform: bootstrap.Platform, client: TestClient, outage: Outage
) -> None:
    noc(platform, client)
    page = client.get("/noc", params={"ack": "unacknowledged"})
    assert 'hx-get="/noc/board?ack=unacknowledged"' in page.text
    assert 'hx-trigger="every 5s"' in page.text
    fragment = client.get("/noc/board", params={"ack": "unacknowledged"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="board"' in fragment.text
    assert len(rows(fragment.text)) == 2

    core = outage.network.devices["core"]
    ingest(platform, signal(core, "Device", "fanFailure", "warning", platform.clock.now()))
    fresh = alarm_of(platform, f"fanFailure:{core}")
    assert fresh.id in rows(client.get("/noc/board", params={"ack": "unacknowledged"}).text)
    # signed out, the fragment answers htmx with a redirect to the sign-in page
    anonymous = TestClient(client.app)
    answer = anonymous.get("/noc/board", headers={"HX-Request": "true"})
    assert answer.status_code == 204
    assert answer.headers["HX-Redirect"] == "/login"


def test_acknowledge_clear_and_comment_change_the_alarm_as_tmf642_does(
    platform: bootstrap.Platform, client: TestClient, outage: Outage
) -> None:
    noc(platform, client)
    answer = post_form(client, f"/noc/alarms/{outage.root}/ack", {"next": "/noc"}, page="/noc")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert answer.headers["location"] == "/noc"  # type: ignore[attr-defined]
    alarm = client.get(f"{ALARMS}/{outage.root}").json()
    assert (alarm["ackState"], alarm["ackUserId"]) == ("acknowledged", "nora")
    assert "Alarm acknowledged" in client.get("/noc").text

    post_form(client, f"/noc/alarms/{outage.root}/comment", {"comment": "fibre cut, crew sent"})
    alarm = client.get(f"{ALARMS}/{outage.root}").json()
    assert [(c["comment"], c["userId"]) for c in alarm["comment"]] == [
        ("fibre cut, crew sent", "nora")
    ]
    empty = post_form(client, f"/noc/alarms/{outage.root}/comment", {"comment": " "})
    assert empty.status_code == 400  # type: ignore[attr-defined]

    post_form(client, f"/noc/alarms/{outage.root}/clear")
    alarm = client.get(f"{ALARMS}/{outage.root}").json()
    assert (alarm["state"], alarm["clearUserId"]) == ("cleared", "nora")
    assert outage.root not in rows(client.get("/noc").text)
    again = post_form(client, f"/noc/alarms/{outage.root}/clear")
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert "already cleared" in again.text  # type: ignore[attr-defined]


def test_readonly_and_forged_posts_change_nothing(
    platform: bootstrap.Platform, client: TestClient, outage: Outage
) -> None:
    sign_in(client, staff_user(platform, "readonly", "rita"))
    assert client.get("/noc").status_code == 200
    for action, data in (("ack", {}), ("clear", {}), ("comment", {"comment": "hi"})):
        answer = post_form(client, f"/noc/alarms/{outage.root}/{action}", data, page="/noc")
        assert answer.status_code == 403  # type: ignore[attr-defined]
    noc(platform, client)
    forged = client.post(f"/noc/alarms/{outage.root}/ack", follow_redirects=False)
    assert forged.status_code == 403
    alarm = client.get(f"{ALARMS}/{outage.root}").json()
    assert alarm["ackState"] == "unacknowledged"
    assert alarm["state"] != "cleared"
    assert alarm["comment"] == []


def test_the_alarm_page_shows_its_group_impact_comments_and_ticket(
    platform: bootstrap.Platform, client: TestClient, outage: Outage
) -> None:
    platform.dispatcher.run_pending()  # the root's impact opens its ticket
    noc(platform, client)
    post_form(client, f"/noc/alarms/{outage.root}/comment", {"comment": "looking"})
    page = client.get(f"/noc/alarms/{outage.root}")
    assert page.status_code == 200
    impacted = page.text.split('class="card impacted"')[1].split("</section>")[0]
    for name, customer_id in outage.customers.items():
        assert f'<a href="/customers/{customer_id}">{name}</a>' in impacted
    assert "Grouped alarms (2)" in page.text
    for _, _, service_id in outage.network.lines.values():
        assert service_id in impacted  # the affected services
    child = alarm_of(platform, f"linkDown:{outage.network.ports['olt:ge-1']}")
    assert f'href="/noc/alarms/{child.id}"' in page.text
    assert "looking" in page.text
    ticket = re.search(r'href="/tickets/([^"]+)"', page.text)
    assert ticket, "the root alarm's ticket is linked"
    child_page = client.get(f"/noc/alarms/{child.id}")
    assert f'href="/noc/alarms/{outage.root}"' in child_page.text  # its parent
    assert client.get("/noc/alarms/nope").status_code == 404


def test_the_topology_marks_the_alarmed_devices_by_their_worst_severity(
    platform: bootstrap.Platform, client: TestClient, outage: Outage
) -> None:
    noc(platform, client)
    page = client.get("/noc/topology")
    assert page.status_code == 200
    assert "<svg" in page.text
    devices = outage.network.devices
    marks = dict(re.findall(r'data-device-id="([^"]+)"(?: data-severity="([^"]+)")?', page.text))
    assert marks == {devices["core"]: "minor", devices["olt"]: "critical", devices["switch"]: ""}
    for device_id in devices.values():
        assert f'href="/noc/devices/{device_id}"' in page.text
    assert len(re.findall(r"<line ", page.text)) == 2
    # the core on top, the OLT below it, the switch below that
    heights = {
        device_id: int(y)
        for device_id, y in re.findall(
            r'data-device-id="([^"]+)"[^>]*>\s*<title>[^<]*</title>\s*<rect x="\d+" y="(\d+)"',
            page.text,
        )
    }
    assert heights[devices["core"]] < heights[devices["olt"]] < heights[devices["switch"]]


def chart(html: str, chart_id: str) -> dict[str, Any]:
    found = re.search(rf"<canvas id=\"{chart_id}\" data-chart='([^']+)'", html)
    assert found, f"no chart {chart_id}"
    return dict(json.loads(unescape(found.group(1))))


def record(platform: bootstrap.Platform, samples: Sequence[performance.Sample]) -> None:
    with platform.database.unit_of_work() as session:
        performance.record_samples(session, samples=samples, now=platform.clock.now())


def test_the_device_page_has_its_ports_alarms_and_kpi_charts(
    platform: bootstrap.Platform, client: TestClient, outage: Outage, clock: FixedClock
) -> None:
    olt = outage.network.devices["olt"]
    uplink, access = outage.network.ports["olt:xe-up"], outage.network.ports["olt:ge-1"]
    start = clock.now() - timedelta(hours=2)
    samples = []
    for minute in range(0, 120, 5):
        at = start + timedelta(minutes=minute)
        samples += [
            performance.Sample(uplink, performance.IN_UTILISATION, at, 40.0 + minute / 10),
            performance.Sample(uplink, performance.OUT_UTILISATION, at, 10.0),
            performance.Sample(olt, performance.REACHABLE, at, 1.0),
        ]
    samples += [
        performance.Sample(uplink, performance.OPER_STATUS, clock.now() - timedelta(minutes=1), 1),
        performance.Sample(access, performance.OPER_STATUS, clock.now() - timedelta(minutes=9), 1),
        performance.Sample(access, performance.OPER_STATUS, clock.now() - timedelta(minutes=1), 2),
    ]
    record(platform, samples)
    noc(platform, client)
    page = client.get(f"/noc/devices/{olt}")
    assert page.status_code == 200
    assert re.search(rf'data-port-id="{uplink}">.*?oper-up', page.text, re.S)
    assert re.search(rf'data-port-id="{access}">.*?oper-down.*?badge major', page.text, re.S)
    silent = outage.network.ports["olt:xe-down"]  # never polled
    assert re.search(rf'data-port-id="{silent}">(?:(?!</tr>).)*oper-unknown', page.text, re.S)
    assert f'href="/noc/alarms/{outage.root}"' in page.text
    utilisation = chart(page.text, "kpi-port-0")  # the first uplink
    assert [d["label"] for d in utilisation["datasets"]] == ["in", "out"]
    assert len(utilisation["labels"]) == 24
    assert utilisation["datasets"][0]["data"][0] == 40.0
    assert utilisation["datasets"][1]["data"] == [10.0] * 24
    reachability = chart(page.text, "kpi-reachability")
    assert set(reachability["datasets"][0]["data"]) == {1.0}

    week = client.get(f"/noc/devices/{olt}", params={"range": "7d"})
    assert len(chart(week.text, "kpi-port-0")["labels"]) == 3  # hourly: 07:00, 08:00, 09:00
    assert client.get(f"/noc/devices/{olt}", params={"range": "1y"}).status_code == 400
    assert client.get("/noc/devices/nope").status_code == 404
