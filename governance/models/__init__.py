"""Governance models, one module per area; each is imported here once it is complete."""
