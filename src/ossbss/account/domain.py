"""account rules, pure: owner, currency and money, lifecycle, bill cycles.

No session, no clock: callers pass ``now`` and whatever they looked up.
Payment-method rules live in ``payment_methods.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ossbss.kernel.errors import Conflict, InvalidInput
from ossbss.kernel.money import (
    Money,
    UnknownCurrency,
    check_currency,
    decimal_from_json,
    minor_unit_exponent,
)
from ossbss.kernel.time import Period, parse_datetime
from ossbss.tmf import check_period

Document = dict[str, Any]

# The demo operator bills in euro; an account states its own currency otherwise.
DEFAULT_CURRENCY = "EUR"
OWNER_ROLE = "owner"
# @referredType values (lower-cased) that name a party we can check in the party room.
PARTY_TYPES = frozenset({"individual", "organization"})
CUSTOMER_TYPE = "customer"

# TMF666 leaves account state a free string; this is ours (docs/rooms/account.md).
ACCOUNT_LIFECYCLE = {
    "Active": frozenset({"Suspended", "Closed"}),
    "Suspended": frozenset({"Active", "Closed"}),
    "Closed": frozenset(),
}
ACCOUNT_INITIAL = frozenset({"Active"})

# Month-based only: billingDateShift is a day of the month, capped at 28 so that every
# month has that day (the cap ISPs use, e.g. Splynx).
FREQUENCIES = ("monthly", "bimonthly", "quarterly", "semiannually", "yearly")
FREQUENCY_MONTHS = {"monthly": 1, "bimonthly": 2, "quarterly": 3, "semiannually": 6, "yearly": 12}
LAST_BILLING_DAY = 28
_CYCLE_OFFSETS = (
    "paymentDueDateOffset",
    "chargeDateOffset",
    "creditDateOffset",
    "mailingDateOffset",
)


# --- owner -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartyReference:
    """A relatedParty entry the party room can vouch for."""

    field: str  # e.g. "relatedParty[0].id"
    party_id: str
    referred_type: str  # lower-cased @referredType
    is_owner: bool


def settle_owner(related: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return ``relatedParty`` with exactly one owner, its role spelled ``owner``.

    The owner is the single entry whose role is "owner" (any case). A lone entry without a
    role is taken as the owner: an account with one party can only belong to that party.
    """
    entries = [dict(entry) for entry in related]
    owners = [i for i, entry in enumerate(entries) if _is_owner_role(entry.get("role"))]
    if not owners and len(entries) == 1 and not entries[0].get("role"):
        owners = [0]
    if not owners:
        raise InvalidInput(
            "Missing account owner",
            field="relatedParty",
            detail='exactly one entry must have role "owner"',
        )
    if len(owners) > 1:
        raise InvalidInput(
            "Several account owners",
            field=f"relatedParty[{owners[1]}].role",
            detail='exactly one entry may have role "owner"',
        )
    entries[owners[0]]["role"] = OWNER_ROLE
    return entries


def _is_owner_role(role: Any) -> bool:
    return isinstance(role, str) and role.strip().lower() == OWNER_ROLE


def party_references(related: Sequence[Mapping[str, Any]]) -> list[PartyReference]:
    """The entries to check against the party room; the owner must be one of them."""
    references = []
    for index, entry in enumerate(related):
        kind = str(entry.get("@referredType") or "").lower()
        is_owner = _is_owner_role(entry.get("role"))
        if kind not in PARTY_TYPES and kind != CUSTOMER_TYPE:
            if is_owner:
                raise InvalidInput(
                    "Invalid account owner",
                    field=f"relatedParty[{index}].@referredType",
                    detail="the owner must be an Individual, an Organization or a Customer",
                )
            continue  # e.g. an employee or partner role: not ours to vouch for
        references.append(
            PartyReference(f"relatedParty[{index}].id", str(entry.get("id")), kind, is_owner)
        )
    return references


def owner_party_id(document: Any) -> str | None:
    """The owner's id in a stored document (None where there is none)."""
    if not isinstance(document, Mapping):
        return None
    for entry in document.get("relatedParty") or ():
        if isinstance(entry, Mapping) and _is_owner_role(entry.get("role")):
            return str(entry.get("id"))
    return None


_PERIOD_ARRAYS = ("accountBalance", "accountRelationship", "contact", "paymentPlan", "taxExemption")


def check_periods(document: Mapping[str, Any]) -> None:
    """Every validFor in an account must parse and must not end before it starts."""
    for name in _PERIOD_ARRAYS:
        for index, item in enumerate(document.get(name) or ()):
            if isinstance(item, Mapping):
                check_period(item, prefix=f"{name}[{index}].")


# --- currency and money ------------------------------------------------------------------


