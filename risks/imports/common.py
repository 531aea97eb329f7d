"""What the import's parts share: limits, the RAID types, problems and the refusal."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from ..choices import RaidType
from ..models import RAID_MODELS

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
MAX_PROBLEMS = 1_000  # a file with more is refused with the first thousand listed

RISK, ISSUE, ASSUMPTION, DEPENDENCY, ACTION = (
    RaidType.RISK.value,
    RaidType.ISSUE.value,
    RaidType.ASSUMPTION.value,
    RaidType.DEPENDENCY.value,
    RaidType.ACTION.value,
)
ALL_TYPES = (RISK, ISSUE, ASSUMPTION, DEPENDENCY, ACTION)
TYPE_LABEL = {RISK: "Risk", ISSUE: "Issue", ASSUMPTION: "Assumption", DEPENDENCY: "Dependency",
              ACTION: "Action"}  # fmt: skip
PREFIX_TYPE = {model.KEY_PREFIX: raid_type for raid_type, model in RAID_MODELS.items()}
# Creation order: what others link to comes first (an issue's risk, an action's subject).
APPLY_ORDER = (RISK, ASSUMPTION, DEPENDENCY, ISSUE, ACTION)


class RaidImportError(ValidationError):
    """The file was refused; `problems` lists every one. Nothing was imported."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__([str(p) for p in problems])


@dataclass(frozen=True)
class Problem:
    where: str  # "Line 7", "Risks row 7", or "" for the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        parts = [p for p in (self.where, self.column) if p]
        return ": ".join([*parts, self.message])

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "column": self.column, "message": self.message}
