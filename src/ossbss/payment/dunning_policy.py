"""The dunning policy, pure: parsed and checked from TOML; which class an account is in;
which steps are due for a number of days overdue. No session, no clock."""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, cast

from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.money import Money

StepAction = Literal["reminder", "suspend", "terminate"]
ACTIONS: frozenset[str] = frozenset({"reminder", "suspend", "terminate"})
# Steps that act on the account's products (through ordering); a reminder only notifies.
PRODUCT_ACTIONS: frozenset[str] = frozenset({"suspend", "terminate"})
PLACEHOLDERS = frozenset({"account", "bill", "days", "amount", "step"})
# The extension characteristic of a billingAccount that names its dunning class outright.
CLASS_CHARACTERISTIC = "dunningClass"
DEFAULT_POLICY = "dunning_policy.toml"


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    after_days: int
    action: StepAction
    channel: str
    message: str

    def notice(self, *, account: str, bill: str, days: int, amount: str) -> str:
        """The step's message with the case's facts filled in."""
        return self.message.format(
            account=account, bill=bill, days=days, amount=amount, step=self.name
        )


@dataclass(frozen=True, slots=True)
class AccountClass:
    name: str
    account_types: tuple[str, ...] = ()
    minimum_overdue: Decimal = Decimal(0)
    exempt: bool = False
    steps: tuple[Step, ...] = ()  # in order of after_days

    def minimum_minor(self, currency: str) -> int:
        """The smallest overdue amount acted on, in minor units of ``currency``."""
        return Money.from_decimal(self.minimum_overdue, currency).minor


@dataclass(frozen=True, slots=True)
class DunningPolicy:
    classes: Mapping[str, AccountClass]
    default_class: str

    def class_for(self, billing_account: Mapping[str, Any]) -> AccountClass:
        """The class of a TMF666 billingAccount: its dunningClass characteristic, else its
        accountType as some class lists it, else the default class."""
        named = _characteristic(billing_account, CLASS_CHARACTERISTIC)
        if named is not None and named in self.classes:
            return self.classes[named]
        account_type = str(billing_account.get("accountType") or "").strip().lower()
        if account_type:
            for account_class in self.classes.values():
                if account_type in account_class.account_types:
                    return account_class
        return self.classes[self.default_class]


def _characteristic(document: Mapping[str, Any], name: str) -> str | None:
    for item in document.get("characteristic") or []:
        if isinstance(item, Mapping) and item.get("name") == name:
            return str(item.get("value"))
    return None


def steps_due(
    account_class: AccountClass, *, days_overdue: int, taken: Sequence[str]
) -> tuple[Step, ...]:
    """The steps reached after ``days_overdue`` days that were not taken yet in this episode,
    oldest first. Only steps later than the last one taken count: a step is never taken
    twice, and never after a later one (a policy edited mid-episode does not go back)."""
    if account_class.exempt:
        return ()
    names = [step.name for step in account_class.steps]
    last = max((names.index(name) for name in taken if name in names), default=-1)
    return tuple(
        step
        for index, step in enumerate(account_class.steps)
        if index > last and step.after_days <= days_overdue
    )


def load_policy(path: Path | None = None) -> DunningPolicy:
    """The policy at ``path``, or the default one shipped with ossbss."""
    if path is None:
        text = resources.files("ossbss.payment").joinpath(DEFAULT_POLICY).read_text("utf-8")
        return parse_policy(text, source=DEFAULT_POLICY)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InvalidInput(
            "Unreadable dunning policy", field="dunningPolicy", detail=f"{path}: {exc.strerror}"
        ) from None
    return parse_policy(text, source=str(path))


