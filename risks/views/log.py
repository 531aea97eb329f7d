"""The RAID log: one page, a tab per type, filters, column sorting, paging and inline edits.

A page of 50 rows is a fixed handful of queries whatever the log's size: the tab counts (one
query), the filtered count and the page of `.values()` rows (two), the filter bar's choices.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from core.forms import apply_validation_error
from core.fragments import fragment_key
from core.htmx import page_or_partial
from core.versioning import StaleVersionError
from programs.access import ProgramAccess
from programs.mixins import ProgramViewMixin, paginate
from programs.models import Program

from .. import selectors, services
from ..choices import RaidType
from ..filtersets import DEFAULT_ORDER, FILTERSETS
from ..forms import FORMS
from .common import COLUMNS, TYPES, decorate

LOG_TEMPLATE = "risks/raid_log.html"
PAGE_SIZE = 50
# Filter parameters of each type's bar (the order of the inputs).
FILTER_KEYS = ("q", "state", "status", "owner", "workstream", "overdue", "sort")
TYPE_FILTER_KEYS: dict[str, tuple[str, ...]] = {
    RaidType.RISK: (
        "category", "band", "strategy", "probability", "impact", "residual_probability",
        "residual_impact",
    ),
    RaidType.ISSUE: ("severity", "priority", "escalated"),
    RaidType.ASSUMPTION: (),
    RaidType.DEPENDENCY: ("direction",),
    RaidType.ACTION: ("escalated", "subject"),
}  # fmt: skip
# Filters shown as chips (set by a link, e.g. a heat map cell) rather than as inputs.
CHIP_FILTERS = (
    "probability", "impact", "residual_probability", "residual_impact", "subject",
)  # fmt: skip


def filter_data(raid_type: str, params) -> QueryDict:
    """The list's filters from the query string; without a `state`, open items only."""
    data = QueryDict(mutable=True)
    for key in (*FILTER_KEYS, *TYPE_FILTER_KEYS[raid_type]):
        value = params.get(key)
        if value not in (None, ""):
            data[key] = value
    if "state" not in params:
        data["state"] = "open"
    return data


class RaidTypeMixin:
    """`raid_type` comes from the URL pattern (each type has its own paths)."""

    kwargs: dict[str, Any]
    # set by ProgramViewMixin / View, which the views mix this with
    program: Program
    access: ProgramAccess
    request: HttpRequest

    @property
    def raid_type(self) -> str:
        return self.kwargs.get("raid_type", RaidType.RISK)

    @property
    def info(self):
        return TYPES[self.raid_type]


class RaidLogContextMixin(RaidTypeMixin):
    def list_url(self) -> str:
        return reverse(f"risks:{self.info.singular}_list", kwargs={"code": self.program.code})

    def log_context(self, params) -> dict[str, Any]:
        program, raid_type = self.program, self.raid_type
        data = filter_data(raid_type, params)
        filterset = FILTERSETS[raid_type](
            data,
            queryset=selectors.raid_rows(program=program, raid_type=raid_type).order_by(
                *DEFAULT_ORDER[raid_type]
            ),
            program=program,
        )
        # Count the filtered rows without joins; fetch only the page's rows, as flat values.
        page = paginate(SimpleNamespace(GET=params), filterset.qs, per_page=PAGE_SIZE)
        rows = selectors.raid_rows_by_ids(
            raid_type=raid_type, ids=list(page.object_list.values_list("pk", flat=True))
        )
        user, role = self.request.user, self.access.role
        today = timezone.localdate()
        # The rendered rows are cached under a digest of everything they show: the rows' values,
        # the day (overdue flags), and what this user may do with them.
        rows_key = fragment_key(
            program.code,
            raid_type,
            today,
            role,
            user.pk if role == "contributor" else None,
            rows=(tuple(r.values()) for r in rows),
        )
        page.object_list = decorate(
            raid_type,
            rows,
            today=today,
            role=role,
            user=user,
            base_url=self.list_url(),
        )
        chips = []
        form = filterset.form
        form.is_valid()
        for key in CHIP_FILTERS:
            if key in data and key in form.fields and key not in form.errors:
                field = form.fields[key]
                value = data[key]
                rest = {k: v for k, v in data.items() if k != key}
                chips.append(
                    {
                        "key": key,
                        "label": field.label or key.replace("_", " "),
                        "value": value,
                        "remove_url": "?" + urlencode(rest),
                    }
                )
        sort = data.get("sort", "")
        return {
            "raid_type": raid_type,
            "info": self.info,
            "tabs": self.tabs(),
            "filter": filterset,
            "filtered": any(k != "state" for k in data) or data.get("state") != "open",
            "chips": chips,
            "sort": sort,
            "columns": [
                {
                    "label": c.label,
                    "css": c.css,
                    "title": c.title,
                    "sort": c.sort,
                    "active": sort.lstrip("-") == c.sort if c.sort else False,
                    "descending": sort.startswith("-"),
                    "next": (c.sort if sort != c.sort else f"-{c.sort}") if c.sort else "",
                }
                for c in COLUMNS[raid_type]
            ],
            "page_obj": page,
            "rows": page.object_list,
            "rows_key": rows_key,
            "can_add": self.access.can("raid.add"),
            "can_change": self.access.can("raid.change"),
            "can_delete": self.access.can("raid.delete"),
            "action_create_url": reverse("risks:action_create", kwargs={"code": program.code}),
            "is_contributor": role == "contributor",
            "today": timezone.localdate(),
        }

    def tabs(self) -> list[dict[str, Any]]:
        counts = selectors.raid_tab_counts(program=self.program)
        return [
            {
                "raid_type": t,
                "label": info.plural,
                "icon": info.icon,
                "url_name": f"risks:{info.singular}_list",
                "count": counts.get(t, 0),
                "active": t == self.raid_type,
            }
            for t, info in TYPES.items()
        ]


