"""The releases domain: requirements, backlog, test cycles, defects and releases."""

from .backlog import *  # noqa: F403
from .backlog import OPEN_BACKLOG_STATUSES  # noqa: F401
from .defects import *  # noqa: F403
from .releases import *  # noqa: F403
from .requirements import *  # noqa: F403
from .requirements import BASELINED_STATUSES  # noqa: F401
from .testing import *  # noqa: F403
