"""The demo operator's catalog and bill cycles, as pure data (no database, no clock).

Northwind Telecom is a small ISP + MVNO selling in euros: two fibre tiers, an installation fee,
three mobile plans with out-of-bundle usage prices, add-ons and a converged bundle. Entities
refer to each other through placeholders (``ref("fibre-1000")``) that the loader replaces with
the ids the rooms assign; everything else is identical on every run.

Amounts are written as decimal strings and go onto the wire as JSON numbers through
``money``, which refuses any amount a JSON number would not carry exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

CURRENCY = "EUR"
LAUNCH = "2025-01-01T00:00:00Z"
PRICE_CHANGE = "2026-01-01T00:00:00Z"
PLACEHOLDER = "@demo:"

EntityKind = Literal[
    "category",
    "catalog",
    "productSpecification",
    "productOfferingPrice",
    "productOffering",
    "billingCycleSpecification",
]
Payload = dict[str, Any]


@dataclass(frozen=True)
class Entry:
    """One entity to create, in load order (an entry only refers to entries before it).

    ``retire``: created ``Launched``, then moved to ``Retired`` (a superseded price)."""

    kind: EntityKind
    key: str
    payload: Payload
    retire: bool = False

    @property
    def name(self) -> str:
        return str(self.payload["name"])


def json_number(amount: str) -> int | float:
    """A decimal string as the JSON number TMF Money carries; exact or refused."""
    value = Decimal(amount)
    number: int | float = int(value) if value == value.to_integral_value() else float(value)
    if Decimal(str(number)) != value:
        raise ValueError(f"{amount} is not exact as a JSON number")
    return number


def money(amount: str) -> Payload:
    """TMF620/TMF666 ``Money`` in the operator's currency."""
    return {"unit": CURRENCY, "value": json_number(amount)}


def ref(key: str, name: str, **extra: Any) -> Payload:
    """A reference to an earlier entry, resolved by the loader."""
    return {"id": PLACEHOLDER + key, "name": name, **extra}


def _since(start: str = LAUNCH, end: str | None = None) -> Payload:
    period = {"startDateTime": start}
    if end is not None:
        period["endDateTime"] = end
    return period


def _launched(**payload: Any) -> Payload:
    return {"lifecycleStatus": "Launched", "validFor": _since(), **payload}


def _char(
    name: str, value_type: str, values: list[Any], unit: str | None = None, *, default: Any = None
) -> Payload:
    """A productSpecCharacteristic with its allowed values."""
    allowed = []
    for value in values:
        item: Payload = {"valueType": value_type, "value": value, "isDefault": value == default}
        if unit is not None:
            item["unitOfMeasure"] = unit
        allowed.append(item)
    return {
        "name": name,
        "valueType": value_type,
        "configurable": len(values) > 1,
        "minCardinality": 1,
        "maxCardinality": 1,
        "productSpecCharacteristicValue": allowed,
    }


def _use(spec: Entry, name: str, value_type: str, *values: Any) -> Payload:
    """A prodSpecCharValueUse: the values of ``spec``'s characteristic this offering sells."""
    return {
        "name": name,
        "valueType": value_type,
        "productSpecCharacteristicValue": [
            {"valueType": value_type, "value": value, "isDefault": index == 0}
            for index, value in enumerate(values)
        ],
        "productSpecification": ref(spec.key, spec.name),
    }


def _ref_to(entry: Entry) -> Payload:
    return ref(entry.key, entry.name)


# --- Categories and the catalog ------------------------------------------------------------

_CATEGORIES = [
    Entry("category", "cat-fibre", _launched(name="Fibre broadband", description="FTTH at home")),
    Entry("category", "cat-mobile", _launched(name="Mobile", description="SIM-only plans, 4G/5G")),
    Entry("category", "cat-addons", _launched(name="Add-ons", description="Options on a plan")),
    Entry("category", "cat-bundles", _launched(name="Bundles", description="Fibre + mobile")),
]
_CATALOG = Entry(
    "catalog",
    "catalog",
    _launched(
        name="Northwind consumer",
        description="Northwind Telecom's residential and small-business offer",
        catalogType="productCatalog",
        version="2026.1",
        category=[_ref_to(category) for category in _CATEGORIES],
    ),
)
CAT_FIBRE, CAT_MOBILE, CAT_ADDONS, CAT_BUNDLES = _CATEGORIES


