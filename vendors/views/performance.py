"""Vendor performance pages: scorecards (all vendors for a period, one vendor with its trend),
SLAs with their measurements (recorded inline with htmx), escalations and their steps, and the
vendor portal's own scorecard and SLAs.

Forms keep what was typed and show the error (400); a stale version shows what changed meanwhile
(409); a step the object's state refuses shows the reason (409). Steps and small forms open in
the shared modal through htmx and are full pages without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.generic import TemplateView

from core.audit import history_for_object
from core.forms import apply_validation_error, posted_version
from core.fragments import fragment_key
from core.htmx import page_or_partial, wants_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from .. import periods as P
from ..forms.performance import (
    ESCALATION_STATUS_COLOURS,
    EscalateForm,
    EscalationForm,
    FinishForm,
    MeasurementForm,
    ReopenForm,
    ScorecardPeriodForm,
    ServiceLevelForm,
    period_choices,
)
from ..models import EscalationLevel, EscalationStatus, Vendor
from ..selectors import performance as selectors
from ..services import performance as services
from ..services.errors import Refused
from .mixins import PortalViewMixin

SCORECARD_NAV = "vendors:scorecard_list"
SLA_NAV = "vendors:sla_list"
ESCALATION_NAV = "vendors:escalation_list"
PORTAL_NAV = "vendors:portal_scorecard"


def url_or_none(name: str, **kwargs) -> str | None:
    """A URL of another vendors area that may not be routed (then no link is shown)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def done(request, url: str) -> HttpResponse:
    """After a saved form: htmx follows HX-Redirect, a plain form a 302."""
    if getattr(request, "htmx", None):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def sla_url(code: str, pk: int, anchor: str = "") -> str:
    url = reverse("vendors:sla_detail", kwargs={"code": code, "pk": pk})
    return f"{url}#{anchor}" if anchor else url


def escalation_url(code: str, key: str) -> str:
    return reverse("vendors:escalation_detail", kwargs={"code": code, "key": key})


class PeriodMixin:
    """The scorecard period from `?period=` / `?kind=`, and the picker's options."""

    def period_context(self) -> dict:
        today = services.program_today(self.program)
        form = ScorecardPeriodForm(self.request.GET or None)
        period = form.period_for(today) if self.request.GET else P.Period.default(today)
        self.today, self.period = today, period
        return {
            "period": period,
            "today": today,
            "period_options": period_choices(today, period.kind),
            "previous_period": period.previous(),
            "next_period": period.shift(1)
            if period.shift(1).start <= P.Period.containing(today, period.kind).start
            else None,
            "other_kind": P.Period.containing(
                min(period.end, today), P.MONTH if period.kind == P.QUARTER else P.QUARTER
            ),
        }


# --- scorecards -----------------------------------------------------------------------------


class ScorecardListView(PeriodMixin, ProgramViewMixin, TemplateView):
    """Every vendor's four measures for one period, coloured, with the movement since the
    previous period."""

    permission_action = "vendor.view"
    nav_section = SCORECARD_NAV
    template_name = "vendors/performance/scorecard_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "scorecard-table")]

    def get_context_data(self, **kwargs):
        context = self.period_context()
        # Only what a row shows of each vendor (its key, name and status).
        vendors = selectors.scorecard_vendors(program=self.program).only(
            "id", "program", "key", "name", "status"
        )
        cards = selectors.scorecards(
            program=self.program, period=self.period, today=self.today, vendors=vendors
        )
        # The rows (table and phone layouts) are cached under a digest of all they show.
        rows_key = fragment_key(
            "scorecard-rows", self.program.code, self.period.slug,
            rows=(selectors.scorecard_signature(card) for card in cards),
        )  # fmt: skip
        return super().get_context_data(
            cards=cards,
            rows_key=rows_key,
            measure_labels=selectors.MEASURE_LABELS,
            thresholds={"green": P.GREEN_AT, "amber": P.AMBER_AT},
            **context,
            **kwargs,
        )


# What the SLA table of a scorecard shows (vendors/performance/_sla_table.html): the SLA and
# its contract's key and vendor's name, nothing more (the full rows cost as much as the page).
SLA_TABLE_FIELDS = (
    "id", "version", "metric", "period", "is_active", "direction", "target", "unit",
    "contract", "contract__key", "vendor", "vendor__name",
)  # fmt: skip


