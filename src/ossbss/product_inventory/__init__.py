"""product_inventory: TMF637 products owned by customers (the installed base)."""