# --- Product specifications ----------------------------------------------------------------


def _spec(key: str, name: str, number: str, description: str, **payload: Any) -> Entry:
    return Entry(
        "productSpecification",
        key,
        _launched(
            name=name, brand="Northwind", productNumber=number, description=description, **payload
        ),
    )


def _rate(name: str, characteristic: str) -> Payload:
    """A rate in kbit/s from a speed characteristic in Mbit/s."""
    return {"name": name, "characteristic": characteristic, "multiplier": 1000}


SPEC_FIBRE = _spec(
    "spec-fibre",
    "Fibre broadband access",
    "NW-FTTH",
    "Fibre to the home with a Wi-Fi 6 router",
    productSpecCharacteristic=[
        _char("downloadSpeed", "number", [300, 1000], "Mbit/s", default=300),
        _char("uploadSpeed", "number", [150, 500], "Mbit/s", default=150),
        _char("accessTechnology", "string", ["FTTH GPON", "FTTH XGS-PON"], default="FTTH GPON"),
        _char("router", "string", ["Wi-Fi 6 router"], default="Wi-Fi 6 router"),
        {
            "name": "accessPort",
            "valueType": "string",
            "description": "TMF639 id of the access port the customer's line is on",
            "configurable": True,
            "minCardinality": 1,
            "maxCardinality": 1,
        },
    ],
    serviceSpecification=[
        {
            "id": "cfs-internet-access",
            "name": "Internet access",
            "@referredType": "CustomerFacingServiceSpecification",
            "resourceFacingService": [
                {
                    "name": "radius-subscriber",
                    "driver": "radius",
                    "parameter": [
                        {"name": "username", "generate": "username"},
                        {"name": "password", "generate": "password"},
                        {"name": "ipv4Address", "allocate": "ipv4", "pool": "Residential IPv4"},
                        _rate("rateDownKbps", "downloadSpeed"),
                        _rate("rateUpKbps", "uploadSpeed"),
                    ],
                },
                {
                    "name": "access-vlan",
                    "driver": "netconf",
                    "parameter": [
                        {"name": "port", "characteristic": "accessPort"},
                        {"name": "vlan", "allocate": "vlan", "perDevice": True},
                        {"name": "description", "value": "Northwind FTTH"},
                        _rate("rateDownKbps", "downloadSpeed"),
                        _rate("rateUpKbps", "uploadSpeed"),
                    ],
                },
            ],
        }
    ],
)
SPEC_INSTALLATION = _spec(
    "spec-installation",
    "Fibre installation",
    "NW-FTTH-INST",
    "Technician visit: optical outlet, ONT and router set up",
    productSpecCharacteristic=[
        _char("installationType", "string", ["Standard", "Self-install"], default="Standard"),
    ],
)
SPEC_MOBILE = _spec(
    "spec-mobile",
    "Mobile plan",
    "NW-MOB",
    "SIM-only mobile plan on a 4G/5G host network, EU roaming included",
    productSpecCharacteristic=[
        _char("dataAllowance", "number", [5, 20, 200], "GB", default=5),
        _char("voiceMinutes", "number", [100, 500, 3000], "min", default=100),
        _char("simType", "string", ["eSIM", "physical SIM"], default="physical SIM"),
        _char("networkTechnology", "string", ["4G", "5G"], default="5G"),
        _char("euRoaming", "boolean", [True], default=True),
    ],
    serviceSpecification=[
        {
            "id": "cfs-mobile",
            "name": "Mobile subscription",
            "@referredType": "CustomerFacingServiceSpecification",
            "resourceFacingService": [
                {
                    # The MVNO's data sessions authenticate on our AAA by MSISDN.
                    "name": "radius-subscriber",
                    "driver": "radius",
                    "parameter": [
                        {"name": "msisdn", "allocate": "msisdn"},
                        {"name": "iccid", "allocate": "iccid"},
                        {"name": "username", "copy": "msisdn"},
                        {"name": "password", "generate": "password"},
                        {"name": "ipv4Address", "allocate": "ipv4", "pool": "Mobile IPv4"},
                        {"name": "dataAllowanceGb", "characteristic": "dataAllowance"},
                        {"name": "rateDownKbps", "value": "150000"},
                        {"name": "rateUpKbps", "value": "50000"},
                    ],
                }
            ],
        }
    ],
)
SPEC_STATIC_IP = _spec(
    "spec-static-ip",
    "Static IPv4 address",
    "NW-IP4",
    "One fixed public IPv4 address on a fibre line",
    productSpecCharacteristic=[_char("ipVersion", "string", ["IPv4"], default="IPv4")],
)
SPEC_DATA_BOOST = _spec(
    "spec-data-boost",
    "Extra mobile data",
    "NW-DATA",
    "Extra data for the current billing period",
    productSpecCharacteristic=[_char("dataAmount", "number", [10], "GB", default=10)],
)
SPEC_INTERNATIONAL = _spec(
    "spec-international",
    "International calls",
    "NW-INTL",
    "Calls from home country to the EU, the UK, the US and Canada",
    productSpecCharacteristic=[
        _char("destinationZone", "string", ["EU + UK + US/CA"], default="EU + UK + US/CA"),
        _char("includedMinutes", "number", [60], "min", default=60),
    ],
)
SPEC_BUNDLE = _spec(
    "spec-bundle",
    "Fibre + mobile bundle",
    "NW-BUNDLE",
    "One fibre line and one mobile plan on one bill",
    isBundle=True,
    bundledProductSpecification=[_ref_to(SPEC_FIBRE), _ref_to(SPEC_MOBILE)],
)
_SPECS = [
    SPEC_FIBRE,
    SPEC_INSTALLATION,
    SPEC_MOBILE,
    SPEC_STATIC_IP,
    SPEC_DATA_BOOST,
    SPEC_INTERNATIONAL,
    SPEC_BUNDLE,
]


