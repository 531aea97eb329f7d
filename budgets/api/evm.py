"""Earned value API, under /api/v1/programs/<code>/budget/evm/: the EVM page's figures.

Money is a decimal string to the cent in the program's `currency`; indices and percentages are
decimal strings to two decimals; a measure whose denominator is zero is null (see
`budgets.evm`). `?status_date=YYYY-MM-DD` picks the status date (default: today in the
program's time zone); a bad one answers 400 with the reason.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api.schema import FORBIDDEN, NOT_FOUND, UNAUTHORIZED, VALIDATION_ERROR
from core.api.views import ApiView
from programs.api.views import ProgramScopedMixin

from .. import evm
from ..selectors.evm import Report, Row, evm_report
from ..views.evm import status_date_from

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
STATUS_DATE = OpenApiParameter(
    "status_date",
    OpenApiTypes.DATE,
    description="The status date (YYYY-MM-DD, within the program); default: today.",
)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _amount(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(14, 2, read_only=True, allow_null=True, **kwargs)


def _index(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(9, 2, read_only=True, allow_null=True, **kwargs)


class EvmEacSerializer(serializers.Serializer):
    formula = serializers.CharField()
    eac = _amount(help_text="Estimate at completion; null when the formula's index is.")
    etc = _amount(help_text="EAC - AC.")
    vac = _amount(help_text="BAC - EAC (negative = overrun).")
    tcpi = _index(help_text="(BAC - EV) / (EAC - AC).")


class EvmEacSetSerializer(serializers.Serializer):
    cpi = EvmEacSerializer(help_text="BAC / CPI.")
    cpi_spi = EvmEacSerializer(help_text="AC + (BAC - EV) / (CPI x SPI).")
    budget = EvmEacSerializer(help_text="AC + (BAC - EV).")


class EvmMeasuresSerializer(serializers.Serializer):
    bac = _amount(help_text="Current budget (original + approved change orders).")
    pv = _amount(help_text="Time-phased current budget to the status date.")
    ev = _amount(help_text="BAC x weighted percent complete.")
    ac = _amount(help_text="Actual costs booked to the status date's month and before.")
    sv = _amount(help_text="EV - PV.")
    cv = _amount(help_text="EV - AC.")
    sv_percent = _index(help_text="SV / PV x 100.")
    cv_percent = _index(help_text="CV / EV x 100.")
    spi = _index(help_text="EV / PV; null when PV = 0.")
    cpi = _index(help_text="EV / AC; null when AC = 0.")
    spi_status = serializers.CharField(help_text="red (< 0.95), yellow (< 1.00), green, secondary.")
    cpi_status = serializers.CharField(help_text="red (< 0.95), yellow (< 1.00), green, secondary.")
    tcpi_bac = _index(help_text="(BAC - EV) / (BAC - AC); null when the budget is spent.")
    percent_complete = _index(help_text="EV / BAC x 100.")
    percent_spent = _index(help_text="AC / BAC x 100.")
    percent_scheduled = _index(help_text="PV / BAC x 100.")
    eac = EvmEacSetSerializer()


class EvmWorkstreamSerializer(EvmMeasuresSerializer):
    key = serializers.CharField()
    name = serializers.CharField()
    weighting = serializers.CharField(
        help_text="What percent complete is weighted by: cost, duration, count, or empty."
    )
    items = serializers.IntegerField(help_text="Leaf WBS items of the workstream.")
    from_snapshot = serializers.BooleanField(help_text="EV from the month's snapshot.")


class EvmCurvePointSerializer(serializers.Serializer):
    date = serializers.DateField()
    pv = _amount(help_text="Cumulative planned value at the end of the date.")
    ev = _amount(help_text="Earned value (history from snapshots; null where unknown).")
    ac = _amount(help_text="Cumulative actual cost (null after the status date).")
    is_status = serializers.BooleanField()


class EarnedValueSerializer(serializers.Serializer):
    currency = serializers.CharField()
    status_date = serializers.DateField()
    schedule_status_date = serializers.DateField(allow_null=True)
    baseline = serializers.CharField(
        allow_null=True, help_text="The schedule's current baseline, if any."
    )
    has_budget = serializers.BooleanField()
    has_schedule = serializers.BooleanField()
    program = EvmMeasuresSerializer()
    workstreams = EvmWorkstreamSerializer(many=True)
    curve = EvmCurvePointSerializer(many=True)
    eac_projection = serializers.ListField(
        child=serializers.DictField(),
        help_text="[{date, value}, {date, value}]: AC at the status date to EAC (CPI) at the "
        "end of the budget; empty when EAC (CPI) is null.",
    )
    bottom_up_eac = _amount(help_text="The budget's EAC from actuals and forecasts (ledger).")
    notes = serializers.ListField(child=serializers.CharField())


def _measures(row: Row) -> dict[str, Any]:
    shown = row.shown
    eac = {
        method: {
            "formula": values["formula"],
            "eac": _text(values["eac"]),
            "etc": _text(values["etc"]),
            "vac": _text(values["vac"]),
            "tcpi": _text(values["tcpi"]),
        }
        for method, values in shown["eac"].items()
    }
    plain = {name: _text(value) for name, value in shown.items() if name != "eac"}
    return {**plain, "spi_status": row.spi_status, "cpi_status": row.cpi_status, "eac": eac}


def report_json(report: Report) -> dict[str, Any]:
    projection = report.eac_projection
    return {
        "currency": report.program.currency,
        "status_date": _day(report.status_date),
        "schedule_status_date": _day(report.schedule_status_date),
        "baseline": report.baseline.name if report.baseline else None,
        "has_budget": report.has_budget,
        "has_schedule": report.has_schedule,
        "program": _measures(report.total),
        "workstreams": [
            {
                "key": row.key,
                "name": row.name,
                "weighting": row.progress.basis,
                "items": row.progress.items,
                "from_snapshot": row.from_snapshot,
                **_measures(row),
            }
            for row in report.rows
        ],
        "curve": [
            {
                "date": _day(point.day),
                "pv": _text(evm.money(point.pv)),
                "ev": _text(evm.money(point.ev)),
                "ac": _text(evm.money(point.ac)),
                "is_status": point.is_status,
            }
            for point in report.points
        ],
        "eac_projection": [
            {"date": _day(day), "value": _text(evm.money(value))} for day, value in projection
        ]
        if projection
        else [],
        "bottom_up_eac": _text(evm.money(report.bottom_up_eac)),
        "notes": report.notes,
    }


class EarnedValueView(ProgramScopedMixin, ApiView):
    """Earned value of the program and each workstream at a status date, with the S-curve."""

    permission_actions = {"get": "budget.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_evm_retrieve",
        parameters=[CODE, STATUS_DATE],
        responses={
            200: EarnedValueSerializer, 400: VALIDATION_ERROR, 401: UNAUTHORIZED,
            403: FORBIDDEN, 404: NOT_FOUND,
        },
        tags=["budget"],
    )  # fmt: skip
    def get(self, request, code: str):
        form, status_date, refused = status_date_from(request.query_params, self.program)
        if refused:
            errors = form.errors.get_json_data()
            raise ValidationError(
                {field: [error["message"] for error in items] for field, items in errors.items()}
            )
        return Response(report_json(evm_report(self.program, status_date=status_date)))