class RaidLogView(RaidLogContextMixin, ProgramViewMixin, TemplateView):
    """The RAID log: the tab of one type (risks by default)."""

    permission_action = "raid.view"
    nav_section = "risks:raid_log"
    template_name = LOG_TEMPLATE

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "raid-table")]

    def get_context_data(self, **kwargs):
        context = self.log_context(self.request.GET)
        context.update(kwargs)
        return super().get_context_data(**context)


class ItemInlineView(RaidTypeMixin, ProgramViewMixin, TemplateView):
    """htmx row editor: GET swaps the row for inputs, POST saves and swaps the row back.

    The row carries the version it was drawn from; a save over a newer version is refused with
    what changed meanwhile, the editor keeping what was typed."""

    permission_action = "raid.change"
    nav_section = "risks:raid_log"
    template_name = LOG_TEMPLATE

    def _item(self):
        item = selectors.raid_item_get(
            program=self.program, raid_type=self.raid_type, key=self.kwargs["key"]
        )
        # Refused rows never get an editor: the service would refuse the save anyway.
        services.require_may_change(self.request.user, item)
        return item

    def _form(self, item, data=None):
        form_class = FORMS[self.raid_type]
        return form_class(
            data,
            program=self.program,
            user=self.request.user,
            instance=item,
            fields=form_class.INLINE_FIELDS,
        )

    def _row(self, item, *, form=None, status=200, saved=False):
        row = (
            selectors.raid_rows(program=self.program, raid_type=self.raid_type)
            .filter(pk=item.pk)
            .values(*selectors.ROW_FIELDS[self.raid_type])
            .get()
        )
        [row] = decorate(
            self.raid_type,
            [row],
            today=timezone.localdate(),
            role=self.access.role,
            user=self.request.user,
            base_url=reverse(
                f"risks:{self.info.singular}_list", kwargs={"code": self.program.code}
            ),
        )
        context = self.get_context_data(
            raid_type=self.raid_type,
            info=self.info,
            row=row,
            item=item,
            form=form,
            saved=saved,
            can_change=True,
            can_add=self.access.can("raid.add"),
            can_delete=self.access.can("raid.delete"),
            is_contributor=self.access.role == "contributor",
            action_create_url=reverse("risks:action_create", kwargs={"code": self.program.code}),
            colspan=len(COLUMNS[self.raid_type]) + 1,
        )
        partial = "row-edit" if form is not None else f"{self.info.singular}-row"
        response = self.response_class(
            request=self.request,
            template=[f"{self.template_name}#{partial}"],
            context=context,
            status=status,
        )
        if saved:
            # The tab counts and other rows may move (a closed item leaves the open list).
            response["HX-Trigger"] = json.dumps({"raid-saved": {"key": item.key}})
        return response

    def get(self, request, code, key, **kwargs):
        item = self._item()
        if request.GET.get("cancel"):
            return self._row(item)
        return self._row(item, form=self._form(item))

    def post(self, request, code, key, **kwargs):
        item = self._item()
        form = self._form(item, request.POST)
        if form.is_valid():
            try:
                updated = services.raid_item_update(
                    actor=request.user,
                    item=item,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                return self._row(updated, saved=True)
        return self._row(item, form=form, status=422)
