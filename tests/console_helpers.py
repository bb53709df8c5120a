"""Signing in to the console from tests: staff and self-care users with a password, a signed-in
TestClient, and the CSRF token a page carries."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ossbss import bootstrap, iam

PASSWORD = "correct horse battery"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def staff_user(platform: bootstrap.Platform, role: str, username: str | None = None) -> str:
    """A staff user with ``role`` and PASSWORD; returns the username."""
    username = username or f"console-{role}"
    with platform.database.unit_of_work() as session:
        iam.create_user(
            session, username=username, role=role, now=platform.clock.now(), password=PASSWORD
        )
    return username


def customer_login(platform: bootstrap.Platform, customer_id: str, username: str) -> str:
    """A self-care login for the customer ``customer_id`` with PASSWORD."""
    with platform.database.unit_of_work() as session:
        iam.create_user(
            session,
            username=username,
            role=iam.CUSTOMER,
            now=platform.clock.now(),
            password=PASSWORD,
            party_id=customer_id,
        )
    return username


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """Sign ``client`` in through the login form (as a browser does); asserts it worked."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def csrf(client: TestClient, page: str = "/login") -> str:
    """The session's CSRF token, read from ``page``."""
    return csrf_of(client.get(page).text)


def post_form(
    client: TestClient, url: str, data: dict[str, str] | None = None, *, page: str = "/login"
) -> object:
    """POST ``data`` as a form with the session's CSRF token; no redirect followed."""
    return client.post(
        url, data={**(data or {}), "csrf_token": csrf(client, page)}, follow_redirects=False
    )


SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def save_screenshot(page: Any, name: str) -> None:
    """The journey's last page as docs/screenshots/<name>.png, when OSSBSS_SCREENSHOTS=1 (the
    committed pictures are refreshed on purpose, not by every test run)."""
    if os.environ.get("OSSBSS_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