# --- Prices --------------------------------------------------------------------------------


def _recurring(key: str, name: str, amount: str, **extra: Any) -> Entry:
    payload = _launched(
        name=name,
        priceType="recurring",
        recurringChargePeriodType="month",
        recurringChargePeriodLength=1,
        price=money(amount),
        **extra,
    )
    return Entry("productOfferingPrice", key, payload)


def _one_time(key: str, name: str, amount: str) -> Entry:
    return Entry(
        "productOfferingPrice", key, _launched(name=name, priceType="oneTime", price=money(amount))
    )


def _data_usage(
    key: str, plan: str, included_gb: int, fair_usage: dict[str, Any] | None = None
) -> Entry:
    """Out-of-bundle data per MB, graduated: about 2 EUR/GB for the first 10 GB, 1 EUR/GB after;
    up to 5 GB of unused allowance rolls over into the next month."""
    return Entry(
        "productOfferingPrice",
        key,
        _launched(
            name=f"{plan} data beyond {included_gb} GB",
            description="Per MB once the allowance is used",
            priceType="usage",
            unitOfMeasure={"amount": 1, "units": "MB"},
            includedQuantity={"amount": included_gb * 1024, "units": "MB"},
            tier=[
                {"fromQuantity": 0, "toQuantity": 10240, "price": money("0.002")},
                {"fromQuantity": 10240, "price": money("0.001")},
            ],
            billingIncrement={"first": 1024, "next": 1024},  # per started KB
            fairUsage=fair_usage or {"policy": "charge"},
            rollover={"maxQuantity": {"amount": 5 * 1024, "units": "MB"}},
        ),
    )


