"""Deliverable rows for the URL walk (merged by vendors/tests/url_walk.py).

One deliverable of the walk's contract (so of the vendor the walk's vendor user is bound to),
with two criteria and round 1 awaiting review with one file. The file is a fixed file under
MEDIA_ROOT, written once and shared by every walk, so the walk leaves no file per run; the rows
are written as the submission service would.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.urls import reverse

from core.versioning import apply_changes
from vendors.models import Submission, SubmissionFile
from vendors.services import deliverables as services
from vendors.services._base import create
from vendors.views import deliverables as views

WALK_FILE = "deliverables/url-walk/design.txt"


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    deliverable = services.deliverable_create(
        actor=manager,
        program=program,
        contract=base["contract"],
        title="Finance design document",
        due_date=program.end_date,
        criteria=["All interfaces documented", "Signed off by the design authority"],
    )
    path = Path(settings.MEDIA_ROOT) / WALK_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("The finance design, version 1.\n")
    submission = create(
        Submission,
        actor=manager,
        program=program,
        deliverable=deliverable,
        round=1,
        submitted_by=manager,
    )
    row = SubmissionFile(
        program=program, submission=submission, file_name="design.txt", size=31,
        content_type="text/plain", sha256="0" * 64,
    )  # fmt: skip
    row.file.name = WALK_FILE
    row.save()
    apply_changes(
        deliverable,
        actor=manager,
        changes={"status": "submitted", "rounds": 1},
        expected_version=None,
    )
    criterion = deliverable.criteria.order_by("position").first()
    return {
        "deliverables": {"key": deliverable.key},
        "criteria": {"id": str(criterion.pk)},
        "files": {"id": str(row.pk)},
    }


def _values(site) -> dict[str, str]:
    rows_ = site.app_values.get("vendors/", {})
    return {
        "key": rows_.get("deliverables", {}).get("key", "DLV-1"),
        "id": rows_.get("criteria", {}).get("id", "1"),
    }


def _detail(site, *, portal: bool = False) -> str:
    name = "vendors:portal_deliverable_detail" if portal else "vendors:deliverable_detail"
    return reverse(name, kwargs={"code": site.program.code, "key": _values(site)["key"]})


def _criteria(site, suffix: str = "") -> str:
    url = reverse(
        "vendors:deliverable_criteria",
        kwargs={"code": site.program.code, "key": _values(site)["key"]},
    )
    return url + suffix.format(**_values(site))


ALLOWED_GET = {
    # round 1 awaits review: no new round can be submitted, so both forms send back to the page
    views.DeliverableSubmitView: lambda s: (302, _detail(s)),
    views.PortalDeliverableSubmitView: lambda s: (302, _detail(s, portal=True)),
    views.CriterionEditView: lambda s: (302, _criteria(s, "?edit={id}#criterion-{id}")),
    views.CriterionDeleteView: lambda s: (302, _criteria(s)),
    views.CriterionMoveView: lambda s: (302, _criteria(s)),
}
ALLOWED_POST = {
    views.DeliverableCreateView: lambda s: (400, None),  # an empty form comes back with errors
    views.DeliverableEditView: lambda s: (400, None),
    views.DeliverableWithdrawView: lambda s: (400, None),  # a reason is required
    views.DeliverableReviewView: lambda s: (400, None),  # no decision on any criterion
    views.CriteriaView: lambda s: (400, None),
    views.CriterionEditView: lambda s: (400, None),
    views.DeliverableDeleteView: lambda s: (302, _detail(s)),  # refused: it has a round
    views.DeliverableSubmitView: lambda s: (302, _detail(s)),  # a round awaits review
    views.PortalDeliverableSubmitView: lambda s: (302, _detail(s, portal=True)),
    views.CriterionDeleteView: lambda s: (302, _criteria(s)),  # criteria locked under review
    views.CriterionMoveView: lambda s: (302, _criteria(s, "#criterion-{id}")),
}
