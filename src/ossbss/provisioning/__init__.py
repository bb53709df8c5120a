"""provisioning: TMF641 service orders, TMF640 activation, drivers for network elements."""

from ossbss.provisioning import radius_tables as radius_tables  # registers the tables on Base
