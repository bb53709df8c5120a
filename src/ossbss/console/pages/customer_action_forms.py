"""The customer actions' forms as data: what a form holds → the TMF bodies the API takes, and
a rule's error → the form field to mark. Pure (no session): the rooms' own rules decide, in
``tmf.create_resource`` or their services, exactly as for an API client."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ossbss.kernel import minor_unit_exponent
from ossbss.kernel.errors import DomainError, InvalidInput
from ossbss.kernel.time import format_datetime

Body = dict[str, Any]
CURRENCY = "EUR"  # the operator's currency for new accounts (the demo's, and the only one sold)
CHAR_PREFIX = "char."

# -- onboarding -------------------------------------------------------------------------------

ONBOARD_FIELDS = (
    "givenName",
    "familyName",
    "email",
    "phone",
    "street",
    "postCode",
    "city",
    "country",
    "cycle",
)
# Which form field a rule's error points at (its TMF field path contains the key).
ONBOARD_ERROR_FIELDS = (
    ("emailAddress", "email"),
    ("phoneNumber", "phone"),
    ("street1", "street"),
    ("postCode", "postCode"),
    ("city", "city"),
    ("country", "country"),
    ("cycleSpecification", "cycle"),
    ("givenName", "givenName"),
    ("familyName", "familyName"),
)


def require(values: Mapping[str, str], names: Sequence[str], labels: Mapping[str, str]) -> None:
    """Every field in ``names`` filled in, or InvalidInput naming the first empty one."""
    for name in names:
        if not values.get(name):
            raise InvalidInput(f"{labels.get(name, name)} is required", field=name)


def individual_body(values: Mapping[str, str]) -> Body:
    """The TMF632 individual a new customer is, with the contacts the form took."""
    given, family = values["givenName"], values["familyName"]
    return {
        "givenName": given,
        "familyName": family,
        "formattedName": f"{given} {family}",
        "status": "validated",
        "contactMedium": [
            {
                "mediumType": "email",
                "preferred": True,
                "characteristic": {"emailAddress": values["email"]},
            },
            {
                "mediumType": "phone",
                "preferred": False,
                "characteristic": {"phoneNumber": values["phone"], "contactType": "mobile"},
            },
            {
                "mediumType": "postalAddress",
                "preferred": False,
                "characteristic": {
                    "street1": values["street"],
                    "postCode": values["postCode"],
                    "city": values["city"],
                    "country": values["country"],
                    "contactType": "home",
                },
            },
        ],
    }


def party_ref(party_id: str, name: str) -> Body:
    return {"id": party_id, "name": name, "@referredType": "Individual"}


def billing_account_body(name: str, owner: Body, cycle: Mapping[str, Any]) -> Body:
    """The TMF666 billing account of a new residential customer, owned by the individual."""
    return {
        "name": f"{name} (home)",
        "accountType": "residential",
        "state": "Active",
        "currency": CURRENCY,
        "billStructure": {
            "cycleSpecification": {"id": cycle["id"], "name": cycle.get("name"), "isRef": True}
        },
        "relatedParty": [{**owner, "role": "owner"}],
    }


def customer_body(name: str, owner: Body, account: Body, now: datetime) -> Body:
    """The TMF629 customer engaging the individual and listing the account (as the demo's)."""
    return {
        "name": name,
        "status": "Active",
        "validFor": {"startDateTime": format_datetime(now)},
        "characteristic": [{"name": "segment", "valueType": "string", "value": "Residential"}],
        "engagedParty": owner,
        "account": [
            {"id": account["id"], "name": account["name"], "@referredType": "BillingAccount"}
        ],
    }


def error_field(error: DomainError, pairs: Sequence[tuple[str, str]]) -> str | None:
    """The form field an error is about: the first pair whose key is in the error's field."""
    where = error.field or ""
    return next((form for key, form in pairs if key in where), None)


# -- the guided order -------------------------------------------------------------------------


@dataclass(frozen=True)
class CharacteristicField:
    """One characteristic as a form field: a select when the specification (or the offering)
    lists values, otherwise a number or text input with its range."""

    name: str
    label: str
    options: tuple[str, ...]
    default: str | None
    required: bool
    numeric: bool
    minimum: str | None = None
    maximum: str | None = None

    @property
    def input_name(self) -> str:
        return CHAR_PREFIX + self.name


def characteristic_fields(
    specification: Mapping[str, Any], offering: Mapping[str, Any]
) -> list[CharacteristicField]:
    """The form fields of an offering's characteristics: the specification's definitions with
    the values the offering sells (its prodSpecCharValueUse) and their defaults."""
    uses = {
        str(use.get("name")): use
        for use in offering.get("prodSpecCharValueUse") or []
        if isinstance(use, Mapping)
    }
    fields = []
    for definition in specification.get("productSpecCharacteristic") or []:
        if not isinstance(definition, Mapping) or not definition.get("name"):
            continue
        name = str(definition["name"])
        values = _values(definition)
        use = uses.get(name)
        sold = _values(use) if use else []
        options = [text for text, _ in values]
        if sold:
            sold_texts = [text for text, _ in sold]
            options = [o for o in options if o in sold_texts] or sold_texts
        default = _default(sold, values, options)
        ranges = [
            v
            for v in definition.get("productSpecCharacteristicValue") or []
            if "valueFrom" in v or "valueTo" in v
        ]
        value_type = str(definition.get("valueType") or "").lower()
        fields.append(
            CharacteristicField(
                name=name,
                label=str(definition.get("description") or _label(name)),
                options=tuple(options),
                default=default,
                required=int(definition.get("minCardinality") or 0) > 0 and default is None,
                numeric=value_type in {"number", "integer", "float", "decimal"},
                minimum=_text(ranges[0].get("valueFrom")) if ranges else None,
                maximum=_text(ranges[0].get("valueTo")) if ranges else None,
            )
        )
    return fields


def _default(
    sold: list[tuple[str, bool]], values: list[tuple[str, bool]], options: list[str]
) -> str | None:
    """The offering's default, else the specification's — if the offering sells it — else
    the only value there is."""
    for text, is_default in [*sold, *values]:
        if is_default and (not options or text in options):
            return text
    return options[0] if len(options) == 1 else None


def _values(definition: Mapping[str, Any]) -> list[tuple[str, bool]]:
    return [
        (_text(v["value"]) or "", bool(v.get("isDefault")))
        for v in definition.get("productSpecCharacteristicValue") or []
        if isinstance(v, Mapping) and "value" in v
    ]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _label(name: str) -> str:
    """downloadSpeed -> Download speed."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
    return words[:1].upper() + words[1:]


def chosen_characteristics(
    fields: Sequence[CharacteristicField], values: Mapping[str, str]
) -> list[Body]:
    """The characteristics typed or picked (empty ones left to the defaults). A number field
    holds a number within its range (the browser checks it too, but a form can be forged); the
    values themselves are the ordering rules' to judge."""
    chosen = []
    for field in fields:
        raw = values.get(field.input_name, "")
        if not raw:
            continue
        if field.numeric and not field.options:
            _check_number(field, raw)
        chosen.append({"name": field.name, "value": raw})
    return chosen


def _check_number(field: CharacteristicField, raw: str) -> None:
    try:
        number = Decimal(raw)
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite():
        raise InvalidInput(f"{field.label} must be a number", field=field.input_name, detail=raw)
    if field.minimum is not None and number < Decimal(field.minimum):
        raise InvalidInput(
            f"{field.label} is below {field.minimum}", field=field.input_name, detail=raw
        )
    if field.maximum is not None and number > Decimal(field.maximum):
        raise InvalidInput(
            f"{field.label} is above {field.maximum}", field=field.input_name, detail=raw
        )


def order_body(
    *,
    customer_id: str,
    account_id: str,
    offering_id: str,
    characteristics: list[Body],
    author: str,
) -> Body:
    """The TMF622 order for one new product, as an API client would place it."""
    return {
        "description": "New order from the console",
        "category": "console",
        "note": [{"author": author, "text": "Placed from the console's guided order form"}],
        "relatedParty": [{"id": customer_id, "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": account_id, "@referredType": "BillingAccount"},
        "productOrderItem": [
            {
                "id": "1",
                "action": "add",
                "productOffering": {"id": offering_id},
                "product": {"productCharacteristic": characteristics},
            }
        ],
    }


def characteristic_error_field(
    error: DomainError, fields: Sequence[CharacteristicField]
) -> str | None:
    """The characteristic an ordering rule refused: its field path ends in
    productCharacteristic and its detail starts with the name ("downloadSpeed=500 is not ...")."""
    if error.field and error.field.startswith(CHAR_PREFIX):
        return error.field
    if "productCharacteristic" not in (error.field or ""):
        return "offering" if "productOffering" in (error.field or "") else None
    detail = error.detail or ""
    for field in fields:
        if re.match(rf"{re.escape(field.name)}\b", detail):
            return field.input_name
    return None


# -- suspend / resume -------------------------------------------------------------------------

# A product's status each action applies to, and the status the order asks for.
STATUS_CHANGES = {"suspend": ("active", "suspended"), "resume": ("suspended", "active")}


def status_order_body(
    *, action: str, customer_id: str, account_id: str, product_id: str, author: str, reason: str
) -> Body:
    """A modify order moving the product to suspended or back to active (as dunning's)."""
    text = f"{action.capitalize()} at the customer's request" + (f": {reason}" if reason else "")
    return {
        "description": text,
        "category": "console",
        "note": [{"author": author, "text": text}],
        "relatedParty": [{"id": customer_id, "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": account_id, "@referredType": "BillingAccount"},
        "productOrderItem": [
            {
                "id": "1",
                "action": "modify",
                "product": {"id": product_id, "status": STATUS_CHANGES[action][1]},
            }
        ],
    }


# -- money ------------------------------------------------------------------------------------

AMOUNT = re.compile(r"^\d{1,12}(?:\.(\d+))?$")


def minor_units(text: str, currency: str, *, field: str = "amount") -> int:
    """A positive amount typed in major units ("12.50") as exact minor units (1250). No
    rounding: more decimals than the currency has is a mistake to show, not to guess."""
    cleaned = text.replace(",", ".").replace(" ", "")
    match = AMOUNT.match(cleaned)
    if not match:
        raise InvalidInput(
            "Invalid amount", field=field, detail=f"{text!r}: a number such as 12.50"
        )
    exponent = minor_unit_exponent(currency)
    if len(match.group(1) or "") > exponent:
        raise InvalidInput(
            "Invalid amount", field=field, detail=f"{currency} has {exponent} decimals"
        )
    minor = int(Decimal(cleaned).scaleb(exponent))
    if minor <= 0:
        raise InvalidInput("Invalid amount", field=field, detail="must be more than zero")
    return minor


# -- tickets ----------------------------------------------------------------------------------

SEVERITIES = ("critical", "major", "minor", "warning")
PRIORITIES = ("P1", "P2", "P3", "P4")
TICKET_TYPES = ("troubleTicket", "complaint", "serviceRequest", "billingQuery")


def ticket_body(values: Mapping[str, str], *, customer_id: str, customer_name: str) -> Body:
    """The TMF621 trouble ticket a CSR opens for the customer (the priority from the severity
    unless chosen)."""
    if values.get("severity") not in SEVERITIES:
        raise InvalidInput("Choose a severity", field="severity", detail=", ".join(SEVERITIES))
    if values.get("ticketType") not in TICKET_TYPES:
        raise InvalidInput("Choose a type", field="ticketType", detail=", ".join(TICKET_TYPES))
    if values.get("priority") and values["priority"] not in PRIORITIES:
        raise InvalidInput("Invalid priority", field="priority", detail=", ".join(PRIORITIES))
    if not values.get("description"):
        raise InvalidInput("Describe the problem", field="description")
    body: Body = {
        "description": values["description"],
        "severity": values["severity"],
        "ticketType": values["ticketType"],
        "relatedParty": [
            {
                "id": customer_id,
                "name": customer_name,
                "role": "customer",
                "@referredType": "Customer",
            }
        ],
    }
    if values.get("name"):
        body["name"] = values["name"]
    if values.get("priority"):
        body["priority"] = values["priority"]
    if values.get("product"):
        body["relatedEntity"] = [
            {"id": values["product"], "role": "affectedProduct", "@referredType": "Product"}
        ]
    return body
