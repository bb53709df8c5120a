"""payment: TMF676 payments and refunds, gateway drivers, allocation to bills, bank
statements, aging, dunning and collections. The room's only door."""

from ossbss.kernel import Clock, HandlerRegistry
from ossbss.payment import dunning_models as _dunning_models  # noqa: F401 - tables
from ossbss.payment import models as _models  # noqa: F401 - registers the tables
from ossbss.payment.aging import aging
from ossbss.payment.api import PAYMENT_API, router
from ossbss.payment.bank_statement import StatementReport, import_statement
from ossbss.payment.credit import apply_credit
from ossbss.payment.credit import subscribe as _subscribe_credit
from ossbss.payment.domain import BUCKETS, AgingBuckets, aging_bucket, allocate
from ossbss.payment.dunning import (
    DunningReport,
    TakenStep,
    record_dunning_outcome,
    run_dunning,
    settle_account,
    subscribe_dunning,
)
from ossbss.payment.dunning_cli import build_app as dunning_cli
from ossbss.payment.dunning_cli import policy_for
from ossbss.payment.dunning_policy import (
    AccountClass,
    DunningPolicy,
    Step,
    load_policy,
    parse_policy,
    steps_due,
)
from ossbss.payment.dunning_schedule import DunningSchedule
from ossbss.payment.dunning_view import get_dunning_case, list_dunning_cases
from ossbss.payment.gateway import (
    BANK_TRANSFER,
    CARD,
    CASH,
    DIRECT_DEBIT,
    METHODS,
    FakeGateway,
    GatewayResult,
    PaymentGateway,
)
from ossbss.payment.refunds import refund
from ossbss.payment.service import PaymentRequest, Recorded, record_payment, record_payments
from ossbss.payment.suspense import HeldItem, apply_suspense, dismiss_suspense, suspense_items
from ossbss.payment.wiring import configure, current_gateway

RESOURCES: tuple[()] = ()


def subscribe(registry: HandlerRegistry, clock: Clock) -> None:
    """payment's reactions: credit applied to newly issued bills; dunning cases closed (and
    suspended products resumed) when an account's overdue bills are paid."""
    _subscribe_credit(registry, clock)
    subscribe_dunning(registry, clock)


__all__ = [
    "BANK_TRANSFER",
    "BUCKETS",
    "CARD",
    "CASH",
    "DIRECT_DEBIT",
    "METHODS",
    "PAYMENT_API",
    "RESOURCES",
    "AccountClass",
    "AgingBuckets",
    "DunningPolicy",
    "DunningReport",
    "DunningSchedule",
    "FakeGateway",
    "GatewayResult",
    "HeldItem",
    "PaymentGateway",
    "PaymentRequest",
    "Recorded",
    "StatementReport",
    "Step",
    "TakenStep",
    "aging",
    "aging_bucket",
    "allocate",
    "apply_credit",
    "apply_suspense",
    "configure",
    "current_gateway",
    "dismiss_suspense",
    "dunning_cli",
    "get_dunning_case",
    "import_statement",
    "list_dunning_cases",
    "load_policy",
    "parse_policy",
    "policy_for",
    "record_dunning_outcome",
    "record_payment",
    "record_payments",
    "refund",
    "router",
    "run_dunning",
    "settle_account",
    "steps_due",
    "subscribe",
    "subscribe_dunning",
    "suspense_items",
]

# A customer's latest payments (the console's customer page).
from ossbss.payment.by_account import PaymentRow, latest_payments  # noqa: E402

__all__ += ["PaymentRow", "latest_payments"]
