"""Writing the demo operator through the rooms' public doors (``ossbss.tmf`` and the rooms'
resource constants): same validation and rules as the API, no per-row notifications."""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from ossbss import account, catalog, party, tmf
from ossbss.demo import orders
from ossbss.demo.catalog_data import EntityKind, Entry, catalog_data, resolve
from ossbss.demo.people import CustomerData, Payload, customer_payloads
from ossbss.demo.usage import load_usage

if TYPE_CHECKING:
    from ossbss.bootstrap import Platform

BATCH = 250
RESOURCES: dict[EntityKind, tmf.Resource] = {
    "category": catalog.CATEGORY,
    "catalog": catalog.CATALOG,
    "productSpecification": catalog.PRODUCT_SPECIFICATION,
    "productOfferingPrice": catalog.PRODUCT_OFFERING_PRICE,
    "productOffering": catalog.PRODUCT_OFFERING,
    "billingCycleSpecification": account.BILLING_CYCLE_SPECIFICATION,
}
PARTY_RESOURCES = {"individual": party.INDIVIDUAL, "organization": party.ORGANIZATION}
REFERRED_TYPES = {"individual": "Individual", "organization": "Organization"}


@dataclass(frozen=True)
class LoadReport:
    catalog_entities: int
    offerings: int
    customers: int
    organizations: int
    seconds: float
    orders: int = 0
    usage_records: int = 0
    cycle_ids: tuple[str, ...] = ()


def is_empty(platform: Platform) -> bool:
    """No customers and no product offerings yet."""
    with platform.database.unit_of_work() as session:
        return all(
            tmf.list_resources(session, resource=resource, query=tmf.ListQuery(limit=1)).total == 0
            for resource in (party.CUSTOMER, catalog.PRODUCT_OFFERING)
        )


def load(
    platform: Platform,
    *,
    customers: int = 1000,
    console: Console,
    usage_until: datetime | None = None,
) -> LoadReport:
    """Load Northwind Telecom: its catalog and bill cycles in one transaction, then
    ``customers`` customers (party, billing account, customer) in transactions of ``BATCH``,
    the network and the first orders; with ``usage_until``, the subscribers' usage from their
    activation until then, rated."""
    if customers < 0:
        raise ValueError("customers must be ≥ 0")
    started = time.perf_counter()
    now = platform.clock.now()
    entries = catalog_data()
    with platform.database.unit_of_work() as session:
        ids = load_catalog(session, entries, now)
    console.print(f"demo: Northwind Telecom catalog loaded ({len(entries)} entities)")
    people = customer_payloads(customers)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("demo: customers", total=customers)
        for start in range(0, customers, BATCH):
            batch = people[start : start + BATCH]
            with platform.database.unit_of_work() as session:
                load_customers(session, batch, ids, platform.clock.now())
            progress.advance(task, len(batch))
    network = orders.load_network(platform)
    console.print(f"demo: network loaded ({len(network)} resources)")
    order_states = orders.place_orders(platform, network=network, offerings=ids, console=console)
    usage_report = load_usage(platform, until=usage_until, console=console) if usage_until else None
    report = LoadReport(
        catalog_entities=len(entries),
        offerings=sum(1 for entry in entries if entry.kind == "productOffering"),
        customers=customers,
        organizations=sum(1 for person in people if person.kind == "organization"),
        seconds=time.perf_counter() - started,
        orders=sum(order_states.values()),
        usage_records=usage_report.records if usage_report else 0,
        cycle_ids=tuple(
            ids[entry.key] for entry in entries if entry.kind == "billingCycleSpecification"
        ),
    )
    console.print(
        f"demo: {report.offerings} offerings, {report.customers} customers "
        f"({report.organizations} businesses) with billing accounts in {report.seconds:.1f} s"
    )
    return report


def load_catalog(session: Session, entries: tuple[Entry, ...], now: datetime) -> dict[str, str]:
    """Create the entries in order; return their ids by key."""
    ids: dict[str, str] = {}
    for entry in entries:
        resource = RESOURCES[entry.kind]
        (ids[entry.key],) = tmf.import_resources(
            session, resource=resource, payloads=[resolve(entry.payload, ids)], now=now
        )
    for entry in entries:
        if entry.retire:
            tmf.patch_resource(
                session,
                resource=RESOURCES[entry.kind],
                resource_id=ids[entry.key],
                patch={"lifecycleStatus": "Retired"},
                now=now,
            )
    return ids


def load_customers(
    session: Session, batch: list[CustomerData], ids: Mapping[str, str], now: datetime
) -> None:
    """Parties, then their billing accounts (owned by the party), then the customers that
    engage the party and list the account."""
    party_ids: list[str] = [""] * len(batch)
    for kind, resource in PARTY_RESOURCES.items():
        positions = [i for i, person in enumerate(batch) if person.kind == kind]
        created = tmf.import_resources(
            session,
            resource=resource,
            payloads=[copy.deepcopy(batch[i].party) for i in positions],
            now=now,
        )
        for position, party_id in zip(positions, created, strict=True):
            party_ids[position] = party_id
    refs = [_party_ref(person, party_id) for person, party_id in zip(batch, party_ids, strict=True)]
    account_ids = tmf.import_resources(
        session,
        resource=account.BILLING_ACCOUNT,
        payloads=[
            {**resolve(person.billing_account, ids), "relatedParty": [{**ref, "role": "owner"}]}
            for person, ref in zip(batch, refs, strict=True)
        ],
        now=now,
    )
    tmf.import_resources(
        session,
        resource=party.CUSTOMER,
        payloads=[
            {
                **copy.deepcopy(person.customer),
                "engagedParty": ref,
                "account": [
                    {
                        "id": account_id,
                        "name": person.billing_account["name"],
                        "@referredType": "BillingAccount",
                    }
                ],
            }
            for person, ref, account_id in zip(batch, refs, account_ids, strict=True)
        ],
        now=now,
    )


def _party_ref(person: CustomerData, party_id: str) -> Payload:
    return {
        "id": party_id,
        "name": person.display_name,
        "@referredType": REFERRED_TYPES[person.kind],
    }