def account_currency(document: Mapping[str, Any]) -> str:
    """The account's one currency: stated, else that of its first amount, else the default.

    TMF666 v4 has no account currency; we add the top-level extension ``currency`` and
    store it on every account, so bills, balances and limits cannot silently mix currencies.
    """
    stated = document.get("currency")
    if stated is not None:
        return normalise_currency(stated, field="currency")
    for field, amount in money_fields(document):
        if isinstance(amount, Mapping) and amount.get("unit") is not None:
            return normalise_currency(amount["unit"], field=f"{field}.unit")
    return DEFAULT_CURRENCY


def normalise_currency(raw: Any, *, field: str) -> str:
    code = raw.strip().upper() if isinstance(raw, str) else raw
    try:
        return check_currency(code)
    except UnknownCurrency:
        raise InvalidInput(
            "Unknown currency", field=field, detail=f"{raw!r} is not an ISO 4217 currency code"
        ) from None


def money_fields(document: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Every Money in an account, with the field name an error should carry."""
    found: list[tuple[str, Any]] = []
    if "creditLimit" in document:
        found.append(("creditLimit", document["creditLimit"]))
    for name, key in (("accountBalance", "amount"), ("paymentPlan", "totalAmount")):
        for index, item in enumerate(document.get(name) or ()):
            if isinstance(item, Mapping) and key in item:
                found.append((f"{name}[{index}].{key}", item[key]))
    return found


def parse_money(raw: Any, *, field: str, currency: str) -> Money:
    """A TMF Money ``{unit, value}`` in ``currency``, exact to the currency's minor unit."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("Invalid amount", field=field, detail="must be an object {unit, value}")
    unit = normalise_currency(raw.get("unit", currency), field=f"{field}.unit")
    if unit != currency:
        raise InvalidInput(
            "Currency mismatch", field=f"{field}.unit", detail=f"the account is in {currency}"
        )
    amount = decimal_from_json(raw.get("value"), field=f"{field}.value")
    try:
        money = Money.from_decimal(amount, currency)
    except InvalidOperation:
        raise InvalidInput("Invalid amount", field=f"{field}.value", detail="too large") from None
    if money.to_decimal() != amount:
        raise InvalidInput(
            "Invalid amount",
            field=f"{field}.value",
            detail=f"{currency} has {minor_unit_exponent(currency)} decimal places",
        )
    return money


def normalise_amounts(document: Document) -> Document:
    """Fix the account currency, check every amount against it and the credit limit's sign."""
    currency = account_currency(document)
    document = {**document, "currency": currency}
    for field, raw in money_fields(document):
        parse_money(raw, field=field, currency=currency)
    if "creditLimit" in document:
        limit = parse_money(document["creditLimit"], field="creditLimit", currency=currency)
        if limit.minor < 0:
            raise InvalidInput(
                "Invalid credit limit", field="creditLimit.value", detail="must be ≥ 0"
            )
        document["creditLimit"] = {**document["creditLimit"], "unit": currency}
    return document


def credit_limit_minor(document: Any) -> int | None:
    """The credit limit in minor units of a stored (already checked) document."""
    if not isinstance(document, Mapping) or not isinstance(document.get("creditLimit"), Mapping):
        return None
    limit = document["creditLimit"]
    try:
        return Money.from_decimal(Decimal(str(limit["value"])), str(limit["unit"])).minor
    except (KeyError, ValueError, InvalidOperation):
        return None


def check_currency_unchanged(old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    if old.get("currency") and new.get("currency") != old["currency"]:
        raise InvalidInput(
            "Currency is fixed",
            field="currency",
            detail=f"the account is in {old['currency']}; open a new account for another currency",
        )


# --- lifecycle ---------------------------------------------------------------------------


def normalise_state(raw: Any, *, field: str = "state") -> str:
    """Our canonical spelling of a state (clients may send any case)."""
    for state in ACCOUNT_LIFECYCLE:
        if isinstance(raw, str) and raw.strip().lower() == state.lower():
            return state
    allowed = ", ".join(ACCOUNT_LIFECYCLE)
    raise InvalidInput("Invalid state", field=field, detail=f"must be one of: {allowed}")


def open_balances(document: Mapping[str, Any], now: datetime) -> list[str]:
    """Fields of the balances valid at ``now`` that are not zero."""
    currency = account_currency(document)
    fields = []
    for index, balance in enumerate(document.get("accountBalance") or ()):
        field = f"accountBalance[{index}]"
        if not in_period(balance.get("validFor"), now):
            continue
        if parse_money(balance.get("amount"), field=f"{field}.amount", currency=currency).minor:
            fields.append(field)
    return fields


def check_can_close(document: Mapping[str, Any], now: datetime) -> None:
    """An account closes only when it owes nothing and is owed nothing."""
    open_fields = open_balances(document, now)
    if open_fields:
        raise Conflict(
            "Balance not settled",
            field=open_fields[0],
            detail="settle or refund every current balance before closing the account",
        )


def in_period(period: Any, now: datetime) -> bool:
    """Is ``now`` inside the half-open TimePeriod ``[start, end)``? Open ends are unbounded."""
    if not isinstance(period, Mapping):
        return True
    start, end = period.get("startDateTime"), period.get("endDateTime")
    if start and parse_datetime(str(start)) > now:
        return False
    return not (end and parse_datetime(str(end)) <= now)


# --- bill cycles -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BillCycle:
    """What billing needs to know about an account's bill cycle (read model)."""

    id: str
    name: str
    frequency: str
    months: int  # length of one billing period
    billing_day: int  # billingDateShift: day of the month a period starts, 1..28
    payment_due_days: int | None  # paymentDueDateOffset, days after the period start
    valid_from: datetime | None
    valid_to: datetime | None

    def period_containing(self, instant: datetime) -> Period:
        """The billing period ``[start, end)`` that ``instant`` falls in: periods start on
        ``billing_day`` at midnight UTC, every ``months`` months counted from January 2000 (so a
        quarterly cycle starts in January, April, July and October)."""
        return billing_period(instant, billing_day=self.billing_day, months=self.months)


def billing_period(instant: datetime, *, billing_day: int = 1, months: int = 1) -> Period:
    """See ``BillCycle.period_containing``; also the default for accounts without a cycle."""
    index = (instant.year - 2000) * 12 + instant.month - 1
    if instant.day < billing_day:
        index -= 1
    index -= index % months
    return Period(_month_start(index, billing_day), _month_start(index + months, billing_day))


def _month_start(index: int, day: int) -> datetime:
    return datetime(2000 + index // 12, index % 12 + 1, day, tzinfo=UTC)


def normalise_cycle_specification(document: Document) -> Document:
    """Defaults (monthly, on the 1st) and bounds for a billingCycleSpecification."""
    check_period(document)
    frequency = document.get("frequency", "monthly")
    if not isinstance(frequency, str) or frequency.strip().lower() not in FREQUENCIES:
        raise InvalidInput(
            "Invalid frequency",
            field="frequency",
            detail=f"must be one of: {', '.join(FREQUENCIES)}",
        )
    shift = document.get("billingDateShift", 1)
    if not _is_int(shift) or not 1 <= shift <= LAST_BILLING_DAY:
        raise InvalidInput(
            "Invalid billing day",
            field="billingDateShift",
            detail=f"must be a day of the month from 1 to {LAST_BILLING_DAY}",
        )
    for name in _CYCLE_OFFSETS:
        offset = document.get(name)
        if offset is not None and (not _is_int(offset) or offset < 0):
            raise InvalidInput(
                "Invalid offset", field=name, detail="must be a whole number ≥ 0 (days)"
            )
    return {**document, "frequency": frequency.strip().lower(), "billingDateShift": shift}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def cycle_reference(document: Mapping[str, Any]) -> str | None:
    """The id of the billingCycleSpecification an account uses (by reference only)."""
    structure = document.get("billStructure")
    if not isinstance(structure, Mapping) or structure.get("cycleSpecification") is None:
        return None
    cycle = structure["cycleSpecification"]
    if not cycle.get("id") or cycle.get("isRef") is False:
        # A bill run groups accounts by cycle id, so an embedded one-off cycle has no place.
        raise InvalidInput(
            "Bill cycle by reference only",
            field="billStructure.cycleSpecification.id",
            detail="reference an existing billingCycleSpecification by id",
        )
    return str(cycle["id"])


def check_cycle_usable(cycle: Mapping[str, Any], now: datetime) -> None:
    end = (cycle.get("validFor") or {}).get("endDateTime")
    if end and parse_datetime(str(end)) <= now:
        raise InvalidInput(
            "Bill cycle expired",
            field="billStructure.cycleSpecification.id",
            detail=f"billingCycleSpecification {cycle.get('id')} ended at {end}",
        )


def bill_cycle(document: Mapping[str, Any]) -> BillCycle:
    """The read model of a stored billingCycleSpecification."""
    period = document.get("validFor") or {}
    start, end = period.get("startDateTime"), period.get("endDateTime")
    frequency = str(document.get("frequency", "monthly"))
    return BillCycle(
        id=str(document["id"]),
        name=str(document.get("name", "")),
        frequency=frequency,
        months=FREQUENCY_MONTHS.get(frequency, 1),
        billing_day=int(document.get("billingDateShift", 1)),
        payment_due_days=document.get("paymentDueDateOffset"),
        valid_from=parse_datetime(str(start)) if start else None,
        valid_to=parse_datetime(str(end)) if end else None,
    )


def postal_country(document: Any) -> str | None:
    """The country of the first postal address among the account's contacts, if any."""
    if not isinstance(document, Mapping):
        return None
    for contact in document.get("contact") or []:
        for medium in (contact or {}).get("contactMedium") or []:
            characteristic = (medium or {}).get("characteristic") or {}
            if medium.get("mediumType") == "postalAddress" and characteristic.get("country"):
                return str(characteristic["country"]).upper()
    return None
