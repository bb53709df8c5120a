"""ordering: TMF622 product orders: validation, decomposition, orchestration, lifecycle."""
