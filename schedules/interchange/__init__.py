"""MS Project XML (MSPDI) import and export, and the CSV export of the WBS."""

from .csv_export import csv_filename, wbs_csv_rows
from .mspdi_export import export_filename, export_mspdi
from .mspdi_import import ImportResult, MspdiImportError, import_mspdi

__all__ = [
    "ImportResult",
    "MspdiImportError",
    "csv_filename",
    "export_filename",
    "export_mspdi",
    "import_mspdi",
    "wbs_csv_rows",
]
