"""Downloads of the releases domain (CSV and XLSX), one module per area."""
