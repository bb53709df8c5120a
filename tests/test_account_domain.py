"""account rules, pure: no database, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from ossbss.account import billing_period, domain, payment_methods
from ossbss.kernel import Conflict, InvalidInput, InvalidStateTransition, Money, Period
from ossbss.kernel.time import parse_datetime
from ossbss.tmf import check_transition

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def party(
    role: str | None = None, kind: str = "Individual", party_id: str = "p1"
) -> dict[str, Any]:
    entry = {"id": party_id, "name": "n", "@referredType": kind}
    return entry if role is None else {**entry, "role": role}


def field_of(excinfo: pytest.ExceptionInfo[InvalidInput]) -> str | None:
    return excinfo.value.field


# --- owner -------------------------------------------------------------------------------


def test_lone_entry_without_role_is_the_owner() -> None:
    assert domain.settle_owner([party()])[0]["role"] == "owner"


def test_owner_role_is_case_insensitive_and_normalised() -> None:
    settled = domain.settle_owner([party("payer", party_id="a"), party(" OWNER ", party_id="b")])
    assert [entry["role"] for entry in settled] == ["payer", "owner"]
    assert domain.owner_party_id({"relatedParty": settled}) == "b"


@pytest.mark.parametrize(
    ("related", "field"),
    [
        ([], "relatedParty"),
        ([party("payer")], "relatedParty"),
        ([party(), party()], "relatedParty"),
        ([party("owner"), party("Owner")], "relatedParty[1].role"),
    ],
)
def test_exactly_one_owner(related: list[dict[str, Any]], field: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        domain.settle_owner(related)
    assert field_of(excinfo) == field


def test_party_references_skip_roles_we_cannot_check_but_not_for_the_owner() -> None:
    related = [
        party("owner", "Customer"),
        party("manager", "Employee"),
        party("payer", "organization"),
    ]
    refs = domain.party_references(related)
    assert [(r.field, r.referred_type, r.is_owner) for r in refs] == [
        ("relatedParty[0].id", "customer", True),
        ("relatedParty[2].id", "organization", False),
    ]
    with pytest.raises(InvalidInput) as excinfo:
        domain.party_references([party("owner", "Employee")])
    assert field_of(excinfo) == "relatedParty[0].@referredType"


# --- currency and money ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "currency"),
    [
        ({}, "EUR"),
        ({"currency": "gbp"}, "GBP"),
        ({"creditLimit": {"unit": "USD", "value": 1}}, "USD"),
        ({"accountBalance": [{"amount": {"unit": "JPY", "value": 1}}]}, "JPY"),
        ({"currency": "CHF", "creditLimit": {"unit": "USD", "value": 1}}, "CHF"),
    ],
)
def test_account_currency(document: dict[str, Any], currency: str) -> None:
    assert domain.account_currency(document) == currency


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"currency": "XYZ"}, "currency"),
        ({"currency": 978}, "currency"),
        ({"creditLimit": {"unit": "EURO", "value": 1}}, "creditLimit.unit"),
    ],
)
def test_unknown_currency_names_the_field(document: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        domain.normalise_amounts(document)
    assert field_of(excinfo) == field


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_json_numbers_convert_exactly_to_minor_units(minor: int) -> None:
    # What arrives from JSON is a float; it must land on the exact cent, never drift.
    value = float(Decimal(minor).scaleb(-2))
    assert domain.parse_money({"unit": "EUR", "value": value}, field="f", currency="EUR") == Money(
        "EUR", minor
    )


@pytest.mark.parametrize(
    ("currency", "value", "minor"),
    [("EUR", 500, 50000), ("EUR", 0.1, 10), ("JPY", 1500, 1500), ("BHD", 1.234, 1234)],
)
def test_parse_money(currency: str, value: Any, minor: int) -> None:
    money = domain.parse_money({"unit": currency, "value": value}, field="f", currency=currency)
    assert money == Money(currency, minor)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"unit": "EUR", "value": 1.005}, "f.value"),
        ({"unit": "EUR", "value": True}, "f.value"),
        ({"unit": "EUR", "value": None}, "f.value"),
        ({"unit": "EUR", "value": "1e999999999"}, "f.value"),
        ({"unit": "USD", "value": 1}, "f.unit"),
        ("12 EUR", "f"),
    ],
)
def test_bad_amounts_name_the_field(raw: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        domain.parse_money(raw, field="f", currency="EUR")
    assert field_of(excinfo) == field


def test_yen_has_no_cents() -> None:
    with pytest.raises(InvalidInput):
        domain.parse_money({"unit": "JPY", "value": 1.5}, field="f", currency="JPY")


def test_amounts_must_share_the_account_currency() -> None:
    document = {
        "currency": "EUR",
        "accountBalance": [
            {"amount": {"unit": "EUR", "value": 1}},
            {"amount": {"unit": "USD", "value": 1}},
        ],
    }
    with pytest.raises(InvalidInput) as excinfo:
        domain.normalise_amounts(document)
    assert field_of(excinfo) == "accountBalance[1].amount.unit"


def test_credit_limit_must_not_be_negative() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        domain.normalise_amounts({"creditLimit": {"unit": "EUR", "value": -0.01}})
    assert field_of(excinfo) == "creditLimit.value"
    document = domain.normalise_amounts({"creditLimit": {"value": 0}})
    assert document["creditLimit"] == {"unit": "EUR", "value": 0}
    assert domain.credit_limit_minor(document) == 0


@given(st.integers(min_value=0, max_value=10**12))
def test_credit_limit_column_is_exact(minor: int) -> None:
    value = float(Decimal(minor).scaleb(-2))
    document = domain.normalise_amounts({"creditLimit": {"unit": "EUR", "value": value}})
    assert domain.credit_limit_minor(document) == minor


def test_currency_is_fixed_once_set() -> None:
    domain.check_currency_unchanged({"currency": "EUR"}, {"currency": "EUR"})
    with pytest.raises(InvalidInput) as excinfo:
        domain.check_currency_unchanged({"currency": "EUR"}, {"currency": "USD"})
    assert field_of(excinfo) == "currency"


# --- lifecycle ---------------------------------------------------------------------------


def test_state_spelling_is_normalised() -> None:
    assert domain.normalise_state(" suspended") == "Suspended"
    with pytest.raises(InvalidInput):
        domain.normalise_state("Bankrupt")
    with pytest.raises(InvalidInput):
        domain.normalise_state(None)


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        ("Active", "Suspended", True),
        ("Suspended", "Active", True),
        ("Active", "Closed", True),
        ("Suspended", "Closed", True),
        ("Closed", "Active", False),
        ("Closed", "Suspended", False),
    ],
)
def test_lifecycle(old: str, new: str, allowed: bool) -> None:
    if allowed:
        check_transition(domain.ACCOUNT_LIFECYCLE, old, new, field="state")
    else:
        with pytest.raises(InvalidStateTransition):
            check_transition(domain.ACCOUNT_LIFECYCLE, old, new, field="state")


def balance(value: float, start: str | None = None, end: str | None = None) -> dict[str, Any]:
    period = {k: v for k, v in (("startDateTime", start), ("endDateTime", end)) if v}
    return {
        "balanceType": "receivable",
        "amount": {"unit": "EUR", "value": value},
        "validFor": period,
    }


def test_only_current_non_zero_balances_block_closing() -> None:
    balances = [
        balance(0),
        balance(5, end="2026-01-15T09:30:00Z"),  # ended exactly now: half-open, so past
        balance(5, start="2026-02-01T00:00:00Z"),  # not started yet
        balance(-3, start="2026-01-01T00:00:00Z"),  # a credit is owed to the customer
    ]
    assert domain.open_balances({"accountBalance": balances}, NOW) == ["accountBalance[3]"]
    with pytest.raises(Conflict) as excinfo:
        domain.check_can_close({"accountBalance": balances}, NOW)
    assert excinfo.value.field == "accountBalance[3]"
    domain.check_can_close({"accountBalance": balances[:3]}, NOW)


def test_periods_are_checked_in_every_array() -> None:
    bad = {
        "validFor": {"startDateTime": "2026-02-01T00:00:00Z", "endDateTime": "2026-01-01T00:00:00Z"}
    }
    with pytest.raises(InvalidInput) as excinfo:
        domain.check_periods({"taxExemption": [{"validFor": {}}, bad]})
    assert field_of(excinfo) == "taxExemption[1].validFor.endDateTime"


# --- bill cycles -------------------------------------------------------------------------


def test_cycle_defaults() -> None:
    cycle = domain.normalise_cycle_specification({"name": "x"})
    assert (cycle["frequency"], cycle["billingDateShift"]) == ("monthly", 1)


@given(st.integers(min_value=-1000, max_value=1000))
def test_billing_day_is_a_day_every_month_has(day: int) -> None:
    document = {"name": "x", "billingDateShift": day}
    if 1 <= day <= 28:
        assert domain.normalise_cycle_specification(document)["billingDateShift"] == day
    else:
        with pytest.raises(InvalidInput) as excinfo:
            domain.normalise_cycle_specification(document)
        assert field_of(excinfo) == "billingDateShift"


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"frequency": "daily"}, "frequency"),
        ({"billingDateShift": True}, "billingDateShift"),
        ({"paymentDueDateOffset": -1}, "paymentDueDateOffset"),
        ({"mailingDateOffset": 1.5}, "mailingDateOffset"),
    ],
)
def test_bad_cycle_attributes(document: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        domain.normalise_cycle_specification({"name": "x", **document})
    assert field_of(excinfo) == field


def test_cycle_reference_is_by_id_only() -> None:
    assert domain.cycle_reference({}) is None
    ref = {"billStructure": {"cycleSpecification": {"id": "c1", "name": "n", "isRef": True}}}
    assert domain.cycle_reference(ref) == "c1"
    embedded = {"billStructure": {"cycleSpecification": {"name": "n", "isRef": False}}}
    with pytest.raises(InvalidInput) as excinfo:
        domain.cycle_reference(embedded)
    assert field_of(excinfo) == "billStructure.cycleSpecification.id"


def test_expired_cycle_is_not_usable() -> None:
    domain.check_cycle_usable({"id": "c", "validFor": {"endDateTime": "2026-01-16T00:00:00Z"}}, NOW)
    with pytest.raises(InvalidInput):
        domain.check_cycle_usable(
            {"id": "c", "validFor": {"endDateTime": "2026-01-15T09:30:00Z"}}, NOW
        )


def test_bill_cycle_read_model() -> None:
    document = {
        "id": "c1",
        "name": "Quarterly",
        "frequency": "quarterly",
        "billingDateShift": 5,
        "paymentDueDateOffset": 20,
        "validFor": {"startDateTime": "2026-01-01T00:00:00Z"},
    }
    cycle = domain.bill_cycle(document)
    assert (cycle.months, cycle.billing_day, cycle.payment_due_days) == (3, 5, 20)
    assert cycle.valid_from == datetime(2026, 1, 1, tzinfo=UTC)
    assert cycle.valid_to is None


# --- payment methods ---------------------------------------------------------------------


def method(**attributes: Any) -> dict[str, Any]:
    return payment_methods.normalise_payment_method({"paymentMethod": attributes})["paymentMethod"]


def test_bank_debit_is_compacted() -> None:
    normalised = method(
        **{"@type": "BankAccountDebit", "iban": "gb82 west 1234 5698 7654 32", "bic": "natwgb2l"}
    )
    assert (normalised["iban"], normalised["bic"]) == ("GB82WEST12345698765432", "NATWGB2L")


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({"@type": "BankAccountDebit"}, "paymentMethod.iban"),
        ({"@type": "BankAccountDebit", "iban": "GB00WEST12345698765432"}, "paymentMethod.iban"),
        ({"@type": "BankAccountDebit", "iban": "XX82WEST12345698765432"}, "paymentMethod.iban"),
        (
            {"@type": "BankAccountDebit", "iban": "GB82WEST12345698765432", "bic": "1"},
            "paymentMethod.bic",
        ),
        ({"@type": "Cheque"}, "paymentMethod.@type"),
        ({}, "paymentMethod.@type"),
        ({"@type": "BankCard", "lastFourDigits": "12345"}, "paymentMethod.lastFourDigits"),
        ({"@type": "BankCard", "cvv": "123"}, "paymentMethod.cvv"),
        ({"@type": "Cash", "cardNumber": "1234"}, "paymentMethod.cardNumber"),
    ],
)
def test_bad_payment_methods_name_the_field(attributes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        method(**attributes)
    assert field_of(excinfo) == field


def test_payment_method_must_be_an_object() -> None:
    with pytest.raises(InvalidInput):
        payment_methods.normalise_payment_method({"paymentMethod": "cash"})
    assert payment_methods.normalise_payment_method({}) == {}


@given(st.text(alphabet="0123456789", min_size=12, max_size=18), st.sampled_from(["", " ", "-"]))
def test_any_valid_card_number_in_a_card_is_refused(prefix: str, separator: str) -> None:
    pan = prefix + luhn.calc_check_digit(prefix)
    grouped = separator.join(pan[i : i + 4] for i in range(0, len(pan), 4))
    with pytest.raises(InvalidInput) as excinfo:
        method(**{"@type": "BankCard", "token": f"card {grouped}"})
    assert field_of(excinfo) == "paymentMethod.token"


def test_card_token_and_last_digits_are_kept() -> None:
    card = {"@type": "BankCard", "token": "tok_1Nq2", "brand": "Visa", "lastFourDigits": "4242"}
    assert method(**card) == card


@pytest.mark.parametrize(
    ("instant", "day", "months", "start", "end"),
    [
        ("2026-01-15T09:30:00Z", 1, 1, "2026-01-01", "2026-02-01"),
        ("2026-01-01T00:00:00Z", 1, 1, "2026-01-01", "2026-02-01"),  # half-open: starts here
        ("2026-01-31T23:59:59Z", 1, 1, "2026-01-01", "2026-02-01"),
        ("2026-01-14T23:59:59Z", 15, 1, "2025-12-15", "2026-01-15"),  # across the year
        ("2026-01-15T00:00:00Z", 15, 1, "2026-01-15", "2026-02-15"),
        ("2026-05-20T00:00:00Z", 1, 3, "2026-04-01", "2026-07-01"),  # quarterly from January
        ("2026-01-03T00:00:00Z", 5, 3, "2025-10-05", "2026-01-05"),
    ],
)
def test_the_billing_period_containing_an_instant(
    instant: str, day: int, months: int, start: str, end: str
) -> None:
    period = billing_period(parse_datetime(instant), billing_day=day, months=months)
    assert period == Period(
        parse_datetime(f"{start}T00:00:00Z"), parse_datetime(f"{end}T00:00:00Z")
    )
