"""The console's pages, one module per area; each has ``register(router, web)``."""

from ossbss.console.pages import (
    billing,
    catalog,
    customer_actions,
    customers,
    dashboard,
    noc,
    orders,
    reports,
    selfcare,
    tickets,
)

PAGES = (
    dashboard,
    # Before customers: its /customers/new must win over the 360's /customers/{id}.
    customer_actions,
    customers,
    catalog,
    orders,
    noc,
    tickets,
    billing,
    reports,
    selfcare,
)

__all__ = ["PAGES"]
