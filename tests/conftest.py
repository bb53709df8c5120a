"""Fixtures: one platform per test session on SQLite or PostgreSQL, emptied after each test.

``OSSBSS_TEST_DATABASE_URL`` picks the engine (``make test`` runs the suite once per engine);
without it the suite runs on a throwaway SQLite file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from ossbss import assurance, bootstrap
from ossbss.app import create_app
from ossbss.kernel import FixedClock, Settings
from ossbss.kernel.db import Base
from ossbss.lab.nas import NasSimulator
from ossbss.lab.peers import RunningPeer, free_port
from ossbss.lab.radius import start_freeradius
from ossbss.provisioning.radius_tables import RADIUS_TABLES
from ossbss.tmf import PAGES
from radius_helpers import COA_SECRET, SECRET
from served_app import ServedApp

ADMIN_KEY = "ossbss_test-admin-key-0123456789abcdef"
START = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("OSSBSS_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def session_platform(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[bootstrap.Platform]:
    settings = Settings(
        database_url=database_url,
        admin_api_key=ADMIN_KEY,
        admin_key_file=Path(tmp_path_factory.mktemp("var")) / "admin.key",
        console_secret="test-console-secret",
        public_base_url="http://testserver",
        hub_timeout_seconds=2.0,
        check_trusted_writes=True,
    )
    platform = bootstrap.build(settings, clock=FixedClock(START))
    metadata = bootstrap.metadata()
    metadata.drop_all(platform.database.engine)
    metadata.create_all(platform.database.engine)
    yield platform
    platform.close()


@pytest.fixture
def platform(session_platform: bootstrap.Platform) -> Iterator[bootstrap.Platform]:
    clock = session_platform.clock
    assert isinstance(clock, FixedClock)
    clock.set(START)
    bootstrap.admin_key(session_platform)
    # Other tests build platforms of their own, and each points the process-wide alarm
    # pipeline at its own: point it back at this one (the routes use it).
    assurance.configure(pipeline=session_platform.alarm_pipeline)
    yield session_platform
    _empty_all_tables(session_platform)
    PAGES.clear()
    session_platform.authorizer.forget()


def _empty_all_tables(platform: bootstrap.Platform) -> None:
    tables = list(reversed(bootstrap.metadata().sorted_tables))
    with platform.database.engine.begin() as connection:
        if platform.database.is_sqlite:
            for table in tables:
                connection.execute(table.delete())
        else:
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the engine under test, dropped afterwards (for migrations and
    for tests that run the server in its own process)."""
    admin_url = os.environ.get("OSSBSS_TEST_PG_ADMIN_URL")
    if not admin_url:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"ossbss_fresh_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def clock(platform: bootstrap.Platform) -> FixedClock:
    assert isinstance(platform.clock, FixedClock)
    return platform.clock


@pytest.fixture
def app_client(platform: bootstrap.Platform) -> Iterator[TestClient]:
    """An HTTP client without credentials."""
    with TestClient(create_app(platform=platform, run_dispatcher=False)) as client:
        yield client


@pytest.fixture
def client(app_client: TestClient) -> TestClient:
    """An HTTP client authenticated as admin."""
    app_client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
    return app_client


def key_for(platform: bootstrap.Platform, role: str) -> str:
    """Create a user with ``role`` and return a fresh API key for it."""
    from ossbss import iam

    with platform.database.unit_of_work() as session:
        iam.create_user(session, username=f"user-{role}", role=role, now=platform.clock.now())
        return iam.create_api_key(
            session, username=f"user-{role}", name="test", now=platform.clock.now()
        )


# -- the real FreeRADIUS and a NAS simulator, shared by the RADIUS tests ----------------------


@pytest.fixture(scope="session")
def radius_database(session_platform: bootstrap.Platform) -> bootstrap.Platform:
    """The session's database with the tables FreeRADIUS reads (conftest created them)."""
    Base.metadata.create_all(session_platform.database.engine, tables=list(RADIUS_TABLES))
    return session_platform


@pytest.fixture(scope="session")
def freeradius(
    radius_database: bootstrap.Platform, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningPeer]:
    """A real FreeRADIUS on loopback answering from the test database."""
    peer = start_freeradius(
        database_url=radius_database.database.url,
        workdir=tmp_path_factory.mktemp("freeradius"),
        auth_port=free_port(),
        acct_port=free_port(),
        secret=SECRET,
        threads=2,
    )
    yield peer
    peer.stop()


@pytest.fixture(scope="session")
def nas_simulator() -> Iterator[NasSimulator]:
    nas = NasSimulator(secret=COA_SECRET).start()
    yield nas
    nas.stop()


@pytest.fixture
def nas(nas_simulator: NasSimulator) -> Iterator[NasSimulator]:
    yield nas_simulator
    nas_simulator.forget()


@pytest.fixture
def auth_port(freeradius: RunningPeer) -> int:
    return int(freeradius.endpoints["auth"].rsplit(":", 1)[1])


@pytest.fixture
def acct_port(freeradius: RunningPeer) -> int:
    return int(freeradius.endpoints["acct"].rsplit(":", 1)[1])


# -- the console in a real browser -------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download). Per test: Playwright's
    sync API keeps an asyncio loop marked running in this thread while it is open, and later
    tests that call asyncio.run() (the SNMP poller's) would find it."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/install-lab.sh installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def served(platform: bootstrap.Platform) -> Iterator[ServedApp]:
    """The app (API and console) on a real loopback port."""
    with ServedApp(platform) as app:
        yield app


@pytest.fixture
def page(chromium: Any, served: ServedApp) -> Iterator[Any]:
    """A fresh browser tab (own cookies) on the served app; ``page.goto("/login")`` works."""
    context = chromium.new_context(
        base_url=f"http://127.0.0.1:{served.port}", viewport={"width": 1400, "height": 900}
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()
