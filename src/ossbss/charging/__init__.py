"""charging: the rating engine (batch and online), TMF654 balances and buckets, online
charging (3GPP Nchf_ConvergedCharging)."""

from ossbss.charging.api import router
from ossbss.charging.balances_api import PREPAY_BALANCE_API
from ossbss.charging.batch import rate_frame
from ossbss.charging.domain import parse_rating_groups
from ossbss.charging.ports import (
    Allowance,
    DictDirectory,
    FunctionDirectory,
    Pricer,
    Subscriber,
    SubscriberDirectory,
)
from ossbss.charging.rating import Rated, UsageRecord, rate_one, units_for_amount
from ossbss.charging.rating_run import RatingSummary, rate_period
from ossbss.charging.tariff_choice import assign_tariffs
from ossbss.charging.tariff_pricer import TariffPricer
from ossbss.charging.wiring import Wiring, configure, restore, wiring

# TMF654 is served by charging's own routes, not by the generic document machinery.
RESOURCES: tuple[()] = ()

__all__ = [
    "PREPAY_BALANCE_API",
    "RESOURCES",
    "Allowance",
    "DictDirectory",
    "FunctionDirectory",
    "Pricer",
    "Rated",
    "RatingSummary",
    "Subscriber",
    "SubscriberDirectory",
    "TariffPricer",
    "UsageRecord",
    "Wiring",
    "assign_tariffs",
    "configure",
    "parse_rating_groups",
    "rate_frame",
    "rate_one",
    "rate_period",
    "restore",
    "router",
    "units_for_amount",
    "wiring",
]
