"""Reads of the releases domain that shape data for a screen, an export or the API, one module
per area; each plans its queries so their number does not grow with the rows."""