def sla_rows(program, today, **filters) -> list:
    rows = list(
        selectors.service_level_list(program=program, today=today, **filters).only(
            *SLA_TABLE_FIELDS
        )
    )
    for sla in rows:
        sla.attainment = selectors.with_attainment(sla)
        sla.attainment_colour = P.percent_colour(sla.attainment)
    return rows


def sla_table_key(program, slas, *, portal: bool) -> str:
    """The cache key of the SLA table: a digest of every value each row shows."""
    return fragment_key(
        "sla-table", program.code, portal,
        rows=(
            (s.pk, s.version, s.metric, s.contract.key, s.period, s.is_active, s.vendor.name,
             s.direction, s.target, s.unit, s.last_value, s.last_breached, s.last_period_start,
             s.measured, s.breaches)
            for s in slas
        ),
    )  # fmt: skip


def scorecard_body_key(card, trend) -> str:
    """The cache key of one vendor's measures, trend table and chart: a digest of all they
    show (the period's and each trend period's measures)."""
    return fragment_key(
        "scorecard-body", card.period.slug, selectors.scorecard_signature(card),
        rows=selectors.trend_signature(trend),
    )  # fmt: skip


class VendorScorecardView(PeriodMixin, ProgramViewMixin, TemplateView):
    """One vendor: the four measures, their 12-period trend, its SLAs and open escalations."""

    permission_action = "vendor.view"
    nav_section = SCORECARD_NAV
    template_name = "vendors/performance/vendor_scorecard.html"

    def get_context_data(self, **kwargs):
        vendor = selectors.scorecard_vendor_for(program=self.program, key=self.kwargs["key"])
        context = self.period_context()
        card, trend = selectors.scorecard_with_trend(
            program=self.program, vendor=vendor, period=self.period, today=self.today
        )
        slas = sla_rows(self.program, self.today, vendor=vendor)
        return super().get_context_data(
            body_key=scorecard_body_key(card, trend),
            vendor=vendor,
            card=card,
            trend=trend,
            trend_rows=list(zip(trend.periods, trend.rows, strict=True))[::-1],
            chart=trend.chart_data(),
            slas=slas,
            sla_key=sla_table_key(self.program, slas, portal=False),
            escalations=list(
                selectors.escalation_list(
                    program=self.program, vendor=vendor, status=EscalationStatus.OPEN
                )
            ),
            vendor_url=url_or_none("vendors:vendor_detail", code=self.program.code, key=vendor.key),
            can_escalate=self.access.can("escalation.change"),
            **context,
            **kwargs,
        )


# --- SLAs -----------------------------------------------------------------------------------

SLA_STATUS_FILTERS = [
    ("", "All statuses"),
    ("active", "Active"),
    ("breached", "Last measurement breached"),
    ("inactive", "Deactivated"),
]


class SLAMixin(ProgramViewMixin):
    nav_section = SLA_NAV

    def get_sla(self):
        return selectors.service_level_get(program=self.program, pk=self.kwargs["pk"])


class SLAListView(SLAMixin, TemplateView):
    permission_action = "sla.view"
    template_name = "vendors/performance/sla_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "sla-table")]

    def get_context_data(self, **kwargs):
        params = self.request.GET
        today = services.program_today(self.program)
        vendors = list(selectors.scorecard_vendors(program=self.program))
        vendor = next((v for v in vendors if v.key == params.get("vendor")), None)
        status = params.get("status", "")
        status = status if status in dict(SLA_STATUS_FILTERS) else ""
        q = params.get("q", "").strip()[:100]
        rows = selectors.service_level_list(
            program=self.program, today=today, vendor=vendor, status=status, q=q
        )
        page = paginate(self.request, rows, per_page=50)
        for sla in page.object_list:
            sla.attainment = selectors.with_attainment(sla)
            sla.attainment_colour = P.percent_colour(sla.attainment)
        return super().get_context_data(
            page_obj=page,
            vendors=vendors,
            vendor=vendor,
            status=status,
            status_filters=SLA_STATUS_FILTERS,
            q=q,
            filtered=bool(vendor or status or q),
            window_start=selectors.attainment_window_start(today),
            can_change=self.access.can("sla.change"),
            **kwargs,
        )


