"""charging: the rating engine (batch and online), TMF654 balances and buckets, online
charging (3GPP Nchf_ConvergedCharging)."""

from ossbss.charging.api import router

__all__ = ["router"]
