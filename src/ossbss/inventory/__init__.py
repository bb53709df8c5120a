"""inventory: TMF639 resources (sites, devices, ports, links, pools) and TMF638 services."""
