"""The program calendar: working weekdays and settings, holidays (by hand or from .ics), a month
view of non-working days, and the secret-token iCalendar feed of milestones and deadlines."""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import hashlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from core.forms import VersionedForm, apply_validation_error, posted_version
from core.htmx import page_or_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin

from .. import ical, services
from ..models import Holiday, Item, ItemKind, Schedule

WEEKDAYS = [(str(i), pycal.day_name[i]) for i in range(7)]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTHS_SHOWN = 3


def _calendar_url(code: str) -> str:
    return reverse("schedules:calendar", kwargs={"code": code})


def _done(request, code: str, anchor: str = ""):
    """After a successful modal or page form: back to the calendar (htmx: a full reload).

    The htmx redirect carries no #anchor: from the calendar page itself that would only scroll,
    not reload, and the modal would stay open over stale data.
    """
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _calendar_url(code)
        return response
    return redirect(_calendar_url(code) + (f"#{anchor}" if anchor else ""))


def feed_urls(schedule: Schedule) -> dict[str, str]:
    """The subscription address in https:// (or http://) and webcal:// form."""
    path = reverse("schedule_feed", kwargs={"token": schedule.feed_token})
    https = settings.SITE_URL.rstrip("/") + path
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[-1]}


def holiday_get(*, program, pk) -> Holiday:
    try:
        return Holiday.objects.get(program=program, pk=int(pk))
    except (Holiday.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404("No such holiday in this program") from exc


# --- forms --------------------------------------------------------------------------------------


class ScheduleSettingsForm(VersionedForm):
    weekdays = forms.MultipleChoiceField(
        label="Working weekdays",
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Pick at least one working weekday."},
    )
    project_start = forms.DateField(
        required=False,
        widget=DATE,
        help_text="Tasks without predecessors start here. Empty: the program's start date.",
    )
    status_date = forms.DateField(
        required=False,
        widget=DATE,
        help_text="Remaining work of started tasks is scheduled from this date. Empty: none.",
    )
    slip_threshold_days = forms.IntegerField(
        label="Slip threshold (working days)",
        min_value=0,
        max_value=365,
        help_text="Milestones later than their baseline by more than this are reported as slipped.",
    )

    def clean_weekdays(self):
        return sorted(int(d) for d in self.cleaned_data["weekdays"])


class HolidayForm(VersionedForm):
    name = forms.CharField(max_length=200)
    start = forms.DateField(widget=DATE, label="First day")
    finish = forms.DateField(
        widget=DATE, label="Last day", required=False, help_text="Empty: a single day."
    )

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]

    def clean(self):
        data = super().clean()
        start, finish = data.get("start"), data.get("finish")
        if start and not finish:
            data["finish"] = start
        elif start and finish and finish < start:
            self.add_error("finish", "The last day cannot be before the first day.")
        return data


class IcsImportForm(forms.Form):
    file = forms.FileField(
        label="iCalendar file (.ics)",
        help_text="Each event becomes a holiday from its first to its last day. Importing the "
        "same file again updates those holidays instead of adding copies.",
        widget=forms.ClearableFileInput(attrs={"accept": ".ics,text/calendar"}),
    )


# --- the month view -----------------------------------------------------------------------------


