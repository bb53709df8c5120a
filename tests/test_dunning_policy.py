"""The dunning policy, pure: the shipped default parses; classes by accountType or the
dunningClass characteristic; the steps due for a number of days; every mistake in a policy
is named."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ossbss.kernel.errors import InvalidInput
from ossbss.payment import DunningPolicy, load_policy, parse_policy, steps_due

POLICY = """
default_class = "residential"

[classes.residential]
account_types = ["Residential"]
minimum_overdue = "5.00"

[[classes.residential.steps]]
name = "reminder"
after_days = 7
action = "reminder"
channel = "email"
message = "Bill {bill} is {days} days overdue: {amount}."

[[classes.residential.steps]]
name = "suspension"
after_days = 21
action = "suspend"

[[classes.residential.steps]]
name = "termination"
after_days = 60
action = "terminate"

[classes.prepaid]
account_types = ["prepaid"]
exempt = true
"""


@pytest.fixture
def policy() -> DunningPolicy:
    return parse_policy(POLICY)


def test_the_shipped_policy_parses_and_follows_the_issue() -> None:
    policy = load_policy()
    residential = policy.classes["residential"]
    assert [(s.after_days, s.action) for s in residential.steps] == [
        (7, "reminder"),
        (21, "suspend"),
        (60, "terminate"),
    ]
    assert policy.classes["prepaid"].exempt
    assert residential.minimum_minor("EUR") == 500
    assert residential.minimum_minor("JPY") == 5


def test_a_policy_file_overrides_the_default(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    assert load_policy(path).classes["residential"].minimum_overdue == Decimal("5.00")
    with pytest.raises(InvalidInput, match="Unreadable"):
        load_policy(tmp_path / "missing.toml")


def test_class_by_characteristic_then_account_type_then_default(policy: DunningPolicy) -> None:
    assert policy.class_for({"accountType": "PREPAID"}).name == "prepaid"
    assert policy.class_for({"accountType": "residential"}).name == "residential"
    assert policy.class_for({}).name == "residential"
    assert policy.class_for({"accountType": "unknown"}).name == "residential"
    tagged = {
        "accountType": "residential",
        "characteristic": [{"name": "dunningClass", "value": "prepaid"}],
    }
    assert policy.class_for(tagged).name == "prepaid"


def test_steps_due_by_days_and_steps_taken(policy: DunningPolicy) -> None:
    residential = policy.classes["residential"]

    def due(days: int, *taken: str) -> list[str]:
        return [s.name for s in steps_due(residential, days_overdue=days, taken=taken)]

    assert due(0) == []
    assert due(6) == []
    assert due(7) == ["reminder"]
    assert due(8, "reminder") == []
    assert due(21, "reminder") == ["suspension"]
    assert due(25) == ["reminder", "suspension"]  # a run missed days: catch up in order
    assert due(59, "suspension") == []
    assert due(60, "suspension") == ["termination"]
    assert due(90, "termination") == []
    # A step later than the last one taken never brings an earlier one back.
    assert due(30, "suspension") == []
    assert steps_due(policy.classes["prepaid"], days_overdue=365, taken=()) == ()


def test_a_notice_fills_in_the_facts(policy: DunningPolicy) -> None:
    reminder = policy.classes["residential"].steps[0]
    text = reminder.notice(account="A1", bill="INV-2026-000001", days=7, amount="30.00 EUR")
    assert text == "Bill INV-2026-000001 is 7 days overdue: 30.00 EUR."


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (("after_days = 21", "after_days = -1"), "steps[1].after_days", ">= 0"),
        (("after_days = 21", 'after_days = "21"'), "steps[1].after_days", "whole number"),
        (('action = "suspend"', 'action = "disconnect"'), "steps[1].action", "disconnect"),
        (("after_days = 21", "after_days = 3"), "residential.steps", "in order"),
        (('name = "suspension"', 'name = "reminder"'), "residential.steps", "unique"),
        (('"5.00"', '"five"'), "minimum_overdue", "not an amount"),
        (('"5.00"', '"-1"'), "minimum_overdue", ">= 0"),
        (("{amount}", "{balance}"), "steps[0].message", "unknown placeholder balance"),
        (('default_class = "residential"', 'default_class = "vip"'), "default_class", "vip"),
        (('["prepaid"]', '["residential"]'), "prepaid.account_types", "already in class"),
        (("exempt = true", "exempt = true\nsteep = 1"), "classes.prepaid.steep", "unknown key"),
        (('channel = "email"', "channel = 3"), "steps[0].channel", "channel name"),
        (('minimum_overdue = "5.00"', "[oops"), "", "not valid TOML"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_place(
    change: tuple[str, str], field: str, words: str
) -> None:
    old, new = change
    assert old in POLICY
    with pytest.raises(InvalidInput) as caught:
        parse_policy(POLICY.replace(old, new, 1), source="p.toml")
    assert field in (caught.value.field or "")
    assert words in (caught.value.detail or "")
    assert (caught.value.detail or "").startswith("p.toml")


def test_termination_ends_the_steps_and_a_class_needs_steps() -> None:
    late = POLICY.replace(
        "[classes.prepaid]",
        '[[classes.residential.steps]]\nname = "late"\nafter_days = 90\naction = "reminder"\n\n'
        "[classes.prepaid]",
    )
    with pytest.raises(InvalidInput, match="Invalid dunning policy") as caught:
        parse_policy(late)
    assert "nothing can follow termination" in (caught.value.detail or "")
    with pytest.raises(InvalidInput) as empty:
        parse_policy('default_class = "a"\n[classes.a]\naccount_types = []\n')
    assert "at least one step" in (empty.value.detail or "")