# Calls are billed per started minute, by the zone of the number called (longest prefix);
# the weekend is off-peak at half price.
VOICE_ZONES = (
    ("UK", ["44"], "0.05"),
    ("UK premium", ["449"], "0.50"),
    ("Europe", ["33", "34", "39", "49", "31", "32", "353"], "0.15"),
    ("North America", ["1"], "0.25"),
    ("Australia", ["61"], "0.49"),
)
WEEKEND = {
    "name": "weekend",
    "weekdays": ["sat", "sun"],
    "startTime": "00:00",
    "endTime": "24:00",
    "percentage": 50,
}


def _voice_usage(key: str, plan: str, included_minutes: int, per_minute: str) -> Entry:
    """``per_minute`` is the UK rate; other zones cost what ``VOICE_ZONES`` says."""
    zones = [
        {"name": name, "prefixes": prefixes, "price": money(per_minute if name == "UK" else rate)}
        for name, prefixes, rate in VOICE_ZONES
    ]
    return Entry(
        "productOfferingPrice",
        key,
        _launched(
            name=f"{plan} calls beyond {included_minutes} min",
            description="Per started minute once the included minutes are used",
            priceType="usage",
            unitOfMeasure={"amount": 1, "units": "min"},
            includedQuantity={"amount": included_minutes, "units": "min"},
            billingIncrement={"first": 60, "next": 60},
            destinationZone=zones,
            timeBand=[WEEKEND],
            timeZone="Europe/London",
        ),
    )


PRICE_FIBRE_300 = _recurring("price-fibre-300", "Fibre 300 monthly fee", "29.99")
# The price change: 44.99 in 2025, 49.99 from 2026-01-01. Both stay listed on the offering
# (subscribers keep the price id they bought); the old one is ended and retired.
PRICE_FIBRE_1000_2025 = replace(
    _recurring(
        "price-fibre-1000-2025",
        "Fibre 1000 monthly fee (2025)",
        "44.99",
        validFor=_since(LAUNCH, PRICE_CHANGE),
    ),
    retire=True,
)
PRICE_FIBRE_1000 = _recurring(
    "price-fibre-1000", "Fibre 1000 monthly fee", "49.99", validFor=_since(PRICE_CHANGE)
)
PRICE_INSTALLATION = _one_time("price-installation", "Fibre installation fee", "49.00")
PRICE_MOBILE_S = _recurring("price-mobile-s", "Mobile S monthly fee", "9.99")
PRICE_MOBILE_S_DATA = _data_usage("price-mobile-s-data", "Mobile S", 5)
PRICE_MOBILE_S_VOICE = _voice_usage("price-mobile-s-voice", "Mobile S", 100, "0.05")
PRICE_MOBILE_M = _recurring("price-mobile-m", "Mobile M monthly fee", "19.99")
PRICE_MOBILE_M_DATA = _data_usage("price-mobile-m-data", "Mobile M", 20)
PRICE_MOBILE_M_VOICE = _voice_usage("price-mobile-m-voice", "Mobile M", 500, "0.05")
PRICE_MOBILE_U = _recurring("price-mobile-u", "Mobile Unlimited monthly fee", "34.99")
# "Unlimited" under a fair-use policy: 200 GB and 3000 minutes a month.
PRICE_MOBILE_U_DATA = _data_usage(
    "price-mobile-u-data",
    "Mobile Unlimited",
    200,
    {"policy": "throttle", "throttleDownKbps": 1024, "throttleUpKbps": 512},
)
PRICE_MOBILE_U_VOICE = _voice_usage("price-mobile-u-voice", "Mobile Unlimited", 3000, "0.05")
PRICE_STATIC_IP = _recurring("price-static-ip", "Static IP monthly fee", "5.00")
PRICE_DATA_BOOST = _one_time("price-data-boost", "Extra 10 GB data", "7.50")
PRICE_INTERNATIONAL = _recurring("price-international", "International calls monthly fee", "4.99")
PRICE_INTERNATIONAL_VOICE = _voice_usage("price-international-voice", "International", 60, "0.09")
PRICE_BUNDLE = _recurring(
    "price-bundle",
    "Fibre 1000 + Mobile M monthly fee",
    "59.99",
    description="Bundle discount: 59.99 instead of 69.98 for the two plans bought separately",
)
_PRICES = [
    PRICE_FIBRE_300,
    PRICE_FIBRE_1000_2025,
    PRICE_FIBRE_1000,
    PRICE_INSTALLATION,
    PRICE_MOBILE_S,
    PRICE_MOBILE_S_DATA,
    PRICE_MOBILE_S_VOICE,
    PRICE_MOBILE_M,
    PRICE_MOBILE_M_DATA,
    PRICE_MOBILE_M_VOICE,
    PRICE_MOBILE_U,
    PRICE_MOBILE_U_DATA,
    PRICE_MOBILE_U_VOICE,
    PRICE_STATIC_IP,
    PRICE_DATA_BOOST,
    PRICE_INTERNATIONAL,
    PRICE_INTERNATIONAL_VOICE,
    PRICE_BUNDLE,
]


