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
    customers,
    customer_actions,
    catalog,
    orders,
    noc,
    tickets,
    billing,
    reports,
    selfcare,
)

__all__ = ["PAGES"]