class SLAFormMixin(SLAMixin):
    template_name = "vendors/performance/sla_form.html"

    def fields_of(self, form) -> dict:
        data = dict(form.cleaned_data)
        data.pop("version", None)
        return data


class SLACreateView(SLAFormMixin, TemplateView):
    permission_action = "sla.change"

    def get(self, request, code):
        initial = {"unit": "%"}
        if request.GET.get("contract"):
            initial["contract"] = request.GET["contract"]
        form = ServiceLevelForm(initial=initial, program=self.program, creating=True)
        return self.render_to_response(self.get_context_data(form=form, creating=True))

    def post(self, request, code):
        form = ServiceLevelForm(request.POST, program=self.program, creating=True)
        if form.is_valid():
            try:
                sla = services.service_level_create(
                    actor=request.user, program=self.program, **self.fields_of(form)
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"SLA “{sla.metric}” added to {sla.contract.key}.")
                return redirect(sla_url(code, sla.pk))
        return self.render_to_response(self.get_context_data(form=form, creating=True), status=400)


class SLAEditView(SLAFormMixin, TemplateView):
    permission_action = "sla.change"

    def get(self, request, code, pk):
        sla = self.get_sla()
        form = ServiceLevelForm(
            program=self.program,
            initial={
                "version": sla.version, "contract": sla.contract_id, "metric": sla.metric,
                "direction": sla.direction, "target": sla.target.normalize(), "unit": sla.unit,
                "period": sla.period,
            },
        )  # fmt: skip
        return self.render_to_response(self.get_context_data(form=form, sla=sla))

    def post(self, request, code, pk):
        sla = self.get_sla()
        form = ServiceLevelForm(request.POST, program=self.program)
        status = 400
        if form.is_valid():
            try:
                sla = services.service_level_update(
                    actor=request.user,
                    service_level=sla,
                    expected_version=form.cleaned_data["version"],
                    **self.fields_of(form),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"SLA “{sla.metric}” saved.")
                return redirect(sla_url(code, sla.pk))
        return self.render_to_response(self.get_context_data(form=form, sla=sla), status=status)


def measurement_context(program, access, sla, form=None) -> dict:
    """The SLA page's measurements section: the table, the figures and the record form."""
    today = services.program_today(program)
    rows = list(selectors.measurement_list(service_level=sla))
    can_record = access.can("sla.record") and sla.is_active
    if form is None and can_record:
        form = MeasurementForm(
            service_level=sla,
            today=today,
            taken={m.period_start for m in rows},
            creating=True,
        )
    for m in rows:
        m.label = P.sla_period_label(sla.period, m.period_start)
    measured = len(rows)
    breaches = sum(1 for m in rows if m.breached)
    return {
        "sla": sla,
        "measurements": rows,
        "measured": measured,
        "breaches": breaches,
        "attainment": P.percent(measured - breaches, measured),
        "form": form if can_record else None,
        "can_record": can_record,
        "can_change": access.can("sla.change"),
        "can_escalate": access.can("escalation.change"),
        "chart": {
            "labels": [P.sla_period_short(sla.period, m.period_start) for m in reversed(rows[:24])],
            "values": [float(m.value) for m in reversed(rows[:24])],
            "breached": [m.breached for m in reversed(rows[:24])],
            "target": float(sla.target),
            "unit": sla.unit,
        },
    }


class SLADetailView(SLAMixin, TemplateView):
    """An SLA with its measurements (breaches flagged) and the form to record the next one."""

    permission_action = "sla.view"
    template_name = "vendors/performance/sla_detail.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "measurements")]

    def get_context_data(self, **kwargs):
        sla = kwargs.pop("sla", None) or self.get_sla()
        history = list(history_for_object(sla)[:30])
        context = measurement_context(self.program, self.access, sla, kwargs.pop("form", None))
        return super().get_context_data(
            **context,
            history=history,
            history_more=len(history) == 30,
            contract_url=url_or_none(
                "vendors:contract_detail", code=self.program.code, key=sla.contract.key
            ),
            **kwargs,
        )


