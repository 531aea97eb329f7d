"""Pages of the releases app, one module per area (see releases/urls.py)."""
