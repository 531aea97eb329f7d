"""Vendors services: every write with a business rule, one module per area.

Import the area modules directly (`from vendors.services import contracts`) or the names
re-exported here.
"""

from .contracts import *  # noqa: F403
from .vendors import *  # noqa: F403
