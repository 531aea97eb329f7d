"""Budgets and finance: one module per area (DESIGN.md: budgets/)."""

from .actuals import *  # noqa: F403
from .evm import *  # noqa: F403
from .forecasts import *  # noqa: F403
from .invoices import *  # noqa: F403
from .settings import *  # noqa: F403
from .structure import *  # noqa: F403
from .variance import *  # noqa: F403
