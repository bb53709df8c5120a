"""The composition root: builds the platform (database, clock, outbox, auth) from settings."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

from ossbss import (
    account,
    assurance,
    billing,
    catalog,
    charging,
    console,
    iam,
    inventory,
    ordering,
    party,
    payment,
    performance,
    product_inventory,
    provisioning,
    reporting,
    usage,
)
from ossbss.kernel import Base, Clock, Database, Dispatcher, HandlerRegistry, Settings, SystemClock
from ossbss.tmf import PAGES, Edge, check_trusted_writes, subscribe_handlers

log = logging.getLogger(__name__)
ROOMS = (
    party,
    catalog,
    account,
    inventory,
    product_inventory,
    usage,
    charging,
    billing,
    performance,
    payment,
    provisioning,
    assurance,
    ordering,
    reporting,
    console,
)
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def metadata() -> MetaData:
    """Every room's tables (importing the rooms registers their models on Base)."""
    return Base.metadata


@dataclass
class Platform:
    settings: Settings
    database: Database
    clock: Clock
    registry: HandlerRegistry
    dispatcher: Dispatcher
    authorizer: iam.ApiKeyAuthorizer
    http: httpx.Client
    activator: provisioning.Activator
    alarm_pipeline: assurance.AlarmPipeline
    edge: Edge = field(init=False)

    def __post_init__(self) -> None:
        self.edge = Edge(
            database=self.database,
            clock=self.clock,
            authorize=self.authorizer,
            public_base_url=self.settings.public_base_url.rstrip("/"),
            session_secret=console_secret(self.settings),
        )

    def start(self) -> None:
        """Start the background workers: event delivery and activation."""
        self.dispatcher.start()
        self.activator.start()
        self.alarm_pipeline.start()

    def stop(self) -> None:
        self.alarm_pipeline.stop()
        self.activator.stop()
        self.dispatcher.stop()

    def close(self) -> None:
        self.alarm_pipeline.stop()
        self.dispatcher.stop()
        self.activator.close()
        self.http.close()
        self.database.dispose()


def build(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    drivers: Mapping[str, provisioning.Driver] | None = None,
) -> Platform:
    """The platform. ``drivers`` replaces the network-element drivers settings configure
    (tests pass fakes)."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    database = Database(settings.database_url)
    registry = HandlerRegistry()
    http = httpx.Client(timeout=settings.hub_timeout_seconds)
    subscribe_handlers(registry, http)
    dispatcher = Dispatcher(
        database,
        registry,
        clock,
        poll_seconds=settings.dispatcher_poll_seconds,
        max_attempts=settings.outbox_max_attempts,
        lease_seconds=settings.outbox_lease_seconds,
    )
    activator = provisioning.Activator(
        database,
        clock,
        drivers if drivers is not None else provisioning.build_drivers(settings, database, clock),
        poll_seconds=settings.dispatcher_poll_seconds,
        lease_seconds=settings.activation_lease_seconds,
    )
    usage.subscribe(registry, clock)
    provisioning.subscribe(registry, clock)
    ordering.subscribe(registry, clock)
    payment.subscribe(registry, clock)
    assurance.subscribe(registry, clock)
    performance.subscribe(registry, clock)
    billing.subscribe(registry, clock)
    payment.configure(gateway=settings.payment_gateway)
    charging.configure(
        directory=charging.FunctionDirectory(usage.find_subscriber),
        rating_groups=charging.parse_rating_groups(settings.charging_rating_groups),
        low_balance_minor=settings.charging_low_balance_minor,
        validity_seconds=settings.charging_validity_seconds,
    )
    performance.configure(sla_policy=settings.performance_sla_policy)
    billing.configure_documents(operator=billing.Operator.from_settings(settings))
    flap_rule = assurance.FlapRule(
        window=timedelta(seconds=settings.alarm_flap_window_seconds),
        threshold=settings.alarm_flap_threshold,
    )
    alarm_pipeline = assurance.AlarmPipeline(
        database,
        clock,
        batch_size=settings.alarm_pipeline_batch_size,
        max_pending=settings.alarm_pipeline_max_pending,
        flap_rule=flap_rule,
    )
    assurance.configure(pipeline=alarm_pipeline, flap_rule=flap_rule)
    assurance.configure_tickets(
        auto_resolve=settings.ticket_auto_resolve,
        policy=assurance.load_sla_policy(settings.ticket_sla_policy),
    )
    database.on_commit(dispatcher.wake)
    database.on_commit(activator.wake)
    PAGES.max_age = settings.list_cache_seconds
    check_trusted_writes(settings.check_trusted_writes)
    return Platform(
        settings=settings,
        database=database,
        clock=clock,
        registry=registry,
        dispatcher=dispatcher,
        authorizer=iam.ApiKeyAuthorizer(database),
        http=http,
        activator=activator,
        alarm_pipeline=alarm_pipeline,
    )


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


def console_secret(settings: Settings) -> str:
    """OSSBSS_CONSOLE_SECRET if set, else the one kept in var/, else a new one kept there."""
    if settings.console_secret:
        return settings.console_secret
    path = settings.console_secret_file
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(secret + "\n")
    return secret


def admin_key(platform: Platform) -> str:
    """The admin key: OSSBSS_ADMIN_API_KEY if set, else the one kept in var/, else a new one."""
    settings = platform.settings
    key = settings.admin_api_key
    if not key:
        path = settings.admin_key_file
        if path.exists():
            key = path.read_text().strip()
        else:
            key = iam.generate_key()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(key + "\n")
    with platform.database.unit_of_work() as session:
        iam.ensure_admin_key(session, key=key, now=platform.clock.now())
    return key


__all__ = [
    "ROOMS",
    "Platform",
    "admin_key",
    "alembic_config",
    "build",
    "console_secret",
    "metadata",
    "migrate",
]
