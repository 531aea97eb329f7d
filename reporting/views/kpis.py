"""KPI pages under /programs/<code>/reports/kpis/: the registry (a card per KPI with its latest
value, target, RAG, trend and a sparkline), a KPI with its history (chart and table) and the
form to enter a manual value, the definition form, deletion, "add the standard KPIs" and
"record this week now"."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin

from ..collect import period_bounds
from ..forms.kpis import KpiForm, KpiValueForm, period_label
from ..kpis import SOURCES
from ..models import KpiCategory, KpiValue
from ..selectors import kpis as selectors
from ..services import kpis as services

NAV = "reporting:kpi_list"
HISTORY_WEEKS = 26


def list_url(code: str) -> str:
    return reverse("reporting:kpi_list", kwargs={"code": code})


def detail_url(code: str, key: str, anchor: str = "") -> str:
    url = reverse("reporting:kpi_detail", kwargs={"code": code, "key": key})
    return f"{url}#{anchor}" if anchor else url


class KpiMixin(ProgramViewMixin):
    nav_section = NAV

    def get_kpi(self):
        return selectors.kpi_get(program=self.program, key=self.kwargs["key"])

    def rights(self) -> dict:
        return {
            "can_change": self.access.can("kpi.change"),
            "can_record": self.access.can("kpi.record"),
        }


class KpiListView(KpiMixin, TemplateView):
    permission_action = "kpi.view"
    template_name = "reporting/kpis/kpi_list.html"

    def get_context_data(self, **kwargs):
        cards = selectors.kpi_cards(self.program, active_only=False)
        groups = [
            (label, [c for c in cards if c.definition.category == value and c.definition.active])
            for value, label in KpiCategory.choices
        ]
        inactive = [c for c in cards if not c.definition.active]
        have = {c.definition.source for c in cards}
        return super().get_context_data(
            **self.rights(),
            cards=cards,
            groups=[(label, group) for label, group in groups if group],
            inactive=inactive,
            missing_standard=[s for code, s in SOURCES.items() if code not in have],
            period=selectors.current_period(self.program),
            period_label=period_label(selectors.current_period(self.program)),
            computed_count=sum(
                1 for c in cards if c.definition.active and not c.definition.is_manual
            ),
            **kwargs,
        )


def _history_rows(card, values: list[KpiValue]) -> list[dict]:
    d = card.definition
    rows = []
    for v in values:
        start, end = period_bounds(v.period)
        rag = selectors.kpi_rag(
            v.value, direction=d.direction, target=d.target, amber=d.amber_threshold,
            red=d.red_threshold,
        )  # fmt: skip
        rows.append(
            {
                "value": v,
                "display": selectors.format_value(v.value, d.unit, card.currency),
                "dates": f"{start:%-d %b} \u2013 {end:%-d %b %Y}",
                "rag": rag,
                "colour": selectors.RAG_COLOURS[rag.value],
            }
        )
    return rows


class KpiDetailView(KpiMixin, TemplateView):
    permission_action = "kpi.view"
    template_name = "reporting/kpis/kpi_detail.html"

    def get_context_data(self, **kwargs):
        kpi = kwargs.pop("kpi", None) or self.get_kpi()
        card = selectors.kpi_card(kpi, weeks=HISTORY_WEEKS, trim=True)
        values = list(selectors.kpi_values(definition=kpi)[:104])
        rights = self.rights()
        form = kwargs.pop("form", None)
        if form is None and kpi.is_manual and rights["can_record"]:
            form = KpiValueForm(program=self.program)
        d = kpi
        return super().get_context_data(
            **rights,
            kpi=kpi,
            card=card,
            source=SOURCES.get(kpi.source),
            rows=_history_rows(card, values),
            form=form if kpi.is_manual and rights["can_record"] else None,
            can_history=self.access.can("activity.view"),
            chart={
                "labels": card.spark_labels,
                "values": card.spark,
                "target": None if d.target is None else float(d.target),
                "amber": None if d.amber_threshold is None else float(d.amber_threshold),
                "red": None if d.red_threshold is None else float(d.red_threshold),
                "unit": d.get_unit_display(),
                "name": d.name,
            },
            **kwargs,
        )


class KpiFormMixin(KpiMixin):
    template_name = "reporting/kpis/kpi_form.html"


class KpiCreateView(KpiFormMixin, TemplateView):
    permission_action = "kpi.change"

    def get(self, request, code):
        initial = {"owner": request.user.pk, "active": True}
        source = SOURCES.get(request.GET.get("source", ""))
        if source is not None:
            fields = source.definition_fields()
            fields["amber_threshold"], fields["red_threshold"] = source.amber, source.red
            initial.update(fields)
        form = KpiForm(program=self.program, creating=True, initial=initial)
        return self.render_to_response(self.get_context_data(form=form, creating=True))

    def post(self, request, code):
        form = KpiForm(request.POST, program=self.program, creating=True)
        if form.is_valid():
            try:
                kpi = services.kpi_create(
                    actor=request.user, program=self.program, **form.changes()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{kpi.key} {kpi.name} added.")
                return redirect(detail_url(code, kpi.key))
        return self.render_to_response(self.get_context_data(form=form, creating=True), status=400)


class KpiEditView(KpiFormMixin, TemplateView):
    permission_action = "kpi.change"

    def get(self, request, code, key):
        kpi = self.get_kpi()
        initial = {name: getattr(kpi, name) for name in KpiForm.FIELDS if name != "owner"}
        initial.update(owner=kpi.owner_id, version=kpi.version)
        form = KpiForm(program=self.program, initial=initial)
        return self.render_to_response(self.get_context_data(form=form, kpi=kpi))

    def post(self, request, code, key):
        kpi = self.get_kpi()
        form = KpiForm(request.POST, program=self.program)
        status = 400
        if form.is_valid():
            changes = form.changes()
            try:
                kpi = services.kpi_update(
                    actor=request.user,
                    kpi=kpi,
                    expected_version=form.cleaned_data["version"],
                    **changes,
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                messages.success(request, f"{kpi.key} saved.")
                return redirect(detail_url(code, kpi.key))
        return self.render_to_response(self.get_context_data(form=form, kpi=kpi), status=status)


class KpiDeleteView(KpiMixin, TemplateView):
    permission_action = "kpi.change"
    template_name = "reporting/kpis/kpi_confirm_delete.html"

    def get(self, request, code, key):
        kpi = self.get_kpi()
        has_values = KpiValue.objects.filter(definition=kpi).exists()
        return self.render_to_response(self.get_context_data(kpi=kpi, has_values=has_values))

    def post(self, request, code, key):
        kpi = self.get_kpi()
        try:
            services.kpi_delete(
                actor=request.user, kpi=kpi, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
            return redirect(detail_url(code, kpi.key))
        except Refused as exc:
            messages.error(request, exc.reason)
            return redirect(detail_url(code, kpi.key))
        messages.success(request, f"{kpi.key} {kpi.name} deleted.")
        return redirect(list_url(code))


class KpiStandardView(KpiMixin, TemplateView):
    """POST: add a KPI for every registry source the program has none of yet."""

    permission_action = "kpi.change"

    def get(self, request, code):
        return redirect(list_url(code))

    def post(self, request, code):
        added = services.kpi_standard_add(actor=request.user, program=self.program)
        if added:
            messages.success(
                request,
                f"{len(added)} standard KPI{'s' if len(added) != 1 else ''} added "
                f"({added[0].key}\u2013{added[-1].key}). Record this week to see their values.",
            )
        else:
            messages.info(request, "Every standard KPI is already in the registry.")
        return redirect(list_url(code))


class KpiRecordView(KpiMixin, TemplateView):
    """POST: compute this week's value of every active computed KPI now (what the nightly
    task does)."""

    permission_action = "kpi.change"

    def get(self, request, code):
        return redirect(list_url(code))

    def post(self, request, code):
        period = selectors.current_period(self.program)
        counts = services.record_week(self.program, period, actor=request.user)
        done = counts["created"] + counts["updated"] + counts["unchanged"]
        if not done and not counts["failed"]:
            messages.info(request, "No active computed KPI to record: add the standard KPIs.")
        else:
            text = f"{period} recorded: {done} KPI{'s' if done != 1 else ''}"
            text += f" ({counts['updated']} updated)." if counts["updated"] else "."
            if counts["failed"]:
                messages.warning(
                    request,
                    text + f" {counts['failed']} could not be computed; the error is logged.",
                )
            else:
                messages.success(request, text)
        return redirect(list_url(code))


class KpiValueCreateView(KpiDetailView):
    """POST: enter (or correct) a manual KPI's value for a week. GET goes to the KPI's page,
    where the form is."""

    permission_action = "kpi.record"

    def get(self, request, code, key):
        return redirect(detail_url(code, self.get_kpi().key, "enter-value"))

    def post(self, request, code, key):
        kpi = self.get_kpi()
        form = KpiValueForm(request.POST, program=self.program)
        status = 400
        if form.is_valid():
            try:
                value = services.kpi_value_enter(actor=request.user, kpi=kpi, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                messages.error(request, exc.reason)
                return redirect(detail_url(code, kpi.key))
            else:
                shown = selectors.format_value(value.value, kpi.unit, self.program.currency)
                messages.success(request, f"{value.period}: {shown} entered for {kpi.key}.")
                return redirect(detail_url(code, kpi.key, "values"))
        return self.render_to_response(self.get_context_data(kpi=kpi, form=form), status=status)
