"""Bill charges: what goes on each account's bill for a period (recurring with proration,
one-time, usage, discounts, taxes). Pure rules in proration, recurring, taxes, usage_lines;
the bulk reads in compute."""

from ossbss.billing.charges.compute import DEFAULT_CYCLE, accounts_in_cycle, compute_charges
from ossbss.billing.charges.lines import AccountCharges, ChargeFailure, ChargeLine

__all__ = [
    "DEFAULT_CYCLE",
    "AccountCharges",
    "ChargeFailure",
    "ChargeLine",
    "accounts_in_cycle",
    "compute_charges",
]
