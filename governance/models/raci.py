"""The RACI matrix of a program: rows (deliverables, milestones or activities), columns (people
or named roles) and one cell per row and column holding R, A, C, I or A/R.

The rule a program manager expects (PMI): every row has exactly one Accountable and at least one
Responsible; a person may be both (`AR`). Services enforce it on every save of a row, so a row
is only ever stored complete. A row's letters are saved together with the row: the row carries
the version, and its `assignments` text is what the history shows changing.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from core.audit_guard import AuditedQuerySet
from programs.models import Program, ProgramOwnedModel


class RaciLetter(models.TextChoices):
    RESPONSIBLE = "R", "Responsible"
    ACCOUNTABLE = "A", "Accountable"
    ACCOUNTABLE_RESPONSIBLE = "AR", "Accountable and responsible"
    CONSULTED = "C", "Consulted"
    INFORMED = "I", "Informed"


# How a letter is written in the grid, exports and messages ("AR" reads "A/R").
LETTER_TEXT = {"R": "R", "A": "A", "AR": "A/R", "C": "C", "I": "I"}
ACCOUNTABLE_LETTERS = frozenset({"A", "AR"})
RESPONSIBLE_LETTERS = frozenset({"R", "AR"})


class RaciRowKind(models.TextChoices):
    """What a row stands for, as the API reports it (derived, not stored)."""

    DELIVERABLE = "deliverable", "Deliverable"
    MILESTONE = "milestone", "Milestone"
    ACTIVITY = "activity", "Activity"
    REMOVED = "removed", "Removed from the plan"


class RaciColumnKind(models.TextChoices):
    PERSON = "person", "Person"
    ROLE = "role", "Role"


class RaciColumn(ProgramOwnedModel):
    """A person (a member of the program) or a named role such as "Steering committee"."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="raci_columns")
    kind = models.CharField(
        max_length=6, choices=RaciColumnKind.choices, default=RaciColumnKind.PERSON
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="raci_columns",
        verbose_name="person",
    )
    role_name = models.CharField(
        "role",
        max_length=100,
        blank=True,
        help_text='A role or body rather than a person, e.g. "Steering committee".',
    )
    position = models.PositiveIntegerField(default=0, help_text="Order from left to right.")

    class Meta:
        ordering = ["program_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "user"],
                condition=models.Q(user__isnull=False),
                name="raci_column_person_unique",
                violation_error_message="This person already has a column in the matrix.",
            ),
            models.UniqueConstraint(
                Lower("role_name"),
                "program",
                condition=models.Q(kind="role"),
                name="raci_column_role_unique",
                violation_error_message="The matrix already has a column for this role.",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="person", user__isnull=False, role_name="")
                    | models.Q(kind="role", user__isnull=True) & ~models.Q(role_name="")
                ),
                name="raci_column_person_or_role",
                violation_error_message="A column is either a person or a named role.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.kind == RaciColumnKind.PERSON:
            return str(self.user) if self.user_id else "(no one)"
        return self.role_name

    @property
    def is_role(self) -> bool:
        return self.kind == RaciColumnKind.ROLE

    def clean(self) -> None:
        super().clean()
        self.role_name = (self.role_name or "").strip()
        if self.kind == RaciColumnKind.PERSON:
            if not self.user_id:
                raise ValidationError({"user": "Choose the person this column stands for."})
            self.role_name = ""
        elif self.kind == RaciColumnKind.ROLE:
            if not self.role_name:
                raise ValidationError({"role_name": 'Name the role, e.g. "Steering committee".'})
            self.user = None


class RaciRow(ProgramOwnedModel):
    """A deliverable or milestone of the plan, or a free-text activity.

    `item` points into the schedule without a database constraint: deleting an item from the
    plan must not be blocked by (or silently delete) its RACI row, which then keeps its last
    name in `activity` and shows that the item left the plan.
    """

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="raci_rows")
    item = models.ForeignKey(
        "schedules.Item",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name="deliverable or milestone",
    )
    activity = models.CharField(
        max_length=300,
        blank=True,
        help_text="What is done, for rows that are not an item of the plan "
        '(e.g. "Data cutover rehearsal"); for an item, its name when last saved.',
    )
    position = models.PositiveIntegerField(default=0, help_text="Order from top to bottom.")
    assignments = models.TextField(
        blank=True,
        editable=False,
        help_text="The row's letters as text (A: …; R: …), kept by the service for the history.",
    )

    class Meta:
        ordering = ["program_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "item"],
                condition=models.Q(item__isnull=False),
                name="raci_row_item_unique",
                violation_error_message="This item already has a row in the matrix.",
            ),
            models.CheckConstraint(
                condition=models.Q(item__isnull=False) | ~models.Q(activity=""),
                name="raci_row_item_or_activity",
                violation_error_message="A row is a deliverable, a milestone or an activity.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def live_item(self):
        """The schedule item, or None when there is none or it was deleted from the plan.

        Read rows through the selectors (they join the item): a dangling id then reads None."""
        if self.item_id is None:
            return None
        try:
            return self.item
        except models.ObjectDoesNotExist:
            return None

    @property
    def label(self) -> str:
        item = self.live_item
        if item is not None:
            return f"{item.key} {item.name}"
        return self.activity or "(unnamed row)"

    @property
    def item_removed(self) -> bool:
        """The row was a plan item that has since been deleted from the schedule."""
        return self.item_id is not None and self.live_item is None


class RaciCell(models.Model):
    """One letter of one row for one column. Written only by the row's services."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    row = models.ForeignKey(RaciRow, on_delete=models.CASCADE, related_name="cells")
    column = models.ForeignKey(RaciColumn, on_delete=models.CASCADE, related_name="cells")
    letter = models.CharField(max_length=2, choices=RaciLetter.choices)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["row_id", "column_id"]
        constraints = [
            models.UniqueConstraint(fields=["row", "column"], name="raci_cell_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.row_id}/{self.column_id}: {LETTER_TEXT.get(self.letter, self.letter)}"


# --- the row rule, shared by the services, the forms and the API --------------------------------


def normalise_letter(value: object) -> str:
    """A cell as people type it ("a/r", "RA", " c ", "—") -> a stored letter, or "" for none.

    Raises ValueError for anything else."""
    text = str(value if value is not None else "").strip().upper()
    text = text.replace("/", "").replace(" ", "").replace("+", "")
    if text in ("", "-", "\u2014", "\u2013", "NONE"):
        return ""
    if text == "RA":
        text = "AR"
    if text not in RaciLetter.values:
        raise ValueError(f"{value!r} is not a RACI letter: use R, A, A/R, C or I (or leave empty).")
    return text


def _names(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def raci_rule_problems(label: str, assignments: list[tuple[str, str]]) -> list[str]:
    """What breaks the rule in one row: exactly one A (Accountable), at least one R (Responsible).

    `assignments` are (column label, letter) pairs of the row; empty letters are ignored."""
    accountable = [who for who, letter in assignments if letter in ACCOUNTABLE_LETTERS]
    responsible = [who for who, letter in assignments if letter in RESPONSIBLE_LETTERS]
    problems = []
    if not accountable:
        problems.append(
            f"Row “{label}” needs exactly one A (Accountable); it has none. "
            "Mark the one person or role who answers for it."
        )
    elif len(accountable) > 1:
        problems.append(
            f"Row “{label}” needs exactly one A (Accountable); it has {len(accountable)}: "
            f"{_names(accountable)}. Keep one A and make the others R, C or I."
        )
    if not responsible:
        problems.append(
            f"Row “{label}” needs at least one R (Responsible); it has none. "
            "The accountable person may do the work too: use A/R."
        )
    return problems
