"""Forms of the releases pages, one module per area."""
