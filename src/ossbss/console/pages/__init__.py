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

# customer_actions before customers: /customers/new must win over /customers/{customer_id}.
PAGES = (
    dashboard,
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
