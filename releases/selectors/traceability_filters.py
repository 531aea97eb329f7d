"""The traceability matrix's gaps and filters: what each gap means (for the page, its legend, the
exports and the API) and the filters checked against the program (releases.selectors.traceability
applies them)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from programs.models import Program, Workstream

from ..models import MoSCoW, Release, RequirementStatus

STATUS_LABELS = dict(RequirementStatus.choices)
PRIORITY_LABELS = dict(MoSCoW.choices)
KEY_SEARCH = re.compile(r"^(REQ|TC|DEF|CR|TSK)-\d+$", re.IGNORECASE)
MAX_SEARCH = 200


@dataclass(frozen=True)
class Gap:
    key: str
    label: str
    meaning: str
    icon: str
    colour: str


GAPS = (
    Gap("no_test", "No test", "No test case verifies it.", "ti-flask-off", "red"),
    Gap(
        "failing",
        "Failing test",
        "A linked case's latest result is fail or blocked.",
        "ti-circle-x",
        "red",
    ),
    Gap("not_run", "Not run", "A linked case has no result yet.", "ti-clock-pause", "yellow"),
    Gap(
        "blocking_defect",
        "Open blocking defect",
        "An open severity 1 or 2 defect against it or one of its cases.",
        "ti-bug",
        "red",
    ),
    Gap(
        "unaccepted",
        "Unaccepted",
        "Not accepted by the business yet (rejected and deferred ones do not count).",
        "ti-user-question",
        "orange",
    ),
    Gap("covered", "Covered", "None of the above: tested, passing, accepted.", "ti-check", "green"),
)
GAP_BY_KEY = {gap.key: gap for gap in GAPS}


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixFilters:
    """The matrix's filters, already checked against the program (see `parse_filters`)."""

    q: str = ""
    gap: str = ""
    status: str = ""
    priority: str = ""
    workstream_id: int | None = None
    workstream_key: str = ""
    workstream_label: str = ""
    release_id: int | None = None
    release_key: str = ""
    release_label: str = ""

    @property
    def active(self) -> bool:
        return bool(self.as_query())

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters (for links to the exports, paging, the API)."""
        query = {
            "q": self.q,
            "gap": self.gap,
            "status": self.status,
            "priority": self.priority,
            "workstream": self.workstream_key,
            "release": self.release_key,
        }
        return {name: value for name, value in query.items() if value}

    def describe(self) -> str:
        parts = []
        if self.release_key:
            parts.append(f"release {self.release_label}")
        if self.workstream_key:
            parts.append(f"workstream {self.workstream_label}")
        if self.status:
            parts.append(f"status {STATUS_LABELS[self.status]}")
        if self.priority:
            parts.append(f"priority {PRIORITY_LABELS[self.priority]}")
        if self.gap:
            parts.append(f"gap {GAP_BY_KEY[self.gap].label}")
        if self.q:
            parts.append(f"search “{self.q}”")
        return "; ".join(parts) or "none: every requirement"


def _by_key_or_id(rows, value: str):
    wanted = value.strip().upper()
    for row in rows:
        if row.key.upper() == wanted or (wanted.isdigit() and str(row.pk) == wanted):
            return row
    return None


def parse_filters(
    program: Program,
    params: Mapping[str, Any],
    *,
    workstreams: list[Workstream] | None = None,
    releases: list[Release] | None = None,
) -> tuple[MatrixFilters, dict[str, list[str]]]:
    """The filters from query parameters, and an error per parameter that is not valid (that
    filter is then left out). `workstreams`/`releases` are the program's, when the caller has
    them already (the filter bar lists them); else they are read when asked for."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}

    def text(name: str) -> str:
        value = params.get(name)
        return "" if value is None else str(value).strip()

    q = text("q")
    if len(q) > MAX_SEARCH:
        errors["q"] = [f"Search for at most {MAX_SEARCH} characters."]
    else:
        values["q"] = q
    for name, allowed, what in (
        ("gap", GAP_BY_KEY, "gap"),
        ("status", STATUS_LABELS, "status"),
        ("priority", PRIORITY_LABELS, "priority"),
    ):
        value = text(name).lower()
        if value and value not in allowed:
            errors[name] = [f"“{text(name)}” is not a {what}: choose one of {', '.join(allowed)}."]
        elif value:
            values[name] = value
    workstream_value = text("workstream")
    if workstream_value:
        rows = workstreams
        if rows is None:
            rows = list(Workstream.objects.filter(program=program).only("pk", "key", "name"))
        found = _by_key_or_id(rows, workstream_value)
        if found is None:
            errors["workstream"] = [f"{program.code} has no workstream “{workstream_value}”."]
        else:
            values.update(
                workstream_id=found.pk, workstream_key=found.key, workstream_label=found.name
            )
    release_value = text("release")
    if release_value:
        rows = releases
        if rows is None:
            rows = list(Release.objects.filter(program=program).only("pk", "key", "version_label"))
        found = _by_key_or_id(rows, release_value)
        if found is None:
            errors["release"] = [f"{program.code} has no release “{release_value}”."]
        else:
            values.update(
                release_id=found.pk, release_key=found.key, release_label=found.version_label
            )
    return MatrixFilters(**values), errors