def _first_of_month(value: str | None, today: dt.date) -> dt.date:
    try:
        year, month = (int(p) for p in (value or "").split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def _add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_grid(
    *,
    first: dt.date,
    weekdays: list[int],
    holidays: list[Holiday],
    milestones: list[dict],
    today: dt.date,
    count: int = MONTHS_SHOWN,
) -> list[dict]:
    """`count` months from `first`: weeks of day cells (Monday first) with what each day is."""
    end = _add_months(first, count)
    off: dict[dt.date, str] = {}
    for h in holidays:
        day = max(h.start, first)
        while day <= h.finish and day < end:
            off.setdefault(day, h.name)
            day += dt.timedelta(days=1)
    by_day: dict[dt.date, list[dict]] = {}
    for m in milestones:
        by_day.setdefault(m["finish"], []).append(m)
    months = []
    cal = pycal.Calendar(firstweekday=0)
    for i in range(count):
        month = _add_months(first, i)
        weeks = []
        for week in cal.monthdatescalendar(month.year, month.month):
            cells = []
            for day in week:
                holiday = off.get(day)
                cells.append(
                    {
                        "date": day,
                        "in_month": day.month == month.month,
                        "working": day.weekday() in weekdays and holiday is None,
                        "weekend": day.weekday() not in weekdays,
                        "holiday": holiday,
                        "today": day == today,
                        "milestones": by_day.get(day, []),
                    }
                )
            weeks.append(cells)
        non_working = sum(
            1 for w in weeks for c in w if c["in_month"] and c["holiday"] and not c["weekend"]
        )
        months.append({"first": month, "weeks": weeks, "holiday_days": non_working})
    return months


# --- pages --------------------------------------------------------------------------------------


class CalendarView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.view"
    nav_section = "schedules:calendar"
    template_name = "schedules/calendar.html"

    def get_template_names(self):
        partial = (
            "calendar-holidays"
            if self.request.GET.get("part") == "holidays"
            else ("calendar-months")
        )
        return [page_or_partial(self.request, self.template_name, partial)]

    def get_context_data(self, **kwargs):
        program = self.program
        schedule = services.schedule_for(program)
        today = timezone.localdate()
        first = _first_of_month(self.request.GET.get("month"), today)
        holidays = list(Holiday.objects.filter(program=program).order_by("start", "finish"))
        show_all = self.request.GET.get("holidays") == "all"
        upcoming = [h for h in holidays if h.finish >= today]
        window_end = _add_months(first, MONTHS_SHOWN)
        milestones = list(
            Item.objects.filter(
                program=program,
                kind=ItemKind.MILESTONE,
                finish__gte=first,
                finish__lt=window_end,
            )
            .order_by("finish", "outline_path")
            .values("key", "name", "finish", "critical")
        )
        weekdays = schedule.weekdays or [0, 1, 2, 3, 4]
        for h in holidays:  # the working days each holiday takes out of the plan
            h.working_days = sum(
                1
                for n in range((h.finish - h.start).days + 1)
                if (h.start + dt.timedelta(days=n)).weekday() in weekdays
            )
        kwargs.setdefault("import_form", IcsImportForm())
        return super().get_context_data(
            schedule=schedule,
            effective_start=schedule.project_start or program.start_date,
            holidays=holidays if show_all else upcoming,
            holiday_total=len(holidays),
            past_count=len(holidays) - len(upcoming),
            show_all=show_all,
            months=month_grid(
                first=first,
                weekdays=weekdays,
                holidays=holidays,
                milestones=milestones,
                today=today,
            ),
            last_month=_add_months(first, MONTHS_SHOWN - 1),
            day_initials=[(pycal.day_abbr[i][:2], pycal.day_name[i]) for i in range(7)],
            weekday_chips=[
                {"name": pycal.day_name[i], "short": pycal.day_abbr[i], "working": i in weekdays}
                for i in range(7)
            ],
            prev_month=_add_months(first, -MONTHS_SHOWN),
            next_month=_add_months(first, MONTHS_SHOWN),
            this_month=today.replace(day=1),
            first_month=first,
            feed=feed_urls(schedule),
            can_settings=self.access.can("schedule.settings"),
            **kwargs,
        )


class ScheduleSettingsView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.settings"
    nav_section = "schedules:calendar"
    template_name = "schedules/calendar_settings.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "settings-form")]

    def get(self, request, code):
        s = services.schedule_for(self.program)
        form = ScheduleSettingsForm(
            initial={
                "version": s.version,
                "weekdays": [str(d) for d in s.weekdays or [0, 1, 2, 3, 4]],
                "project_start": s.project_start,
                "status_date": s.status_date,
                "slip_threshold_days": s.slip_threshold_days,
            }
        )
        return self.render_to_response(self.get_context_data(form=form, schedule=s))

    def post(self, request, code):
        s = services.schedule_for(self.program)
        form = ScheduleSettingsForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                services.schedule_update(
                    actor=request.user, program=self.program, expected_version=version, **data
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, "Calendar settings saved; the schedule was recomputed.")
                return _done(request, code, "schedule-settings")
        return self.render_to_response(self.get_context_data(form=form, schedule=s), status=400)


class HolidayCreateView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.settings"
    nav_section = "schedules:calendar"
    template_name = "schedules/calendar_holiday_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "holiday-form")]

    def get(self, request, code):
        form = HolidayForm(creating=True)
        return self.render_to_response(self.get_context_data(form=form, creating=True))

    def post(self, request, code):
        form = HolidayForm(request.POST, creating=True)
        if form.is_valid():
            try:
                holiday = services.holiday_create(
                    actor=request.user, program=self.program, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Holiday {holiday} added; the schedule was recomputed.")
                return _done(request, code, "holidays")
        return self.render_to_response(self.get_context_data(form=form, creating=True), status=400)


class HolidayEditView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.settings"
    nav_section = "schedules:calendar"
    template_name = "schedules/calendar_holiday_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "holiday-form")]

    def get(self, request, code, pk):
        holiday = holiday_get(program=self.program, pk=pk)
        form = HolidayForm(
            initial={
                "version": holiday.version,
                "name": holiday.name,
                "start": holiday.start,
                "finish": holiday.finish,
            }
        )
        return self.render_to_response(self.get_context_data(form=form, holiday=holiday))

    def post(self, request, code, pk):
        holiday = holiday_get(program=self.program, pk=pk)
        form = HolidayForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                holiday = services.holiday_update(
                    actor=request.user, holiday=holiday, expected_version=version, **data
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Holiday {holiday} saved; the schedule was recomputed.")
                return _done(request, code, "holidays")
        return self.render_to_response(
            self.get_context_data(form=form, holiday=holiday), status=400
        )


class HolidayDeleteView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.settings"
    nav_section = "schedules:calendar"
    template_name = "schedules/calendar_holiday_confirm_delete.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "holiday-delete")]

    def get(self, request, code, pk):
        holiday = holiday_get(program=self.program, pk=pk)
        return self.render_to_response(self.get_context_data(holiday=holiday))

    def post(self, request, code, pk):
        holiday = holiday_get(program=self.program, pk=pk)
        try:
            services.holiday_delete(
                actor=request.user, holiday=holiday, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        else:
            messages.success(request, f"Holiday {holiday} deleted; the schedule was recomputed.")
        return _done(request, code, "holidays")


class IcsImportView(ProgramViewMixin, TemplateView):
    """Upload an .ics file: all its events become holidays, or none do and every problem is
    listed."""

    permission_action = "schedule.settings"
    nav_section = "schedules:calendar"
    template_name = "schedules/calendar_import.html"

    def get(self, request, code):
        return self.render_to_response(self.get_context_data(form=IcsImportForm()))

    def post(self, request, code):
        form = IcsImportForm(request.POST, request.FILES)
        errors: list[str] = []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > ical.MAX_BYTES:
                errors = [
                    f"The file is larger than {ical.MAX_BYTES // (1024 * 1024)} MB; a holiday "
                    "calendar is far smaller. Export only the holidays."
                ]
            else:
                try:
                    result = ical.holidays_import(
                        actor=request.user, program=self.program, content=upload.read()
                    )
                except ical.IcsImportError as exc:
                    errors = exc.errors
                else:
                    messages.success(request, _import_message(upload.name, result))
                    return redirect(_calendar_url(code) + "#holidays")
        context = self.get_context_data(form=form, errors=errors, filename=_filename(form))
        return self.render_to_response(context, status=400)


def _filename(form) -> str:
    upload = form.files.get("file") if form.files else None
    return getattr(upload, "name", "") or ""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _import_message(name: str, result: ical.IcsImportResult) -> str:
    parts = []
    if result.created:
        parts.append(_plural(len(result.created), "holiday") + " added")
    if result.updated:
        parts.append(f"{len(result.updated)} updated")
    if result.unchanged:
        parts.append(f"{result.unchanged} already up to date")
    if result.skipped:
        parts.append(_plural(len(result.skipped), "cancelled event") + " skipped")
    tail = " The schedule was recomputed." if result.created or result.updated else ""
    return f"Imported {name}: " + ", ".join(parts) + "." + tail


class FeedTokenRotateView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.settings"
    template_name = "schedules/calendar.html"

    def get(self, request, code):
        return redirect(_calendar_url(code) + "#feed")

    def post(self, request, code):
        services.schedule_rotate_feed_token(actor=request.user, program=self.program)
        messages.success(
            request,
            "The feed has a new address. The old one stopped working: subscribe again with the "
            "new address below.",
        )
        return redirect(_calendar_url(code) + "#feed")


class FeedView(View):
    """The public iCalendar feed: anyone holding the secret token reads the milestones and
    deadlines; a rotated (or unknown) token answers 404."""

    access_policy = "public"

    def get(self, request, token):
        schedule = Schedule.objects.select_related("program").filter(feed_token=token).first()
        if schedule is None or not token:
            raise Http404("No such calendar feed")
        program = schedule.program
        rows = ical.feed_rows(program=program)
        body = ical.build_feed(
            program=program, rows=rows, site_url=settings.SITE_URL, stamp=schedule.computed_at
        )
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
            response["Content-Disposition"] = (
                f'inline; filename="{program.code.lower()}-milestones.ics"'
            )
        response["ETag"] = etag
        response["Cache-Control"] = "private, max-age=300"
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "no-referrer"
        return response
