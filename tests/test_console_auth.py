"""Console sign-in: passwords, sessions, CSRF on the login and logout forms, customer logins."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from console_helpers import PASSWORD, csrf, customer_login, sign_in, staff_user
from ossbss import bootstrap, iam
from ossbss.kernel import InvalidInput


def test_a_staff_user_signs_in_and_lands_on_the_dashboard(
    platform: bootstrap.Platform, app_client: TestClient
) -> None:
    staff_user(platform, "csr", "carol")
    token = csrf(app_client)
    answer = app_client.post(
        "/login",
        data={"username": "carol", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard"
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/dashboard"


def test_a_wrong_password_or_unknown_user_is_refused_alike(
    platform: bootstrap.Platform, app_client: TestClient
) -> None:
    staff_user(platform, "csr", "carol")
    for username, password in (("carol", "wrong password"), ("nobody", PASSWORD)):
        answer = app_client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf(app_client)},
            follow_redirects=False,
        )
        assert answer.status_code == 401
        assert "Unknown user or wrong password." in answer.text
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_the_login_form_without_its_csrf_token_is_refused(
    platform: bootstrap.Platform, app_client: TestClient
) -> None:
    staff_user(platform, "csr", "carol")
    answer = app_client.post(
        "/login", data={"username": "carol", "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert "Form expired or forged" in answer.text
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_sign_out_needs_the_token_and_ends_the_session(
    platform: bootstrap.Platform, app_client: TestClient
) -> None:
    sign_in(app_client, staff_user(platform, "noc"))
    assert app_client.post("/logout", follow_redirects=False).status_code == 403
    token = csrf(app_client, "/login")
    answer = app_client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_a_next_page_on_another_site_is_ignored(
    platform: bootstrap.Platform, app_client: TestClient
) -> None:
    staff_user(platform, "csr", "carol")
    answer = app_client.post(
        "/login",
        data={
            "username": "carol",
            "password": PASSWORD,
            "next": "//evil.example/steal",
            "csrf_token": csrf(app_client),
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/dashboard"


def test_a_customer_login_lands_on_self_care_and_gets_no_api_key(
    platform: bootstrap.Platform, app_client: TestClient
) -> None:
    customer_login(platform, "cust-1", "alice@example.com")
    sign_in(app_client, "alice@example.com")
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/my"
    with platform.database.unit_of_work() as session, pytest.raises(InvalidInput):
        iam.create_api_key(
            session, username="alice@example.com", name="x", now=platform.clock.now()
        )


def test_passwords_are_stored_hashed_and_must_be_long_enough(
    platform: bootstrap.Platform,
) -> None:
    with platform.database.unit_of_work() as session, pytest.raises(InvalidInput) as error:
        iam.create_user(
            session, username="bob", role="csr", now=platform.clock.now(), password="short"
        )
    assert error.value.field == "password"
    staff_user(platform, "csr", "carol")
    with platform.database.unit_of_work(write=False) as session:
        assert iam.sign_in(session, username="carol", password=PASSWORD) == iam.Principal(
            "carol", "csr"
        )
        assert iam.sign_in(session, username="carol", password=PASSWORD.upper()) is None
