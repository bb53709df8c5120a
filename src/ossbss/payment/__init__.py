"""payment: TMF676 payments and refunds, gateway drivers, allocation to bills, bank
statements, aging, dunning and collections. The room's only door."""

from ossbss.payment.api import router

RESOURCES: tuple[()] = ()

__all__ = ["RESOURCES", "router"]
