"""Signing in through a real Chromium: the form, the session cookie, the CSRF token."""

from __future__ import annotations

from typing import Any

from console_helpers import PASSWORD, staff_user
from ossbss import bootstrap


def test_a_staff_user_signs_in_and_out_in_a_browser(
    platform: bootstrap.Platform, page: Any
) -> None:
    staff_user(platform, "csr", "carol")
    page.goto("/")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "Unknown user or wrong password."
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    cookie = next(c for c in page.context.cookies() if c["name"] == "ossbss_console")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
