"""payment: TMF676 payments and refunds, gateway drivers, allocation to bills, bank
statements, aging, dunning and collections. The room's only door."""

from ossbss.payment.api import router

RESOURCES: tuple[()] = ()

__all__ = ["RESOURCES", "router"]

# --- dunning and collections (H5) ---
from ossbss.payment import dunning_models as _dunning_models  # noqa: E402, F401 - tables
from ossbss.payment.dunning import (  # noqa: E402
    DunningReport,
    TakenStep,
    record_dunning_outcome,
    run_dunning,
    settle_account,
    subscribe_dunning,
)
from ossbss.payment.dunning_cli import build_app as dunning_cli  # noqa: E402
from ossbss.payment.dunning_cli import policy_for  # noqa: E402
from ossbss.payment.dunning_policy import (  # noqa: E402
    AccountClass,
    DunningPolicy,
    Step,
    load_policy,
    parse_policy,
    steps_due,
)
from ossbss.payment.dunning_schedule import DunningSchedule  # noqa: E402
from ossbss.payment.dunning_view import get_dunning_case, list_dunning_cases  # noqa: E402

__all__ += [
    "AccountClass",
    "DunningPolicy",
    "DunningReport",
    "DunningSchedule",
    "Step",
    "TakenStep",
    "dunning_cli",
    "get_dunning_case",
    "list_dunning_cases",
    "load_policy",
    "parse_policy",
    "policy_for",
    "record_dunning_outcome",
    "run_dunning",
    "settle_account",
    "steps_due",
    "subscribe_dunning",
]
