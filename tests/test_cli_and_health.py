"""The command line and the health probe, as an operator uses them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ossbss.bootstrap import Platform
from ossbss.cli import app

PARTY = "/tmf-api/party/v4/individual"


@pytest.fixture
def cli_env(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OSSBSS_DATABASE_URL", platform.settings.database_url)
    return CliRunner()


def test_health_needs_no_key(app_client: TestClient) -> None:
    response = app_client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_openapi_docs_need_no_key_and_describe_the_tmf_bodies(app_client: TestClient) -> None:
    schema = app_client.get("/openapi.json").json()
    assert PARTY in schema["paths"]
    assert "party.Individual_Create" in schema["components"]["schemas"]
    assert app_client.get("/docs").status_code == 200


def test_user_and_key_from_the_cli_work_on_the_api(
    cli_env: CliRunner, app_client: TestClient
) -> None:
    created = cli_env.invoke(app, ["user", "create", "alice", "--role", "csr"])
    assert created.exit_code == 0, created.output
    issued = cli_env.invoke(app, ["apikey", "create", "alice", "--name", "laptop"])
    assert issued.exit_code == 0, issued.output
    key = issued.output.strip()
    headers = {"Authorization": f"Bearer {key}"}
    response = app_client.post(PARTY, json={"givenName": "A", "familyName": "B"}, headers=headers)
    assert response.status_code == 201
    # csr may not change the catalog
    catalog = "/tmf-api/productCatalogManagement/v4/catalog"
    assert app_client.post(catalog, json={"name": "x"}, headers=headers).status_code == 403


def test_the_cli_refuses_an_unknown_role_and_a_duplicate_user(cli_env: CliRunner) -> None:
    bad = cli_env.invoke(app, ["user", "create", "bob", "--role", "superuser"])
    assert bad.exit_code == 2
    assert "role" in bad.output
    assert cli_env.invoke(app, ["user", "create", "bob", "--role", "noc"]).exit_code == 0
    assert cli_env.invoke(app, ["user", "create", "bob", "--role", "noc"]).exit_code == 2


def test_a_revoked_key_stops_working(
    cli_env: CliRunner, app_client: TestClient, platform: Platform
) -> None:
    cli_env.invoke(app, ["user", "create", "carol", "--role", "readonly"])
    key = cli_env.invoke(app, ["apikey", "create", "carol"]).output.strip()
    headers = {"Authorization": f"Bearer {key}"}
    assert app_client.get(PARTY, headers=headers).status_code == 200
    revoked = cli_env.invoke(app, ["apikey", "revoke", key[:13]])
    assert "revoked 1" in revoked.output
    platform.authorizer.forget()  # the 30 s cache, as if it had expired
    assert app_client.get(PARTY, headers=headers).status_code == 401