# --- Offerings -----------------------------------------------------------------------------


def _offering(
    key: str,
    name: str,
    description: str,
    category: Entry,
    spec: Entry,
    prices: list[Entry],
    *,
    bundled: list[Entry] | None = None,
    **extra: Any,
) -> Entry:
    if bundled:
        extra["bundledProductOffering"] = [_ref_to(offering) for offering in bundled]
    return Entry(
        "productOffering",
        key,
        _launched(
            name=name,
            description=description,
            isBundle=bool(bundled),
            isSellable=True,
            category=[_ref_to(category)],
            productSpecification=_ref_to(spec),
            productOfferingPrice=[_ref_to(price) for price in prices],
            **extra,
        ),
    )


_COMMITMENT = [
    {"name": "12 months", "duration": {"amount": 12, "units": "month"}},
    {"name": "No commitment", "duration": {"amount": 1, "units": "month"}},
]


def _fibre(key: str, name: str, down: int, up: int, technology: str, prices: list[Entry]) -> Entry:
    return _offering(
        key,
        name,
        f"{down} Mbit/s down, {up} Mbit/s up, unlimited data, Wi-Fi 6 router included",
        CAT_FIBRE,
        SPEC_FIBRE,
        prices,
        productOfferingTerm=_COMMITMENT,
        prodSpecCharValueUse=[
            _use(SPEC_FIBRE, "downloadSpeed", "number", down),
            _use(SPEC_FIBRE, "uploadSpeed", "number", up),
            _use(SPEC_FIBRE, "accessTechnology", "string", technology),
        ],
    )


def _mobile(key: str, name: str, data_gb: int, minutes: int, prices: list[Entry]) -> Entry:
    allowance = "unlimited data (fair use 200 GB)" if data_gb == 200 else f"{data_gb} GB"
    return _offering(
        key,
        name,
        f"{allowance}, {minutes} minutes, unlimited SMS, EU roaming",
        CAT_MOBILE,
        SPEC_MOBILE,
        prices,
        productOfferingTerm=[_COMMITMENT[1]],
        prodSpecCharValueUse=[
            _use(SPEC_MOBILE, "dataAllowance", "number", data_gb),
            _use(SPEC_MOBILE, "voiceMinutes", "number", minutes),
            _use(SPEC_MOBILE, "simType", "string", "eSIM", "physical SIM"),
        ],
    )


