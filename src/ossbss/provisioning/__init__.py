"""provisioning: TMF641 service orders, TMF640 activation, drivers for network elements."""

# Importing the modules that own tables registers them on Base (metadata, migrations).
from ossbss.provisioning import configs as configs
from ossbss.provisioning import radius_tables as radius_tables
from ossbss.provisioning.activator import Activator
from ossbss.provisioning.api import router
from ossbss.provisioning.drivers import ActivationRequest, ActivationResult, Driver
from ossbss.provisioning.fair_usage import set_throttle, subscribe
from ossbss.provisioning.progress import ActivationStep, ServiceOrderProgress, activation_of
from ossbss.provisioning.registry import build_drivers
from ossbss.provisioning.resources import RESOURCES, SERVICE_ORDER, SERVICE_ORDERING_API
from ossbss.provisioning.service import ServiceRequest, cancel_unstarted, submit_service_order

__all__ = [
    "RESOURCES",
    "SERVICE_ORDER",
    "SERVICE_ORDERING_API",
    "ActivationRequest",
    "ActivationResult",
    "ActivationStep",
    "Activator",
    "Driver",
    "ServiceOrderProgress",
    "ServiceRequest",
    "activation_of",
    "build_drivers",
    "cancel_unstarted",
    "router",
    "set_throttle",
    "submit_service_order",
    "subscribe",
]
