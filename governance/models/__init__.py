"""Governance models, one module per area; each is imported here once it is complete."""

from .changes import ChangeControlPolicy, ChangeRequest, ChangeRequestTransition  # noqa: F401
from .compliance import (  # noqa: F401
    ComplianceStatus,
    Evidence,
    Obligation,
    ObligationKind,
)
from .decisions import Decision, DecisionLink  # noqa: F401
from .raci import (  # noqa: F401
    RaciCell,
    RaciColumn,
    RaciColumnKind,
    RaciLetter,
    RaciRow,
)
