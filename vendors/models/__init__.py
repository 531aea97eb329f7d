"""The vendors app's models, one module per area (see each module's docstring)."""

from .contracts import *  # noqa: F403
from .deliverables import *  # noqa: F403
from .performance import *  # noqa: F403
from .rfp import *  # noqa: F403
from .vendors import *  # noqa: F403