OFFER_FIBRE_300 = _fibre("fibre-300", "Fibre 300", 300, 150, "FTTH GPON", [PRICE_FIBRE_300])
OFFER_FIBRE_1000 = _fibre(
    "fibre-1000",
    "Fibre 1000",
    1000,
    500,
    "FTTH XGS-PON",
    [PRICE_FIBRE_1000_2025, PRICE_FIBRE_1000],
)
OFFER_INSTALLATION = _offering(
    "fibre-installation",
    "Fibre installation",
    "Technician installation of a new fibre line",
    CAT_FIBRE,
    SPEC_INSTALLATION,
    [PRICE_INSTALLATION],
)
OFFER_MOBILE_S = _mobile(
    "mobile-s", "Mobile S", 5, 100, [PRICE_MOBILE_S, PRICE_MOBILE_S_DATA, PRICE_MOBILE_S_VOICE]
)
OFFER_MOBILE_M = _mobile(
    "mobile-m", "Mobile M", 20, 500, [PRICE_MOBILE_M, PRICE_MOBILE_M_DATA, PRICE_MOBILE_M_VOICE]
)
OFFER_MOBILE_U = _mobile(
    "mobile-unlimited",
    "Mobile Unlimited",
    200,
    3000,
    [PRICE_MOBILE_U, PRICE_MOBILE_U_DATA, PRICE_MOBILE_U_VOICE],
)
OFFER_STATIC_IP = _offering(
    "static-ip",
    "Static IP",
    "A fixed public IPv4 address for a fibre line",
    CAT_ADDONS,
    SPEC_STATIC_IP,
    [PRICE_STATIC_IP],
)
OFFER_DATA_BOOST = _offering(
    "data-boost-10",
    "Extra 10 GB",
    "10 GB more mobile data until the end of the billing period",
    CAT_ADDONS,
    SPEC_DATA_BOOST,
    [PRICE_DATA_BOOST],
)
OFFER_INTERNATIONAL = _offering(
    "international-calls",
    "International calls",
    "60 minutes a month to the EU, the UK, the US and Canada, then 0.09 EUR/min",
    CAT_ADDONS,
    SPEC_INTERNATIONAL,
    [PRICE_INTERNATIONAL, PRICE_INTERNATIONAL_VOICE],
)
OFFER_BUNDLE = _offering(
    "bundle-fibre-1000-mobile-m",
    "Fibre 1000 + Mobile M",
    "Fibre 1000 and Mobile M on one bill, 9.99 EUR a month less than separately",
    CAT_BUNDLES,
    SPEC_BUNDLE,
    [PRICE_BUNDLE],
    bundled=[OFFER_FIBRE_1000, OFFER_MOBILE_M],
    productOfferingTerm=[_COMMITMENT[0]],
)
OFFERINGS = [
    OFFER_FIBRE_300,
    OFFER_FIBRE_1000,
    OFFER_INSTALLATION,
    OFFER_MOBILE_S,
    OFFER_MOBILE_M,
    OFFER_MOBILE_U,
    OFFER_STATIC_IP,
    OFFER_DATA_BOOST,
    OFFER_INTERNATIONAL,
    OFFER_BUNDLE,
]


# --- Bill cycles (account room) ------------------------------------------------------------


def _cycle(key: str, name: str, day: int) -> Entry:
    return Entry(
        "billingCycleSpecification",
        key,
        {
            "name": name,
            "description": f"Monthly billing period starting on day {day}; due 14 days later",
            "frequency": "monthly",
            "billingDateShift": day,
            "paymentDueDateOffset": 14,
            "chargeDateOffset": 0,
            "mailingDateOffset": 1,
            "validFor": _since(),
        },
    )


CYCLE_1ST = _cycle("cycle-1st", "Monthly on the 1st", 1)
CYCLE_15TH = _cycle("cycle-15th", "Monthly on the 15th", 15)
CYCLES = [CYCLE_1ST, CYCLE_15TH]


def catalog_data() -> tuple[Entry, ...]:
    """Every entity of the demo operator's set-up, in an order where references point back."""
    return (*_CATEGORIES, _CATALOG, *_SPECS, *_PRICES, *OFFERINGS, *CYCLES)


def resolve(value: Any, ids: Mapping[str, str]) -> Any:
    """A deep copy of ``value`` with every ``@demo:key`` placeholder replaced by its id."""
    if isinstance(value, dict):
        return {key: resolve(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, ids) for item in value]
    if isinstance(value, str) and value.startswith(PLACEHOLDER):
        return ids[value.removeprefix(PLACEHOLDER)]
    return value
