"""Process settings, read once from ``OSSBSS_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

LAB_ENV_FILE = Path("var/lab/lab.env")


class Settings(BaseSettings):
    # ``ossbss lab up`` writes where its peers listen into var/lab/lab.env; environment
    # variables win over it.
    model_config = SettingsConfigDict(
        env_prefix="OSSBSS_", extra="ignore", env_file=LAB_ENV_FILE, env_file_encoding="utf-8"
    )

    # sqlite:///var/ossbss.db is the embedded default; postgresql+psycopg://... in production.
    database_url: str = "sqlite:///var/ossbss.db"
    # When set, this exact value is (also) a valid admin API key: scripts and tests rely on it.
    admin_api_key: str | None = None
    # Where the generated admin key is kept when OSSBSS_ADMIN_API_KEY is not set.
    admin_key_file: Path = Path("var/admin.key")
    # Signs the console's session cookies; when unset, a random one kept in this file (so
    # sessions survive a restart and every process of one install agrees).
    console_secret: str | None = None
    console_secret_file: Path = Path("var/console.key")
    host: str = "127.0.0.1"
    port: int = 8000
    # Absolute base URL used in href; empty means "derive from the request".
    public_base_url: str = ""
    # How often the outbox dispatcher looks for due events when nobody woke it up.
    dispatcher_poll_seconds: float = 1.0
    # Give up on an event after this many failed deliveries (it stays in the outbox, marked dead).
    outbox_max_attempts: int = 12
    # A dispatcher holds a batch of events this long; if its process dies they come due again
    # after it (handlers are idempotent).
    outbox_lease_seconds: float = 120.0
    hub_timeout_seconds: float = 5.0
    # How long a process may reuse a list's total and page anchors when another process could
    # have written meanwhile (its own writes invalidate them at once). 0 turns reuse off.
    list_cache_seconds: float = 5.0
    # An activator holds a service order this long; if its process dies, the order is
    # taken up again (its steps are idempotent) once the lease has run out.
    activation_lease_seconds: float = 60.0
    # Driver names served by the in-memory fake instead of the real element (a laptop demo
    # without the lab, e.g. "netconf"); comma-separated.
    fake_drivers: str = ""
    # RADIUS change of authorisation (RFC 5176) towards the NASes of live sessions: the shared
    # secret, the default CoA port, and per-NAS ports ("10.0.0.1=3799,10.0.0.2=1700").
    radius_coa_secret: str = "ossbss-coa"
    radius_coa_port: int = 3799
    radius_nas_ports: str = ""
    # The RADIUS accounting collector (RFC 2866): `ossbss usage radius-acct`, and inside
    # `ossbss serve` when enabled. The sink is "module:function" with usage.ingest's signature.
    radius_acct_enabled: bool = False
    radius_acct_host: str = "127.0.0.1"
    radius_acct_port: int = 1813
    radius_acct_secret: str = "ossbss-acct"
    radius_acct_sink: str = "ossbss.usage:ingest"
    # A directory `serve` (or `worker`) picks CDR files up from, each file once; the feed's
    # column mapping (TOML) or a default mapping by kind (voice, data, sms).
    usage_cdr_dir: Path | None = None
    usage_cdr_mapping: Path | None = None
    usage_cdr_kind: str = "voice"
    usage_cdr_interval_seconds: float = 5.0
    # Re-validate the documents the server itself builds (orders, services, products) against
    # the spec files on every write: the test suite does; production trusts its own code.
    check_trusted_writes: bool = False
    # Each fake step takes this long (demos that show orders in flight; the crash test).
    fake_driver_delay_seconds: float = 0.0
    # Online charging: rating group -> usage kind ("10=data,20=voice,30=sms"; empty: those),
    # the prepaid low-balance threshold in minor units, the longest validity of a grant.
    charging_rating_groups: str = ""
    charging_low_balance_minor: int = 500
    charging_validity_seconds: int = 3600
    # Billing: the tax rates file (TOML, per country and product category; empty: the one
    # shipped in ossbss/billing/tax_rates.toml) and the country of accounts with no postal
    # address.
    billing_tax_rates: Path | None = None
    billing_country: str = "FR"
    # The payment gateway (PSP) card and direct-debit payments go through: "fake" for now.
    payment_gateway: str = "fake"
    # Dunning: the policy TOML (empty: the default shipped in ossbss/payment), and the daily
    # run inside `serve` (or `worker`) when enabled, every interval.
    dunning_policy: Path | None = None
    dunning_enabled: bool = False
    dunning_interval_seconds: float = 86400.0
    # The operator printed on invoices (billing documents): address lines separated by "|".
    operator_name: str = "ossbss Demo Telecom Ltd"
    operator_address: str = "1 Harbour Road|Dublin D02 X285|Ireland"
    operator_vat_id: str = "IE6388047V"
    operator_registration_id: str = "Company no. 123456"
    operator_bank_name: str = "Demo Bank"
    operator_iban: str = "IE29AIBK93115212345678"
    operator_bic: str = "AIBKIE2D"
    operator_support_email: str = "billing@ossbss.example"
    operator_support_phone: str = "+353 1 555 0100"
    operator_website: str = "https://ossbss.example"
    operator_locale: str = "en_IE"
    # How often `serve`/`worker` look for issued bills without a PDF (0: never), and how many
    # processes render them (0: one per core).
    billing_documents_interval_seconds: float = 30.0
    billing_documents_processes: int = 0
    # The SNMP trap collector (v1/v2c/v3 TRAPs and INFORMs -> alarms) inside `serve` when
    # enabled: accepted communities (comma-separated), the SNMPv3 users file (TOML, [[user]]),
    # our engine ID for v3 INFORMs (hex; empty: a random one per start), the rules file (empty:
    # the one shipped in ossbss/assurance/mapping/snmp.toml), flood control per source
    # (notifications/s and burst; rate 0: off), and how often the inventory is read again.
    snmp_trap_enabled: bool = False
    snmp_trap_host: str = "127.0.0.1"
    snmp_trap_port: int = 1162
    snmp_trap_communities: str = "public"
    snmp_trap_v3_users: Path | None = None
    snmp_trap_engine_id: str = ""
    snmp_trap_rules: Path | None = None
    snmp_trap_source_rate: float = 1000.0
    snmp_trap_source_burst: float = 5000.0
    snmp_trap_directory_refresh_seconds: float = 30.0
    # The syslog collector (assurance): UDP and TCP (RFC 6587 octet counting or LF framing) on
    # this address inside `ossbss serve` when enabled; 0 picks a free port, -1 turns one off.
    # The mapping file (TOML) turns lines into alarms (empty: assurance/mapping/syslog.toml).
    syslog_enabled: bool = False
    syslog_host: str = "127.0.0.1"
    syslog_udp_port: int = 5514
    syslog_tcp_port: int = 5514
    syslog_mapping: Path | None = None
    syslog_max_message_bytes: int = 8192
    # Per-sender flood control (token bucket): messages per second, and the burst allowed.
    syslog_rate_per_source: float = 2000.0
    syslog_burst_per_source: int = 5000
    # `serve` plays the demo network live (simulated SNMP agents for the demo's devices, a fault
    # script through the collectors); `make run` turns it on.
    demo_live: bool = False
    log_level: str = "INFO"
    # Alarms (assurance): a reduction key that raises and clears more than the threshold
    # times inside the window is flapping (its alarm stays active, flagged); the pipeline
    # stores signals in batches of up to this many and refuses more than max pending.
    alarm_flap_window_seconds: float = 600.0
    alarm_flap_threshold: int = 5
    alarm_pipeline_batch_size: int = 2000
    alarm_pipeline_max_pending: int = 200_000
    # Trouble tickets: a cleared root alarm resolves its ticket (off: a note only); the SLA
    # policy TOML (empty: ossbss/assurance/tickets/sla.toml); how often `serve`/`worker` tell
    # hub subscribers about missed SLA times (0: never; reads compute the SLA anyway).
    ticket_auto_resolve: bool = True
    ticket_sla_policy: Path | None = None
    ticket_sla_sweep_seconds: float = 60.0
    # The SNMP poller of IF-MIB interface counters (performance): inside `serve` when enabled,
    # every interval, at most `concurrency` devices in flight; each request waits `timeout`
    # seconds and is sent again `retries` times; GETBULK asks for up to `max_repetitions` rows.
    poller_enabled: bool = False
    poller_interval_seconds: float = 300.0
    poller_concurrency: int = 200
    poller_timeout_seconds: float = 2.0
    poller_retries: int = 1
    poller_max_repetitions: int = 25
    # Performance (KPI store): how long raw samples, 5-minute and hourly rollups are kept (days;
    # the 95th percentile and the capacity forecast read the 5-minute averages), how late a
    # sample may arrive and still be rolled up (seconds), and the policy files (empty: the ones
    # shipped in ossbss/performance: thresholds.toml, sla.toml).
    performance_raw_days: int = 7
    performance_5m_days: int = 62
    performance_hourly_days: int = 730
    performance_rollup_lateness_seconds: int = 120
    performance_thresholds_policy: Path | None = None
    performance_sla_policy: Path | None = None
    # How often `serve` (or `worker`) runs the KPI downsampling job (0: never; then run
    # `ossbss performance downsample` from cron).
    performance_downsample_interval_seconds: float = 300.0
