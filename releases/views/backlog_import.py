"""The Jira CSV import page: upload, check, preview (what is created, updated or unchanged, and
the iterations to create), confirm; all or nothing, every problem listed with its line.

The checked file waits for the confirmation in the default storage under `jira-imports/` for
at most STAGED_HOURS, named by a signed token bound to the program, the user, the workstream
and the "create missing iterations" choice; confirming checks it again (the backlog may have
changed meanwhile).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from ..forms.backlog import JiraUploadForm
from ..models import BacklogStatus
from ..services import jira_import
from ..services.jira_import import JiraImportError, Problem
from .backlog import BacklogMixin, list_url

STAGED_DIR = "jira-imports"
STAGED_HOURS = 2
STAGE_SALT = "releases.jira_import.staged"
PREVIEW_ROWS = 200


def _stage(*, program, user, data: bytes, filename: str, workstream, create_missing) -> str:
    _clear_stale()
    name = default_storage.save(
        f"{STAGED_DIR}/{program.pk}-{uuid.uuid4().hex}.csv", ContentFile(data)
    )
    return signing.dumps(
        {"f": name, "p": program.pk, "u": user.pk, "n": filename[:200], "w": workstream.pk,
         "c": bool(create_missing)},
        salt=STAGE_SALT,
    )  # fmt: skip


def _unstage(token: str, *, program, user) -> dict | None:
    try:
        payload = signing.loads(token, salt=STAGE_SALT, max_age=STAGED_HOURS * 3600)
    except signing.BadSignature:
        return None
    name = payload.get("f", "")
    if (
        payload.get("p") != program.pk
        or payload.get("u") != user.pk
        or not name.startswith(f"{STAGED_DIR}/")
        or not default_storage.exists(name)
    ):
        return None
    with default_storage.open(name, "rb") as handle:
        payload["data"] = handle.read()
    return payload


def _clear_stale() -> None:
    try:
        _, files = default_storage.listdir(STAGED_DIR)
    except (FileNotFoundError, NotImplementedError):
        return
    cutoff = timezone.now() - dt.timedelta(hours=STAGED_HOURS)
    for file in files:
        name = f"{STAGED_DIR}/{file}"
        try:
            if default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
        except (FileNotFoundError, NotImplementedError):
            continue


class JiraImportView(BacklogMixin, TemplateView):
    """Upload a Jira export: checked and previewed, imported on confirmation."""

    permission_action = "backlog.import"
    template_name = "releases/backlog/jira_import.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            required=jira_import.REQUIRED, statuses=jira_import.STATUSES,
            kinds=jira_import.KINDS, priorities=jira_import.PRIORITIES, **kwargs,
        )  # fmt: skip

    def get(self, request, code):
        initial = {}
        if request.GET.get("workstream"):
            initial["workstream"] = self.program.workstreams.filter(
                key=request.GET["workstream"].upper()
            ).first()
        form = JiraUploadForm(program=self.program, initial=initial)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        if "token" in request.POST:
            return self._confirm(request)
        form = JiraUploadForm(request.POST, request.FILES, program=self.program)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        upload = form.cleaned_data["file"]
        workstream = form.cleaned_data["workstream"]
        create_missing = form.cleaned_data["create_missing"]
        data = upload.read()
        try:
            plan = jira_import.jira_import_check(
                program=self.program, workstream=workstream, data=data,
                create_missing=create_missing,
            )  # fmt: skip
        except JiraImportError as exc:
            return self._refused(form, exc.problems, upload.name)
        token = _stage(program=self.program, user=request.user, data=data, filename=upload.name,
                       workstream=workstream, create_missing=create_missing)  # fmt: skip
        rows = plan.rows[:PREVIEW_ROWS]
        for row in rows:
            row.status_label = BacklogStatus(row.fields["status"]).label
        counts = {action: plan.count(action) for action in ("create", "update", "unchanged")}
        return self.render_to_response(
            self.get_context_data(
                form=form, plan=plan, token=token, filename=upload.name, preview_rows=rows,
                counts=counts,
            )
        )  # fmt: skip

    def _refused(self, form, problems: list[Problem], filename: str):
        rows = len({p.where for p in problems if p.where})
        missing = [p.column for p in problems if not p.where and p.column]
        return self.render_to_response(
            self.get_context_data(form=form, problems=problems, problem_rows=rows,
                                  missing_columns=missing, filename=filename),
            status=400,
        )  # fmt: skip

    def _confirm(self, request):
        staged = _unstage(request.POST["token"], program=self.program, user=request.user)
        form = JiraUploadForm(program=self.program)
        workstream = staged and self.program.workstreams.filter(pk=staged["w"]).first()
        if not staged or workstream is None:
            problem = Problem(
                "", "", f"The checked file is no longer kept (after {STAGED_HOURS} hours, or it "
                "was imported already). Upload it again.",
            )  # fmt: skip
            return self._refused(form, [problem], "")
        filename = staged["n"]
        try:
            plan = jira_import.jira_import_run(
                actor=request.user, program=self.program, workstream=workstream,
                data=staged["data"], create_missing=staged["c"],
            )  # fmt: skip
        except JiraImportError as exc:
            return self._refused(form, exc.problems, filename)
        finally:
            default_storage.delete(staged["f"])
        created, updated = plan.count("create"), plan.count("update")
        text = (
            f"Imported {filename or 'the export'} into {workstream.name}: {created} item"
            f"{'s' if created != 1 else ''} created, {updated} updated"
        )
        if plan.new_iterations:
            text += f", {len(plan.new_iterations)} iteration(s) created (check their dates)"
        messages.success(request, text + ".")
        return redirect(f"{list_url(self.program.code)}?workstream={workstream.pk}")


def import_url(code: str) -> str:
    return reverse("releases:backlog_import", kwargs={"code": code})
