"""A NOC engineer in real Chromium: signs in, sees the root-cause alarm of an OLT outage on the
board, acknowledges it, opens it and reads the impacted customers' names; the board shows an
alarm raised after the page loaded without a reload (the htmx fragment it polls)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import select

from console_helpers import PASSWORD, save_screenshot, staff_user
from correlation_world import build_network, order_line
from ossbss import assurance, bootstrap
from ossbss.assurance import AlarmSignal
from ossbss.assurance.models import Alarm


def raise_alarm(
    platform: bootstrap.Platform, object_id: str, object_type: str, cause: str, severity: str
) -> str:
    with platform.database.unit_of_work() as session:
        assurance.ingest(
            session,
            signals=[
                AlarmSignal(
                    source="snmp",
                    reduction_key=f"{cause}:{object_id}",
                    alarm_type="communicationsAlarm",
                    probable_cause=cause,
                    perceived_severity=severity,
                    occurred_at=platform.clock.now(),
                    alarmed_object_id=object_id,
                    alarmed_object_type=object_type,
                )
            ],
            now=platform.clock.now(),
        )
    with platform.database.unit_of_work(write=False) as session:
        return str(
            session.scalars(
                select(Alarm.id).where(Alarm.reduction_key == f"{cause}:{object_id}")
            ).one()
        )


def test_a_noc_engineer_acknowledges_the_root_cause_and_sees_who_it_hurts(
    platform: bootstrap.Platform, client: TestClient, page: Any
) -> None:
    network = build_network(client)
    order_line(client, platform, network, "olt:ge-1", "Ada Olt")
    order_line(client, platform, network, "olt:ge-2", "Bob Olt")
    root = raise_alarm(platform, network.devices["olt"], "Device", "deviceDown", "critical")
    raise_alarm(platform, network.ports["olt:ge-1"], "Port", "linkDown", "major")
    staff_user(platform, "noc", "nora")

    page.goto("/noc")
    page.fill("input[name=username]", "nora")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/noc")

    row = page.locator(f"tr[data-alarm-id='{root}']")
    expect(row).to_contain_text("root cause")
    expect(row).to_contain_text("1 grouped")
    expect(row.locator("td.customers")).to_have_text("Ada Olt, Bob Olt")
    expect(page.locator("tr.alarm").first).to_have_attribute("data-alarm-id", root)

    row.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url("**/noc")
    expect(page.locator("#flash")).to_contain_text("Alarm acknowledged")
    expect(page.locator(f"tr[data-alarm-id='{root}'] .badge.acknowledged")).to_be_visible()

    # an alarm raised after the page loaded appears without a reload
    page.evaluate("window.__same_page = true")
    core = raise_alarm(platform, network.devices["core"], "Device", "highTemperature", "minor")
    expect(page.locator(f"tr[data-alarm-id='{core}']")).to_be_visible(timeout=15_000)
    assert page.evaluate("window.__same_page") is True

    page.locator(f"tr[data-alarm-id='{root}'] a", has_text="deviceDown").click()
    page.wait_for_url(f"**/noc/alarms/{root}")
    impacted = page.locator(".impacted ul").first
    expect(impacted).to_contain_text("Ada Olt")
    expect(impacted).to_contain_text("Bob Olt")
    expect(page.locator("dl.facts")).to_contain_text("acknowledged by nora")
    save_screenshot(page, "noc-alarm")
