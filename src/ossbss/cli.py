"""``ossbss``: the command line. Each command is an edge: it owns its transaction."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Protocol

import typer
from rich.console import Console

from ossbss import assurance, billing, bootstrap, iam, party, payment, usage
from ossbss.billing import cli as billing_cli
from ossbss.billing import cli_credit as billing_cli_credit
from ossbss.billing.documents import cli as documents_cli
from ossbss.charging import cli as charging_cli
from ossbss.inventory import cli as inventory_cli
from ossbss.kernel import Clock, DomainError, OffsetClock, Settings
from ossbss.lab.cli import lab_app
from ossbss.payment import cli as payment_cli
from ossbss.performance import cli as performance_cli
from ossbss.provisioning.cli import config_app
from ossbss.reporting import cli as reporting_cli
from ossbss.usage import accounting_cli
from ossbss.usage import cli as usage_cli

app = typer.Typer(
    no_args_is_help=True, help="ossbss: an open-source OSS/BSS for operators and ISPs."
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
user_app = typer.Typer(no_args_is_help=True, help="Staff users.")
key_app = typer.Typer(no_args_is_help=True, help="API keys.")
demo_app = typer.Typer(no_args_is_help=True, help="The demo operator.")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="apikey")
app.add_typer(demo_app, name="demo")
app.add_typer(lab_app, name="lab")
app.add_typer(config_app, name="config")
console = Console()
log = logging.getLogger(__name__)
# The demo's customers and orders are a month old: the month since has usage and is rated.
DEMO_HISTORY_DAYS = 80


@contextmanager
def _platform(clock: Clock | None = None) -> Iterator[bootstrap.Platform]:
    """A platform for one command, closed (connections returned) when the command ends."""
    platform = bootstrap.build(Settings(), clock=clock)
    try:
        yield platform
    finally:
        platform.close()


app.add_typer(inventory_cli.build_app(_platform), name="inventory")
app.add_typer(reporting_cli.build_app(_platform), name="report")
usage_app = usage_cli.build_app(_platform)
usage_app.command("radius-acct")(accounting_cli.radius_acct)
app.add_typer(usage_app, name="usage")
app.command("rate")(charging_cli.rate_command(_platform))
billing_app = billing_cli.build_app(_platform)
billing_cli_credit.register(billing_app, _platform)  # credit, adjust, compare
documents_cli.add_commands(billing_app, _platform)  # documents render, pdf
app.add_typer(billing_app, name="billing")
app.add_typer(payment_cli.build_app(_platform), name="payment")
app.add_typer(payment.dunning_cli(_platform), name="dunning")
app.add_typer(performance_cli.build_app(_platform), name="performance")
assurance_app = assurance.traps_cli(_platform)  # traps
assurance_app.info.help = "Fault management: alarm collectors, maintenance, trouble tickets."
assurance.add_ticket_commands(assurance_app, _platform)  # maintenance, tickets
app.add_typer(assurance_app, name="assurance")


def _fail(exc: DomainError) -> None:
    console.print(f"[red]error:[/red] {exc.message}")
    raise typer.Exit(code=2)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database."""
    settings = Settings()
    bootstrap.migrate(settings.database_url)
    console.print(f"database at head: {settings.database_url}")


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[
        str, typer.Option(help=f"one of {', '.join(sorted(iam.ROLES | {iam.CUSTOMER}))}")
    ] = "readonly",
    password: Annotated[
        bool, typer.Option("--password", help="prompt for a console sign-in password")
    ] = False,
    customer: Annotated[
        str | None, typer.Option(help="the customer id a self-care login (role customer) opens")
    ] = None,
) -> None:
    """Create a staff user with a role, or a subscriber's self-care login (--role customer)."""
    secret = (
        typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    )
    try:
        with _platform() as platform, platform.database.unit_of_work() as session:
            if customer is not None:
                party.get_customer(session, customer_id=customer)  # NotFound if there is none
            iam.create_user(
                session,
                username=username,
                role=role,
                now=platform.clock.now(),
                password=secret,
                party_id=customer,
            )
    except DomainError as exc:
        _fail(exc)
    console.print(f"user {username} created with role {role}")


@user_app.command("password")
def user_password(username: str) -> None:
    """Set the console sign-in password of a user (prompted)."""
    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        with _platform() as platform, platform.database.unit_of_work() as session:
            iam.set_password(session, username=username, password=secret)
    except DomainError as exc:
        _fail(exc)
    console.print(f"password of {username} set")


@key_app.command("create")
def apikey_create(
    username: str, name: Annotated[str, typer.Option(help="what the key is for")] = ""
) -> None:
    """Issue an API key for a user; it is shown once."""
    try:
        with _platform() as platform, platform.database.unit_of_work() as session:
            key = iam.create_api_key(
                session, username=username, name=name, now=platform.clock.now()
            )
    except DomainError as exc:
        _fail(exc)
    console.print(key, soft_wrap=True, highlight=False)


