"""RACI API, under /api/v1/programs/<code>/governance/raci/: the whole matrix, columns, rows with
their letters, single cells, and the CSV/XLSX exports.

A row's letters travel as `cells`: `{"<column id>": "A", ...}` with R, A, A/R (or AR), C, I. A
write that would leave a row without exactly one A and at least one R answers 400 with the
reason on `cells`, and nothing is saved. Rows and columns carry a version: every write sends it
(If-Match or `version`); 428 without, 412 with the current object when it moved on. A cell's
version is its row's.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.renderers import ORJSONRenderer
from core.api.schema import (
    CONFLICT,
    ETAG,
    FORBIDDEN,
    IF_MATCH,
    NOT_FOUND,
    PRECONDITION_REQUIRED,
    UNAUTHORIZED,
    VALIDATION_ERROR,
    create_schema,
    destroy_schema,
    list_schema,
    retrieve_schema,
    stale_response,
    update_schema,
)
from core.api.serializers import RowSerializer, UserRefSerializer, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet, RowListMixin
from programs.api.views import ProgramScopedMixin
from programs.selectors import member_users
from schedules.models import Item

from ..models.raci import (
    LETTER_TEXT,
    RaciColumn,
    RaciColumnKind,
    RaciLetter,
    RaciRow,
    RaciRowKind,
)
from ..selectors import raci as selectors
from ..services import raci as services

MAX_ID = 2**63 - 1
VERSION_HELP = "The version you edited (or send If-Match)."
CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
ROW_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Row id.")
COLUMN_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Column id."
)
CELL_COLUMN = OpenApiParameter(
    "pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The column's id."
)
LETTER_CHOICES = [*RaciLetter.values, "A/R", ""]
LETTER_HELP = "R, A, A/R (or AR), C or I; empty or null for none."


def _version_field() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


# --- serializers ----------------------------------------------------------------------------------


class RaciColumnSerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=RaciColumnKind.choices)
    user = UserRefSerializer(read_only=True, allow_null=True)
    user_id = serializers.IntegerField(
        write_only=True,
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="For a person column: the user id of a program member.",
    )
    role_name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text='For a role column: its name, e.g. "Steering committee".',
    )
    label = serializers.CharField(read_only=True, help_text="The person's name or the role.")
    position = serializers.IntegerField(
        required=False, min_value=1, help_text="1 is the first column; send it to move one."
    )
    version = _version_field()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        if "user_id" in attrs:
            user_id = attrs.pop("user_id")
            user = None
            if user_id is not None:
                program = self.context["program"]
                user = member_users(program=program).filter(pk=user_id).first()
                if user is None:
                    raise serializers.ValidationError(
                        {"user_id": [f"User {user_id} is not a member of {program.code}."]}
                    )
            attrs["user"] = user
        if self.instance is None:
            kind = attrs.get("kind")
            if kind == RaciColumnKind.PERSON and attrs.get("user") is None:
                raise serializers.ValidationError(
                    {"user_id": ["A person column needs the user id of a program member."]}
                )
            if kind == RaciColumnKind.ROLE and not (attrs.get("role_name") or "").strip():
                raise serializers.ValidationError(
                    {"role_name": ['Name the role, e.g. "Steering committee".']}
                )
        return attrs

    row_fields = (
        "id", "kind", "user_id", "user__full_name", "role_name", "position", "version",
        "created_at", "updated_at",
    )  # fmt: skip

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": r["id"],
            "kind": r["kind"],
            "user": user_ref(r["user_id"], r["user__full_name"]),
            "role_name": r["role_name"],
            "label": r["user__full_name"] if r["kind"] == RaciColumnKind.PERSON else r["role_name"],
            "position": r["position"],
            "version": r["version"],
            "created_at": self.format_datetime(r["created_at"]),
            "updated_at": self.format_datetime(r["updated_at"]),
        }


class CellsField(serializers.DictField):
    """{"<column id>": letter}: the keys must be column ids."""

    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.CharField(allow_blank=True, allow_null=True, max_length=4),
            **kwargs,
        )

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        bad = [key for key in value if not str(key).isdigit()]
        if bad:
            raise serializers.ValidationError(
                f"Keys are column ids (numbers); got {', '.join(repr(k) for k in bad[:5])}."
            )
        return {int(key): letter for key, letter in value.items()}


class RaciRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    item = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=16,
        help_text="The key of a deliverable or milestone (e.g. TSK-12); null for an activity.",
    )
    item_name = serializers.CharField(read_only=True, allow_null=True)
    activity = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="What is done, for a row that is not a plan item.",
    )
    label = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(
        choices=RaciRowKind.choices,
        read_only=True,
        help_text="`removed`: the plan item this row stood for was deleted from the schedule.",
    )
    position = serializers.IntegerField(
        required=False, min_value=1, help_text="1 is the top row; send it to move a row."
    )
    cells = CellsField(
        required=False,
        help_text='{"<column id>": letter} with ' + LETTER_HELP + " Exactly one A (A/R counts) "
        "and at least one R per row. PUT and POST give every letter; PATCH changes only the "
        "columns it names.",
    )
    assignments = serializers.CharField(read_only=True, help_text="The letters as text.")
    version = _version_field()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_item(self, value: str | None) -> Item | None:
        if value is None or value == "":
            return None
        program = self.context["program"]
        item = Item.objects.filter(program=program, key=value.strip().upper()).first()
        if item is None:
            raise serializers.ValidationError(f"There is no item {value} in {program.code}.")
        return item

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        if self.instance is None or not self.partial:
            if "cells" not in attrs:
                raise serializers.ValidationError({"cells": ["Give the row's letters."]})
            if attrs.get("item") is None and not (attrs.get("activity") or "").strip():
                raise serializers.ValidationError(
                    {"activity": ["Give a deliverable or milestone (item) or name the activity."]}
                )
        return attrs

    def to_representation(self, row: RaciRow) -> dict[str, Any]:
        item = row.live_item
        kind = (
            item.kind
            if item is not None
            else ("removed" if row.item_id is not None else "activity")
        )
        letters = getattr(row, "letters", None)
        if letters is None:
            letters = {c.column_id: c.letter for c in row.cells.all()}
        return {
            "id": row.pk,
            "item": item.key if item is not None else None,
            "item_name": item.name if item is not None else None,
            "activity": row.activity,
            "label": row.label,
            "kind": kind,
            "position": row.position,
            "cells": {str(c): LETTER_TEXT[v] for c, v in sorted(letters.items())},
            "assignments": row.assignments,
            "version": row.version,
            "created_at": self._datetime(row.created_at),
            "updated_at": self._datetime(row.updated_at),
        }

    def _datetime(self, value):
        return serializers.DateTimeField().to_representation(value)


class RaciCellSerializer(serializers.Serializer):
    row = serializers.IntegerField(read_only=True)
    column = serializers.IntegerField(read_only=True)
    letter = serializers.CharField(
        allow_blank=True, allow_null=True, max_length=4, help_text=LETTER_HELP
    )
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The row's version (or send If-Match)."
    )


RaciMatrixSerializer = inline_serializer(
    name="RaciMatrix",
    fields={
        "columns": RaciColumnSerializer(many=True),
        "rows": RaciRowSerializer(many=True),
    },
)


# --- views ----------------------------------------------------------------------------------------


def _rows(program) -> Any:
    return selectors.raci_rows(program=program).prefetch_related("cells")


def _row(program, pk) -> RaciRow:
    row = _rows(program).filter(pk=_int(pk)).first()
    if row is None:
        raise Http404("No such row in the RACI matrix")
    return row


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("No such object") from None


class RaciMatrixView(ProgramScopedMixin, ApiView):
    """The whole matrix: its columns and its rows with their letters, in grid order."""

    permission_actions = {"get": "raci.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="raci_matrix_retrieve",
        parameters=[CODE],
        responses={200: RaciMatrixSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["raci"],
    )
    def get(self, request, code: str):
        matrix = selectors.raci_matrix(program=self.program)
        context = {"request": request, "program": self.program}
        rows = []
        for matrix_row in matrix.rows:
            row = matrix_row.row
            row.letters = {
                c.pk: v for c, v in zip(matrix.columns, matrix_row.letters, strict=True) if v
            }
            rows.append(row)
        return Response(
            {
                "columns": RaciColumnSerializer(matrix.columns, many=True, context=context).data,
                "rows": RaciRowSerializer(rows, many=True, context=context).data,
            }
        )


@extend_schema_view(
    list=list_schema(RaciColumnSerializer, parameters=[CODE]),
    create=create_schema(
        RaciColumnSerializer,
        parameters=[CODE],
        description="A person (`kind: person`, `user_id` of a member) or a role (`kind: role`, "
        "`role_name`). New columns go last.",
    ),
    retrieve=retrieve_schema(RaciColumnSerializer, parameters=[CODE, COLUMN_ID]),
    partial_update=update_schema(
        RaciColumnSerializer,
        parameters=[CODE, COLUMN_ID],
        description="Change who or what the column stands for, or move it (`position`).",
    ),
    destroy=destroy_schema(
        RaciColumnSerializer,
        parameters=[CODE, COLUMN_ID],
        description="Removes the column and its letters; refused (400) while it holds a row's "
        "only A or only R.",
    ),
)
@extend_schema(tags=["raci"])
class RaciColumnViewSet(
    ProgramScopedMixin, VersionedMixin, RowListMixin, ServiceCrudMixin, ApiViewSet
):
    """The matrix's columns: people (members of the program) and named roles."""

    service_target = "column"
    permission_actions = {
        "list": "raci.view",
        "retrieve": "raci.view",
        "create": "raci.change",
        "partial_update": "raci.change",
        "destroy": "raci.change",
    }
    queryset = RaciColumn.objects.none()
    serializer_class = RaciColumnSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.raci_columns(program=self.program)

    def get_object(self) -> RaciColumn:
        return selectors.raci_column_get(program=self.program, pk=_int(self.kwargs["id"]))

    def get_object_for(self, column: RaciColumn) -> RaciColumn:
        return selectors.raci_column_get(program=self.program, pk=column.pk)

    def create_service(self, *, actor, program, position=None, **data) -> RaciColumn:
        column = services.raci_column_create(
            actor=actor,
            program=program,
            kind=data["kind"],
            user=data.get("user"),
            role_name=data.get("role_name", ""),
        )
        if position:
            column = services.raci_column_move(
                actor=actor, column=column, expected_version=None, index=position - 1
            )
        return self.get_object_for(column)

    def update_service(self, *, actor, column, expected_version, position=None, **data):
        """The fields, then the move (`position`); a bare version check when neither is sent."""
        with transaction.atomic():
            if data:
                column = services.raci_column_update(
                    actor=actor, column=column, expected_version=expected_version, **data
                )
                expected_version = None
            if position is not None:
                column = services.raci_column_move(
                    actor=actor,
                    column=column,
                    expected_version=expected_version,
                    index=position - 1,
                )
            elif not data:
                services.raci_column_update(
                    actor=actor, column=column, expected_version=expected_version
                )
        return self.get_object_for(column)

    def delete_service(self, **kwargs):
        services.raci_column_delete(**kwargs)


