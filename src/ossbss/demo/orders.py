"""The demo's network and its first orders, placed through the ordering room like any order:
fibre lines on the OLT's ports, mobile plans, two suspensions, and one fibre order that fails
because its port's device has no subscriber VLANs (a failed order with its reason)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console

from ossbss import inventory, ordering, party, product_inventory, tmf
from ossbss.demo.catalog_data import resolve
from ossbss.demo.network_data import network_data

if TYPE_CHECKING:
    from ossbss.bootstrap import Platform

FIBRE_CUSTOMERS = 8
MOBILE_CUSTOMERS = 12
SUSPENDED = 2


@dataclass(frozen=True)
class Customer:
    id: str
    account_id: str


def load_network(platform: Platform) -> dict[str, str]:
    """Create the network; returns resource ids by key."""
    ids: dict[str, str] = {}
    with platform.database.unit_of_work() as session:
        for key, payload in network_data():
            (ids[key],) = tmf.import_resources(
                session,
                resource=inventory.RESOURCE,
                payloads=[resolve(payload, ids)],
                now=platform.clock.now(),
            )
    return ids


def place_orders(
    platform: Platform, *, network: dict[str, str], offerings: dict[str, str], console: Console
) -> dict[str, int]:
    """The demo's orders, run to their end; returns how many orders ended in each state."""
    needed = FIBRE_CUSTOMERS + MOBILE_CUSTOMERS + 1
    customers = _first_customers(platform, needed)
    if len(customers) < needed:
        console.print(f"demo: no orders (they need {needed} customers)")
        return {}
    fibre, mobile = customers[:FIBRE_CUSTOMERS], customers[FIBRE_CUSTOMERS:-1]
    for number, customer in enumerate(fibre, start=1):
        _order(platform, customer, _fibre_item(offerings, network[f"olt-port-{number}"]))
    for number, customer in enumerate(mobile):
        plan = "mobile-s" if number % 2 else "mobile-m"
        _order(
            platform,
            customer,
            {"id": "1", "action": "add", "productOffering": {"id": offerings[plan]}},
        )
    _order(platform, customers[-1], _fibre_item(offerings, network["core-access"]))
    _settle(platform)
    for customer in mobile[:SUSPENDED]:
        product_id = _product_of(platform, customer)
        if product_id is not None:
            item = {
                "id": "1",
                "action": "modify",
                "product": {"id": product_id, "status": "suspended"},
            }
            _order(platform, customer, item)
    _settle(platform)
    states = _order_states(platform)
    console.print(
        "demo: orders " + ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
    )
    return states


def _fibre_item(offerings: dict[str, str], port_id: str) -> dict[str, Any]:
    return {
        "id": "1",
        "action": "add",
        "productOffering": {"id": offerings["fibre-300"]},
        "product": {"productCharacteristic": [{"name": "accessPort", "value": port_id}]},
    }


def _first_customers(platform: Platform, count: int) -> list[Customer]:
    with platform.database.unit_of_work(write=False) as session:
        page = tmf.list_resources(
            session, resource=party.CUSTOMER, query=tmf.ListQuery(limit=count)
        )
        customers = []
        for customer_id, _ in page.items:
            document = party.get_customer(session, customer_id=customer_id)
            customers.append(Customer(customer_id, document["account"][0]["id"]))
    return customers


def _order(platform: Platform, customer: Customer, item: dict[str, Any]) -> None:
    body = {
        "relatedParty": [{"id": customer.id, "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": customer.account_id},
        "productOrderItem": [item],
    }
    with platform.database.unit_of_work() as session:
        tmf.create_resource(
            session, resource=ordering.PRODUCT_ORDER, payload=body, now=platform.clock.now()
        )


def _settle(platform: Platform) -> None:
    while platform.dispatcher.run_pending() + platform.activator.run_pending():
        pass


def _product_of(platform: Platform, customer: Customer) -> str | None:
    with platform.database.unit_of_work(write=False) as session:
        query = tmf.parse_list_query([("relatedParty.id", customer.id), ("status", "active")])
        page = tmf.list_resources(session, resource=product_inventory.PRODUCT, query=query)
        return page.items[0][0] if page.items else None


def _order_states(platform: Platform) -> dict[str, int]:
    with platform.database.unit_of_work(write=False) as session:
        states: dict[str, int] = {}
        for state in ("completed", "failed", "partial", "inProgress", "acknowledged"):
            query = tmf.parse_list_query([("state", state), ("limit", "1")])
            total = tmf.list_resources(session, resource=ordering.PRODUCT_ORDER, query=query).total
            if total:
                states[state] = total
        return states