@key_app.command("revoke")
def apikey_revoke(prefix: str) -> None:
    """Revoke the keys that start with PREFIX (as shown when they were listed)."""
    with _platform() as platform, platform.database.unit_of_work() as session:
        count = iam.revoke_api_key(session, prefix=prefix, now=platform.clock.now())
    console.print(f"revoked {count} key(s)")


@demo_app.command("load")
def demo_load(
    customers: Annotated[int, typer.Option(help="how many demo customers")] = 1000,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="only if there are no customers yet")
    ] = False,
) -> None:
    """Load the demo operator: an ISP + MVNO catalog, deterministic customers with accounts,
    its network and orders placed a month ago, and the month of usage since, rated."""
    from ossbss import demo

    with _platform(OffsetClock(-timedelta(days=DEMO_HISTORY_DAYS))) as platform:
        if if_empty and not demo.is_empty(platform):
            console.print("demo: database already has data, nothing loaded")
            return
        report = demo.load(
            platform, customers=customers, console=console, usage_until=datetime.now(UTC)
        )
    with _platform() as platform:
        demo.bill_history(platform, cycle_ids=report.cycle_ids, console=console)
        demo.fault_history(platform, console=console)


@demo_app.command("logins")
def demo_logins() -> None:
    """Give the demo's console users their password (idempotent) and print them."""
    from ossbss import demo

    with _platform() as platform:
        logins = demo.create_logins(platform)
        settings = platform.settings
    console.print(
        f"console: http://{settings.host}:{settings.port}/  (staff sign-in /login, "
        f"subscribers /my/login), password for every demo login: {demo.DEMO_PASSWORD}",
        highlight=False,
    )
    for login in logins:
        who = f"  {login.who}" if login.who else ""
        console.print(f"  {login.username:<28} {login.role}{who}", highlight=False)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
    workers: Annotated[
        bool,
        typer.Option(
            help="also deliver events and run activations here (off when `ossbss worker` does)"
        ),
    ] = True,
) -> None:
    """Serve the TMF APIs and the docs, with the event dispatcher and the activator."""
    import uvicorn

    from ossbss.app import create_app

    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    platform = bootstrap.build(settings)
    key = bootstrap.admin_key(platform)
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(
        f"ossbss on http://{bind_host}:{bind_port}/  (console: /, staff sign-in /login, "
        "self-care /my/login; API docs: /docs)"
    )
    console.print(f"admin API key: {key}", soft_wrap=True, highlight=False)
    app = create_app(platform=platform, run_dispatcher=workers)
    if not workers:
        # The alarm pipeline is the API's own writer (collectors, TMF642, Alertmanager), not a
        # background worker: it runs wherever alarms arrive.
        platform.alarm_pipeline.start()
    # Each part beside the API is optional; what started is stopped, last first.
    running: list[_Stoppable | None] = [
        _radius_accounting(platform) if settings.radius_acct_enabled else None,
        _snmp_traps(platform) if settings.snmp_trap_enabled else None,
        _syslog(platform) if settings.syslog_enabled else None,
        _cdr_pickup(platform) if workers else None,
        _dunning_schedule(platform) if workers else None,
        _document_renderer(platform) if workers else None,
        _ticket_sla_sweep(platform) if workers else None,
        performance_cli.downsampler(platform) if workers else None,
        _live_demo(platform, key, bind_host, bind_port) if settings.demo_live else None,
        # After the live demo: its simulated agents are up before the first poll.
        performance_cli.poller(platform),
    ]
    # Everything built so far lives as long as the process: keep it out of the collector's way.
    gc.freeze()
    try:
        uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning")
    finally:
        for part in reversed(running):
            if part is not None:
                part.stop()


class _Stoppable(Protocol):
    def stop(self) -> None: ...


def _live_demo(platform: bootstrap.Platform, api_key: str, host: str, port: int) -> _Stoppable:
    """The demo network alive (simulated agents, a fault script through the collectors)."""
    from ossbss import demo

    settings = platform.settings
    collectors = demo.Collectors(
        trap=(settings.snmp_trap_host, settings.snmp_trap_port)
        if settings.snmp_trap_enabled
        else None,
        syslog=(settings.syslog_host, settings.syslog_udp_port)
        if settings.syslog_enabled and settings.syslog_udp_port > 0
        else None,
        api_url=f"http://{host}:{port}",
        api_key=api_key,
    )
    live = demo.LiveNetwork(platform.database, collectors).start()
    console.print("demo: live network (simulated SNMP agents, faults every 40 s)", highlight=False)
    return live


def _ticket_sla_sweep(platform: bootstrap.Platform) -> assurance.SlaSweep | None:
    """Missed ticket SLA times told to hub subscribers every OSSBSS_TICKET_SLA_SWEEP_SECONDS
    (0: never; a ticket's SLA is computed on every read anyway)."""
    interval = platform.settings.ticket_sla_sweep_seconds
    if interval <= 0:
        return None
    return assurance.SlaSweep(platform.database, platform.clock, interval=interval).start()