@extend_schema_view(
    list=list_schema(RaciRowSerializer, parameters=[CODE], description="Rows in grid order."),
    create=create_schema(
        RaciRowSerializer,
        parameters=[CODE],
        description="A deliverable or milestone (`item`) or an activity, with its letters. "
        "400 on `cells` when the row would not have exactly one A and at least one R.",
    ),
    retrieve=retrieve_schema(RaciRowSerializer, parameters=[CODE, ROW_ID]),
    update=update_schema(
        RaciRowSerializer,
        parameters=[CODE, ROW_ID],
        description="Replaces what the row stands for and all its letters.",
    ),
    partial_update=update_schema(
        RaciRowSerializer,
        parameters=[CODE, ROW_ID],
        description="`cells` changes only the columns it names (null or empty clears one); "
        "`position` moves the row. The rule is checked on the result.",
    ),
    destroy=destroy_schema(RaciRowSerializer, parameters=[CODE, ROW_ID]),
)
@extend_schema(tags=["raci"])
class RaciRowViewSet(ProgramScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """The matrix's rows: deliverables and milestones of the plan, or activities."""

    service_target = "row"
    permission_actions = {
        "list": "raci.view",
        "retrieve": "raci.view",
        "create": "raci.change",
        "update": "raci.change",
        "partial_update": "raci.change",
        "destroy": "raci.change",
    }
    queryset = RaciRow.objects.none()
    serializer_class = RaciRowSerializer
    filter_backends: list = []

    def get_queryset(self):
        return _rows(self.program)

    def get_object(self) -> RaciRow:
        return _row(self.program, self.kwargs["id"])

    def create_service(self, *, actor, program, position=None, **data) -> RaciRow:
        with transaction.atomic():
            row = services.raci_row_create(
                actor=actor,
                program=program,
                item=data.get("item"),
                activity=data.get("activity", ""),
                cells=data["cells"],
            )
            if position:
                row = services.raci_row_move(
                    actor=actor, row=row, expected_version=None, index=position - 1
                )
        return _row(self.program, row.pk)

    def update_service(self, *, actor, row, expected_version, position=None, **data) -> RaciRow:
        """PUT replaces what the row stands for and all its letters; PATCH only what it sends
        (`cells` merged into the row's letters); then the move (`position`)."""
        partial = self.action == "partial_update"
        changes: dict[str, Any] = {}
        if "cells" in data:
            cells: dict[Any, Any] = data["cells"]
            if partial:
                cells = {c.column_id: c.letter for c in row.cells.all()} | cells
            changes["cells"] = cells
        if "item" in data or not partial:
            changes["item"] = data.get("item")
        if "activity" in data or not partial:
            changes["activity"] = data.get("activity", "")
        with transaction.atomic():
            row = services.raci_row_update(
                actor=actor, row=row, expected_version=expected_version, **changes
            )
            if position is not None:
                row = services.raci_row_move(
                    actor=actor, row=row, expected_version=None, index=position - 1
                )
        return _row(self.program, row.pk)

    def delete_service(self, **kwargs):
        services.raci_row_delete(**kwargs)


def _cell_schema(operation_id: str, *, request, description: str, write: bool = True):
    responses: dict[Any, Any] = {
        200: RaciCellSerializer if not write else RaciRowSerializer,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
        404: NOT_FOUND,
    }
    parameters = [CODE, ROW_ID, CELL_COLUMN, ETAG]
    if write:
        parameters.insert(3, IF_MATCH)
        responses |= {
            400: VALIDATION_ERROR,
            409: CONFLICT,
            412: stale_response(RaciRowSerializer),
            428: PRECONDITION_REQUIRED,
        }
    return extend_schema(
        operation_id=operation_id,
        parameters=parameters,
        request=request,
        responses=responses,
        description=description,
        tags=["raci"],
    )


class RaciCellView(ProgramScopedMixin, VersionedMixin, ApiView):
    """One letter of a row. Writes answer with the whole row (whose version the cell shares)."""

    permission_actions = {"get": "raci.view", "put": "raci.change", "delete": "raci.change"}
    filter_backends: list = []

    def _target(self) -> tuple[RaciRow, RaciColumn]:
        row = _row(self.program, self.kwargs["id"])
        column = selectors.raci_column_get(program=self.program, pk=_int(self.kwargs["pk"]))
        return row, column

    def serialize_current(self, instance) -> dict:
        return RaciRowSerializer(_row(self.program, instance.pk), context=self._context()).data

    def _context(self) -> dict:
        return {"request": self.request, "program": self.program}

    @_cell_schema(
        "raci_cell_retrieve",
        request=None,
        description="The letter of this row in this column (null for none).",
        write=False,
    )
    def get(self, request, code: str, id: int, pk: int):
        row, col = self._target()
        letter = next((c.letter for c in row.cells.all() if c.column_id == col.pk), None)
        return Response(
            {
                "row": row.pk,
                "column": col.pk,
                "letter": LETTER_TEXT[letter] if letter else None,
                "version": row.version,
            }
        )

    @_cell_schema(
        "raci_cell_update",
        request=RaciCellSerializer,
        description="Set the letter; 400 when the row would break the rule (e.g. a second A).",
    )
    def put(self, request, code: str, id: int, pk: int):
        row, col = self._target()
        version = self.expected_version()
        serializer = RaciCellSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.raci_cell_set(
            actor=request.user,
            row=row,
            column=col,
            letter=serializer.validated_data.get("letter"),
            expected_version=version,
        )
        return Response(
            RaciRowSerializer(_row(self.program, updated.pk), context=self._context()).data
        )

    @_cell_schema(
        "raci_cell_clear",
        request=None,
        description="Clear the letter; 400 when the row would lose its only A or R.",
    )
    def delete(self, request, code: str, id: int, pk: int):
        row, col = self._target()
        updated = services.raci_cell_set(
            actor=request.user,
            row=row,
            column=col,
            letter=None,
            expected_version=self.expected_version(),
        )
        return Response(
            RaciRowSerializer(_row(self.program, updated.pk), context=self._context()).data
        )


class _DownloadMixin:
    """A file on success, a JSON error otherwise, whatever `Accept` says."""

    filter_backends: list = []
    renderer_classes = [ORJSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


def _download_schema(operation_id: str, media_type: str, description: str, tags: list[str]):
    return extend_schema(
        operation_id=operation_id,
        parameters=[CODE],
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=description),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=tags,
    )


class RaciExportCsvView(_DownloadMixin, ProgramScopedMixin, ApiView):
    """The matrix as CSV (UTF-8 with a BOM; formula-like text starts with `'`)."""

    permission_actions = {"get": "raci.view"}

    @_download_schema(
        "raci_export_csv",
        "text/csv",
        "A header row (position, key, deliverable_or_activity, type, one column per person or "
        "role) and one line per row; letters as R, A, A/R, C, I.",
        ["raci"],
    )
    def get(self, request, code: str):
        response = StreamingHttpResponse(
            selectors.raci_csv_lines(program=self.program), content_type="text/csv; charset=utf-8"
        )
        filename = selectors.export_filename(self.program, "csv")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RaciExportXlsxView(_DownloadMixin, ProgramScopedMixin, ApiView):
    """The matrix as an Excel workbook (a RACI sheet and a legend)."""

    permission_actions = {"get": "raci.view"}

    @_download_schema(
        "raci_export_xlsx", XLSX_TYPE, "The same table as the CSV, coloured by letter.", ["raci"]
    )
    def get(self, request, code: str):
        response = HttpResponse(
            selectors.raci_xlsx_bytes(program=self.program), content_type=XLSX_TYPE
        )
        filename = selectors.export_filename(self.program, "xlsx")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
