"""Forms of the vendors app, one module per area."""
