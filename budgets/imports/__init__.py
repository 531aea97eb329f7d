"""Reading general-ledger extracts (CSV or XLSX) for `budgets.services.gl_import`."""