def parse_policy(text: str, *, source: str = "policy") -> DunningPolicy:
    """Parse and check a policy; every mistake is an InvalidInput naming where it is."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _error(source, "", f"not valid TOML: {exc}") from None
    _only(raw, {"default_class", "classes"}, source, "")
    classes_raw = raw.get("classes")
    if not isinstance(classes_raw, dict) or not classes_raw:
        raise _error(source, "classes", "at least one [classes.<name>] table")
    classes = {
        name: _account_class(name, body, source, f"classes.{name}")
        for name, body in classes_raw.items()
    }
    default = raw.get("default_class")
    if not isinstance(default, str) or default not in classes:
        raise _error(
            source,
            "default_class",
            f"names one of the classes ({', '.join(sorted(classes))}), got {default!r}",
        )
    _check_types_unique(classes, source)
    return DunningPolicy(classes=classes, default_class=default)


def _account_class(name: str, body: Any, source: str, where: str) -> AccountClass:
    if not isinstance(body, dict):
        raise _error(source, where, "a table")
    _only(body, {"account_types", "minimum_overdue", "exempt", "steps"}, source, where)
    types = body.get("account_types", [])
    if not isinstance(types, list) or not all(isinstance(t, str) and t.strip() for t in types):
        raise _error(source, f"{where}.account_types", "a list of accountType names")
    exempt = body.get("exempt", False)
    if not isinstance(exempt, bool):
        raise _error(source, f"{where}.exempt", "true or false")
    steps_raw = body.get("steps", [])
    if not isinstance(steps_raw, list):
        raise _error(source, f"{where}.steps", "an array of [[steps]] tables")
    if not steps_raw and not exempt:
        raise _error(source, f"{where}.steps", "at least one step (or exempt = true)")
    steps = tuple(
        _step(step, source, f"{where}.steps[{index}]") for index, step in enumerate(steps_raw)
    )
    _check_order(steps, source, where)
    return AccountClass(
        name=name,
        account_types=tuple(t.strip().lower() for t in types),
        minimum_overdue=_amount(body.get("minimum_overdue", "0"), source, where),
        exempt=exempt,
        steps=steps,
    )


def _step(body: Any, source: str, where: str) -> Step:
    if not isinstance(body, dict):
        raise _error(source, where, "a table")
    _only(body, {"name", "after_days", "action", "channel", "message"}, source, where)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _error(source, f"{where}.name", "a non-empty name")
    days = body.get("after_days")
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise _error(source, f"{where}.after_days", f"a whole number of days >= 0, got {days!r}")
    action = body.get("action")
    if action not in ACTIONS:
        raise _error(
            source, f"{where}.action", f"one of {', '.join(sorted(ACTIONS))}, got {action!r}"
        )
    channel = body.get("channel", "email")
    message = body.get("message", "")
    if not isinstance(channel, str) or not channel.strip():
        raise _error(source, f"{where}.channel", "a channel name (email, sms, letter...)")
    if not isinstance(message, str):
        raise _error(source, f"{where}.message", "a text")
    _check_placeholders(message, source, f"{where}.message")
    return Step(
        name=name.strip(),
        after_days=days,
        action=cast(StepAction, action),
        channel=channel.strip(),
        message=message,
    )


def _check_order(steps: tuple[Step, ...], source: str, where: str) -> None:
    names = [step.name for step in steps]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise _error(source, f"{where}.steps", f"step names are unique: {', '.join(duplicates)}")
    for before, after in pairwise(steps):
        if after.after_days < before.after_days:
            raise _error(
                source,
                f"{where}.steps",
                f"in order of after_days: {after.name} (D+{after.after_days}) comes after "
                f"{before.name} (D+{before.after_days})",
            )
    terminated = next((s for s in steps if s.action == "terminate"), None)
    if terminated is not None and steps[-1] is not terminated:
        raise _error(source, f"{where}.steps", f"nothing can follow {terminated.name} (terminate)")


def _check_placeholders(message: str, source: str, where: str) -> None:
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(message) if field]
    except ValueError as exc:
        raise _error(source, where, f"bad braces: {exc}") from None
    unknown = sorted(set(fields) - PLACEHOLDERS)
    if unknown:
        raise _error(
            source,
            where,
            f"unknown placeholder {', '.join(unknown)}; use {', '.join(sorted(PLACEHOLDERS))}",
        )


def _check_types_unique(classes: Mapping[str, AccountClass], source: str) -> None:
    seen: dict[str, str] = {}
    for account_class in classes.values():
        for account_type in account_class.account_types:
            if account_type in seen:
                raise _error(
                    source,
                    f"classes.{account_class.name}.account_types",
                    f"{account_type} is already in class {seen[account_type]}",
                )
            seen[account_type] = account_class.name


def _amount(value: Any, source: str, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _error(source, f"{where}.minimum_overdue", 'an amount as text, e.g. "5.00"')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise _error(source, f"{where}.minimum_overdue", f"not an amount: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise _error(source, f"{where}.minimum_overdue", f"an amount >= 0, got {value!r}")
    return amount


def _only(body: Mapping[str, Any], allowed: set[str], source: str, where: str) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        place = f"{where}." if where else ""
        raise _error(
            source,
            f"{place}{unknown[0]}",
            f"unknown key; expected {', '.join(sorted(allowed))}",
        )


def _error(source: str, where: str, detail: str) -> InvalidInput:
    return InvalidInput(
        "Invalid dunning policy",
        field=where or "dunningPolicy",
        detail=f"{source}: {where + ': ' if where else ''}{detail}",
    )
