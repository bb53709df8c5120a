"""provisioning: TMF641 service orders, TMF640 activation, drivers for network elements."""