def _dunning_schedule(platform: bootstrap.Platform) -> payment.DunningSchedule | None:
    """The daily dunning run on a thread of its own, if OSSBSS_DUNNING_ENABLED."""
    settings = platform.settings
    if not settings.dunning_enabled:
        return None
    schedule = payment.DunningSchedule(
        platform.database,
        platform.clock,
        payment.policy_for(settings),
        interval=settings.dunning_interval_seconds,
        on_report=lambda report: log.info(
            "dunning: %d step(s), %d case(s) closed, %d failure(s)",
            len(report.steps),
            report.cases_closed,
            len(report.failures),
        ),
    ).start()
    console.print(f"dunning runs every {settings.dunning_interval_seconds:g}s", highlight=False)
    return schedule


def _document_renderer(platform: bootstrap.Platform) -> billing.DocumentRenderer | None:
    """Documents of newly issued bills rendered on a thread of their own (worker processes
    render), every OSSBSS_BILLING_DOCUMENTS_INTERVAL_SECONDS; 0 turns it off."""
    settings = platform.settings
    if settings.billing_documents_interval_seconds <= 0:
        return None
    return billing.DocumentRenderer(
        platform.database,
        platform.clock,
        interval=settings.billing_documents_interval_seconds,
        processes=settings.billing_documents_processes,
    ).start()


def _cdr_pickup(platform: bootstrap.Platform) -> usage.CdrPickup | None:
    """CDR files picked up from OSSBSS_USAGE_CDR_DIR on a thread of their own, if it is set."""
    settings = platform.settings
    directory = settings.usage_cdr_dir
    if directory is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    mapping = (
        usage.CdrMapping.load(settings.usage_cdr_mapping)
        if settings.usage_cdr_mapping
        else usage.CdrMapping.default(settings.usage_cdr_kind)
    )

    def importer(path: Path) -> usage.FileReport:
        return usage.import_file(platform.database, platform.clock, path=path, mapping=mapping)

    def logged(report: usage.FileReport) -> None:
        log.info("CDR file %s: %s", report.name, report.report)

    pickup = usage.CdrPickup(
        directory, importer, interval=settings.usage_cdr_interval_seconds, on_file=logged
    ).start()
    console.print(f"CDR files picked up from {directory}", highlight=False)
    return pickup


def _radius_accounting(platform: bootstrap.Platform) -> usage.CollectorThread:
    """The RADIUS accounting collector on a thread of its own beside the API."""
    settings = platform.settings
    server = usage.RadiusAccountingServer(
        database=platform.database,
        sink=accounting_cli.resolve_sink(settings.radius_acct_sink),
        secret=settings.radius_acct_secret,
        clock=platform.clock,
        host=settings.radius_acct_host,
        port=settings.radius_acct_port,
    )
    collector = usage.CollectorThread(server).start()
    console.print(f"RADIUS accounting on udp {server.host}:{server.port}", highlight=False)
    return collector


def _snmp_traps(platform: bootstrap.Platform) -> assurance.TrapCollectorThread:
    """The SNMP trap collector on a thread of its own beside the API, into the alarm pipeline."""
    sink = assurance.alarm_pipeline()
    sink.start()  # idempotent; traps arriving before the API is up are stored too
    listener = assurance.snmp_trap_listener(
        platform.settings, sink=sink, clock=platform.clock, database=platform.database
    )
    collector = assurance.TrapCollectorThread(listener).start()
    console.print(f"SNMP traps on udp {listener.host}:{listener.port}", highlight=False)
    return collector


def _syslog(platform: bootstrap.Platform) -> assurance.SyslogThread:
    """The syslog collector (UDP and TCP) on a thread of its own, into the alarm pipeline."""
    server = assurance.syslog_collector(
        platform.settings,
        sink=assurance.alarm_pipeline(),
        clock=platform.clock,
        database=platform.database,
    )
    collector = assurance.SyslogThread(server).start()
    console.print(
        f"syslog on {server.host} udp {server.udp_port} tcp {server.tcp_port}", highlight=False
    )
    return collector


@app.command()
def worker() -> None:
    """Deliver events and run activations in a process of their own, beside `serve
    --no-workers` (the API then has a core to itself); stops on SIGTERM or Ctrl-C."""
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    platform = bootstrap.build(settings)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopping.set())
    platform.start()
    pickup = _cdr_pickup(platform)
    dunning = _dunning_schedule(platform)
    documents = _document_renderer(platform)
    sla_sweep = _ticket_sla_sweep(platform)
    downsampler = performance_cli.downsampler(platform)
    console.print("ossbss worker: delivering events and running activations")
    try:
        while not stopping.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if pickup is not None:
            pickup.stop()
        if dunning is not None:
            dunning.stop()
        if documents is not None:
            documents.stop()
        if sla_sweep is not None:
            sla_sweep.stop()
        if downsampler is not None:
            downsampler.stop()
        platform.close()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
