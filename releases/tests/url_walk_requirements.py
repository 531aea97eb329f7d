"""Requirement routes in the URL walk (merged by releases/tests/url_walk.py). The walk's
requirement (base["requirement"], in the `requirements/` segment already) is proposed and has a
test case and a defect, so deleting it is refused."""

from __future__ import annotations

from django.urls import reverse

from releases.views import requirements as views


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    return {}


def _detail(site) -> tuple[int, str]:
    key = site.app_values.get("releases/", {}).get("requirements", {}).get("key", "REQ-1")
    return (302, reverse("releases:requirement_detail", kwargs={"code": site.program.code,
                                                              "key": key}))  # fmt: skip


def _bad_form(site) -> tuple[int, None]:
    return (400, None)  # an empty form comes back with its errors


ALLOWED_GET: dict = {}
ALLOWED_POST: dict = {
    views.RequirementCreateView: _bad_form,
    views.RequirementEditView: _bad_form,
    views.RequirementRowStatusView: _bad_form,
    views.RequirementDeleteView: _detail,
    **dict.fromkeys(views.STEP_VIEWS.values(), _bad_form),
}
