"""What a bill's charges are: lines (appliedCustomerBillingRate to be), per account, or the
reason an account cannot be charged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

RECURRING = "recurring"
ONE_TIME = "oneTime"
USAGE = "usage"
DISCOUNT = "discount"


@dataclass(frozen=True, slots=True)
class ChargeLine:
    product_id: str | None
    product_name: str
    offering_id: str | None
    type: str  # recurring | oneTime | usage | discount
    description: str
    period_start: datetime | None
    period_end: datetime | None
    quantity: str | None  # usage: "1.2 GB", "132 min", "40 SMS"
    amount_minor: int  # excluding tax, rounded half-even once
    tax_category: str | None
    tax_rate: Decimal  # percent, e.g. Decimal("20")
    tax_minor: int


@dataclass(frozen=True, slots=True)
class AccountCharges:
    """Everything one account is charged for a bill period. The usage lines bill every rated
    unbilled record that started before ``usage_before`` and was rated by ``usage_rated_by``:
    issuing marks exactly those billed (usage.mark_billed_through with the same bounds)."""

    billing_account_id: str
    currency: str
    lines: tuple[ChargeLine, ...]
    usage_before: datetime
    usage_rated_by: datetime

    @property
    def amount_excl_tax_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)

    @property
    def tax_minor(self) -> int:
        return sum(line.tax_minor for line in self.lines)

    @property
    def amount_incl_tax_minor(self) -> int:
        return self.amount_excl_tax_minor + self.tax_minor


@dataclass(frozen=True, slots=True)
class ChargeFailure:
    billing_account_id: str
    reason: str