class SLAActiveView(SLAMixin, TemplateView):
    """POST: deactivate or reactivate (`active` = 0/1). GET goes back to the SLA."""

    permission_action = "sla.change"

    def get(self, request, code, pk):
        return redirect(sla_url(code, self.get_sla().pk))

    def post(self, request, code, pk):
        sla = self.get_sla()
        active = request.POST.get("active") == "1"
        try:
            sla = services.service_level_set_active(
                actor=request.user,
                service_level=sla,
                active=active,
                expected_version=posted_version(request),
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing changed; review it and try again.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(
                request,
                f"SLA “{sla.metric}” "
                + ("reactivated." if active else "deactivated: no further measurements."),
            )
        return redirect(sla_url(code, sla.pk))


class MeasurementCreateView(SLAMixin, TemplateView):
    """Record a measurement. htmx posts from the SLA page and gets the measurements section
    back (with the form's errors when refused); without htmx, a page of its own."""

    permission_action = "sla.record"
    template_name = "vendors/performance/sla_detail.html"

    def get_template_names(self):
        if wants_partial(self.request):
            return [f"{self.template_name}#measurements"]
        return ["vendors/performance/measurement_form.html"]

    def get(self, request, code, pk):
        sla = self.get_sla()
        context = measurement_context(self.program, self.access, sla)
        return self.render_to_response(self.get_context_data(**context, creating=True))

    def post(self, request, code, pk):
        sla = self.get_sla()
        today = services.program_today(self.program)
        taken = set(sla.measurements.values_list("period_start", flat=True))
        form = MeasurementForm(
            request.POST, service_level=sla, today=today, taken=taken, creating=True
        )
        status = 400
        if form.is_valid():
            try:
                measurement = services.measurement_record(
                    actor=request.user, service_level=sla, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                label = P.sla_period_label(sla.period, measurement.period_start)
                text = f"{label} recorded" + (
                    ": breached the target." if measurement.breached else "."
                )
                if wants_partial(request):
                    context = measurement_context(self.program, self.access, sla)
                    context["saved"] = measurement.pk
                    context["saved_text"] = text
                    return self.render_to_response(self.get_context_data(**context))
                messages.success(request, text)
                return redirect(sla_url(code, sla.pk, "measurements"))
        context = measurement_context(self.program, self.access, sla, form=form)
        return self.render_to_response(
            self.get_context_data(**context, creating=True), status=status
        )


class MeasurementMixin(SLAMixin):
    def get_measurement(self):
        return selectors.measurement_get(program=self.program, pk=self.kwargs["pk"])


class MeasurementEditView(MeasurementMixin, TemplateView):
    permission_action = "sla.record"
    template_name = "vendors/performance/measurement_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "measurement-form")]

    def render_form(self, measurement, form, status=200):
        sla = measurement.service_level
        return self.render_to_response(
            self.get_context_data(
                sla=sla,
                measurement=measurement,
                form=form,
                label=P.sla_period_label(sla.period, measurement.period_start),
            ),
            status=status,
        )

    def get(self, request, code, pk):
        measurement = self.get_measurement()
        form = MeasurementForm(
            service_level=measurement.service_level,
            initial={
                "version": measurement.version,
                "value": measurement.value.normalize(),
                "note": measurement.note,
            },
        )
        return self.render_form(measurement, form)

    def post(self, request, code, pk):
        measurement = self.get_measurement()
        form = MeasurementForm(request.POST, service_level=measurement.service_level)
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                measurement = services.measurement_update(
                    actor=request.user,
                    measurement=measurement,
                    expected_version=version,
                    **data,
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, "Measurement corrected.")
                return done(request, sla_url(code, measurement.service_level_id, "measurements"))
        return self.render_form(measurement, form, status)


class MeasurementDeleteView(MeasurementMixin, TemplateView):
    permission_action = "sla.change"
    template_name = "vendors/performance/measurement_confirm_delete.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "delete-form")]

    def get(self, request, code, pk):
        measurement = self.get_measurement()
        sla = measurement.service_level
        return self.render_to_response(
            self.get_context_data(
                measurement=measurement,
                sla=sla,
                label=P.sla_period_label(sla.period, measurement.period_start),
            )
        )

    def post(self, request, code, pk):
        measurement = self.get_measurement()
        sla_pk = measurement.service_level_id
        try:
            services.measurement_delete(
                actor=request.user,
                measurement=measurement,
                expected_version=posted_version(request),
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        else:
            messages.success(request, "Measurement deleted; the history keeps its value.")
        return done(request, sla_url(code, sla_pk, "measurements"))


# --- escalations ----------------------------------------------------------------------------


class EscalationMixin(ProgramViewMixin):
    nav_section = ESCALATION_NAV

    def get_escalation(self):
        return selectors.escalation_get(program=self.program, key=self.kwargs["key"])


class EscalationListView(EscalationMixin, TemplateView):
    permission_action = "escalation.view"
    template_name = "vendors/performance/escalation_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "escalation-table")]

    def get_context_data(self, **kwargs):
        params = self.request.GET
        vendors = list(Vendor.objects.filter(program=self.program).order_by("name"))
        vendor = next((v for v in vendors if v.key == params.get("vendor")), None)
        try:
            level = int(params.get("level") or 0)
        except ValueError:
            level = 0
        level = level if level in EscalationLevel.values else 0
        q = params.get("q", "").strip()[:100]
        base = selectors.escalation_list(program=self.program, vendor=vendor, level=level, q=q)
        counts = selectors.escalation_status_counts(queryset=base)
        status = params.get("status", EscalationStatus.OPEN if not params else "")
        status = status if status in EscalationStatus.values else ""
        rows = base.filter(status=status) if status else base
        return super().get_context_data(
            page_obj=paginate(self.request, rows, per_page=50),
            vendors=vendors,
            vendor=vendor,
            level=level,
            levels=EscalationLevel.choices,
            q=q,
            status=status,
            tabs=[
                (
                    value,
                    EscalationStatus(value).label,
                    counts[value],
                    ESCALATION_STATUS_COLOURS[value],
                )
                for value in EscalationStatus.values
            ],
            total=sum(counts.values()),
            filtered=bool(vendor or level or q),
            today=services.program_today(self.program),
            can_change=self.access.can("escalation.change"),
            **kwargs,
        )


class EscalationDetailView(EscalationMixin, TemplateView):
    permission_action = "escalation.view"
    template_name = "vendors/performance/escalation_detail.html"

    def get_context_data(self, **kwargs):
        escalation = self.get_escalation()
        history = list(history_for_object(escalation)[:30])
        code = self.program.code
        return super().get_context_data(
            escalation=escalation,
            steps=selectors.escalation_level_history(escalation=escalation),
            history=history,
            history_more=len(history) == 30,
            status_colour=ESCALATION_STATUS_COLOURS[escalation.status],
            levels=EscalationLevel.choices,
            today=services.program_today(self.program),
            can_change=self.access.can("escalation.change"),
            vendor_url=url_or_none("vendors:vendor_detail", code=code, key=escalation.vendor.key),
            scorecard_url=reverse(
                "vendors:vendor_scorecard", kwargs={"code": code, "key": escalation.vendor.key}
            ),
            contract_url=escalation.contract
            and url_or_none("vendors:contract_detail", code=code, key=escalation.contract.key),
            **kwargs,
        )


class EscalationFormMixin(EscalationMixin):
    template_name = "vendors/performance/escalation_form.html"

    def fields_of(self, form) -> dict:
        data = dict(form.cleaned_data)
        data.pop("version", None)
        return data


class EscalationCreateView(EscalationFormMixin, TemplateView):
    permission_action = "escalation.change"

    def get(self, request, code):
        initial = {"owner": request.user.pk}
        vendor_key = request.GET.get("vendor")
        if vendor_key:
            vendor = Vendor.objects.filter(program=self.program, key=vendor_key).first()
            if vendor is not None:
                initial["vendor"] = vendor.pk
        form = EscalationForm(initial=initial, program=self.program, creating=True)
        return self.render_to_response(self.get_context_data(form=form, creating=True))

    def post(self, request, code):
        form = EscalationForm(request.POST, program=self.program, creating=True)
        if form.is_valid():
            try:
                escalation = services.escalation_create(
                    actor=request.user, program=self.program, **self.fields_of(form)
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{escalation.key} raised with {escalation.vendor.name}.")
                return redirect(escalation_url(code, escalation.key))
        return self.render_to_response(self.get_context_data(form=form, creating=True), status=400)


class EscalationFromBreachView(EscalationFormMixin, TemplateView):
    """Raise a level-1 escalation from a breached measurement, prefilled from the breach."""

    permission_action = "escalation.change"

    def get_measurement(self):
        measurement = selectors.measurement_get(program=self.program, pk=self.kwargs["pk"])
        try:
            initial = services.escalation_from_breach_initial(measurement)
        except Refused as exc:
            raise Http404(exc.reason) from exc
        return measurement, initial

    def context(self, measurement, form) -> dict:
        sla = measurement.service_level
        return {
            "form": form,
            "creating": True,
            "breach": measurement,
            "sla": sla,
            "breach_label": P.sla_period_label(sla.period, measurement.period_start),
        }

    def get(self, request, code, pk):
        measurement, initial = self.get_measurement()
        form = EscalationForm(
            initial={
                **initial,
                "vendor": initial["vendor"].pk,
                "contract": initial["contract"].pk,
                "owner": request.user.pk,
            },
            program=self.program,
            creating=True,
        )
        return self.render_to_response(self.get_context_data(**self.context(measurement, form)))

    def post(self, request, code, pk):
        measurement, _initial = self.get_measurement()
        form = EscalationForm(request.POST, program=self.program, creating=True)
        if form.is_valid():
            try:
                escalation = services.escalation_create(
                    actor=request.user, program=self.program, **self.fields_of(form)
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{escalation.key} raised from the breach.")
                return redirect(escalation_url(code, escalation.key))
        return self.render_to_response(
            self.get_context_data(**self.context(measurement, form)), status=400
        )


class EscalationEditView(EscalationFormMixin, TemplateView):
    permission_action = "escalation.change"

    def problem(self, escalation) -> str:
        if escalation.status != EscalationStatus.OPEN:
            return (
                f"{escalation.key} is {escalation.get_status_display().lower()}; reopen it "
                "before editing it."
            )
        return ""

    def get(self, request, code, key):
        escalation = self.get_escalation()
        form = EscalationForm(
            program=self.program,
            initial={
                "version": escalation.version, "title": escalation.title,
                "reason": escalation.reason, "owner": escalation.owner_id,
                "contract": escalation.contract_id, "raised_on": escalation.raised_on,
                "respond_by": escalation.respond_by,
            },
        )  # fmt: skip
        return self.render_to_response(
            self.get_context_data(
                form=form, escalation=escalation, problem=self.problem(escalation)
            )
        )

    def post(self, request, code, key):
        escalation = self.get_escalation()
        form = EscalationForm(request.POST, program=self.program)
        status = 400
        if form.is_valid():
            data = self.fields_of(form)
            if data.get("raised_on") is None:
                data.pop("raised_on", None)
            try:
                escalation = services.escalation_update(
                    actor=request.user,
                    escalation=escalation,
                    expected_version=form.cleaned_data["version"],
                    **data,
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
                messages.success(request, f"{escalation.key} saved.")
                return redirect(escalation_url(code, escalation.key))
        return self.render_to_response(
            self.get_context_data(form=form, escalation=escalation), status=status
        )


class EscalationStepView(EscalationMixin, TemplateView):
    """One step with its small form: escalate, resolve, close or reopen."""

    permission_action = "escalation.change"
    template_name = "vendors/performance/escalation_step.html"
    step = ""
    steps = {
        # step: (title, button, icon, button class, allowed from open?)
        "escalate": ("Escalate to the next level", "Escalate", "ti-arrow-big-up-lines",
                     "btn-warning", True),
        "resolve": ("Resolve", "Resolve", "ti-circle-check", "btn-success", True),
        "close": ("Close without resolution", "Close", "ti-circle-x", "btn-secondary", True),
        "reopen": ("Reopen", "Reopen", "ti-refresh", "btn-primary", False),
    }  # fmt: skip

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "step-form")]

    def make_form(self, data=None, escalation=None):
        initial = {"version": escalation.version} if escalation is not None else None
        if self.step == "escalate":
            return EscalateForm(data, initial=initial, program=self.program)
        if self.step in ("resolve", "close"):
            return FinishForm(data, initial=initial, closing=self.step == "close")
        return ReopenForm(data, initial=initial)

    def problem(self, escalation) -> str:
        from_open = self.steps[self.step][4]
        if from_open and escalation.status != EscalationStatus.OPEN:
            return (
                f"{escalation.key} is {escalation.get_status_display().lower()}; reopen it first."
            )
        if not from_open and escalation.status == EscalationStatus.OPEN:
            return f"{escalation.key} is already open."
        if self.step == "escalate" and escalation.level >= max(EscalationLevel.values):
            return f"{escalation.key} is already at the highest level (formal dispute)."
        return ""

    def render_step(self, escalation, form, status=200):
        title, button, icon, css, _ = self.steps[self.step]
        next_level = (
            EscalationLevel(escalation.level + 1).label
            if escalation.level < max(EscalationLevel.values)
            else None
        )
        return self.render_to_response(
            self.get_context_data(
                escalation=escalation, form=form, step=self.step, step_title=title,
                button=button, icon=icon, button_class=css, next_level=next_level,
                problem=self.problem(escalation),
                form_url=reverse(f"vendors:escalation_{self.step}",
                                 kwargs={"code": self.program.code, "key": escalation.key}),
            ),
            status=status,
        )  # fmt: skip

    def get(self, request, code, key):
        escalation = self.get_escalation()
        return self.render_step(escalation, self.make_form(escalation=escalation))

    def post(self, request, code, key):
        escalation = self.get_escalation()
        form = self.make_form(request.POST)
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            service = getattr(services, f"escalation_{self.step}")
            try:
                escalation = service(
                    actor=request.user, escalation=escalation, expected_version=version, **data
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
                messages.success(request, self.success_text(escalation))
                return done(request, escalation_url(code, escalation.key))
        return self.render_step(escalation, form, status)

    def success_text(self, escalation) -> str:
        return {
            "escalate": f"{escalation.key} escalated to level {escalation.level}.",
            "resolve": f"{escalation.key} resolved.",
            "close": f"{escalation.key} closed without resolution.",
            "reopen": f"{escalation.key} reopened.",
        }[self.step]


class EscalationEscalateView(EscalationStepView):
    step = "escalate"


class EscalationResolveView(EscalationStepView):
    step = "resolve"


class EscalationCloseView(EscalationStepView):
    step = "close"


class EscalationReopenView(EscalationStepView):
    step = "reopen"


# --- the vendor portal ----------------------------------------------------------------------


class PortalScorecardView(PeriodMixin, PortalViewMixin, TemplateView):
    """The bound vendor's own scorecard, trend, SLAs and recent measurements (no internal
    notes, no other vendor)."""

    nav_section = PORTAL_NAV
    template_name = "vendors/performance/portal_scorecard.html"

    def get_context_data(self, **kwargs):
        context = self.period_context()
        card, trend = selectors.scorecard_with_trend(
            program=self.program, vendor=self.vendor, period=self.period, today=self.today
        )
        slas = sla_rows(self.program, self.today, vendor=self.vendor)
        return super().get_context_data(
            body_key=scorecard_body_key(card, trend),
            card=card,
            trend=trend,
            trend_rows=list(zip(trend.periods, trend.rows, strict=True))[::-1],
            chart=trend.chart_data(),
            slas=slas,
            sla_key=sla_table_key(self.program, slas, portal=True),
            escalations=list(
                selectors.escalation_list(
                    program=self.program, vendor=self.vendor, status=EscalationStatus.OPEN
                )
            ),
            **context,
            **kwargs,
        )


class PortalSLAListView(PortalViewMixin, TemplateView):
    """The bound vendor's SLAs and their measurements over the last 12 months."""

    nav_section = PORTAL_NAV
    template_name = "vendors/performance/portal_slas.html"

    def get_context_data(self, **kwargs):
        today = services.program_today(self.program)
        since = selectors.attainment_window_start(today)
        slas = sla_rows(self.program, today, vendor=self.vendor)
        rows = list(selectors.measurements_for_vendor(vendor=self.vendor, since=since))
        by_sla: dict[int, list] = {}
        for m in rows:
            m.label = P.sla_period_label(m.service_level.period, m.period_start)
            by_sla.setdefault(m.service_level_id, []).append(m)
        for sla in slas:
            sla.recent = by_sla.get(sla.pk, [])
        return super().get_context_data(slas=slas, since=since, **kwargs)
