"""The reporting domain: report settings, status reports, subscriptions and deliveries, KPIs."""

from .delivery import *  # noqa: F403
from .kpis import *  # noqa: F403
from .reports import *  # noqa: F403
from .settings import *  # noqa: F403
