"""A domain viewset's list/retrieve/create/update/destroy, written once, through its services.

Set `service_target` (the keyword the app's update and delete services take for the row, e.g.
"contract") and write `create_service`, `update_service` and `delete_service` calling the app's
services (`create_parent` names where a new row goes: the program by default, or e.g. the
release a criterion belongs to). Rows are answered with `serialize_current(row)`
(VersionedMixin's, which the viewset may override to re-read the row with its annotations;
`answer_data(row)` when retrieve/create/update answer with more than the 412 shows); a
stale version answers 412 with the current state, a `core.errors.Refused` 409 with its reason,
bad fields 400. Use with
`VersionedMixin` and a scoped mixin that sets `self.program`.
"""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response

from .refusals import refusals_as_409


class ServiceCrudMixin:
    service_target: str = ""
    create_service: Any  # (actor=, program=, **fields) -> the new row
    update_service: Any  # (actor=, expected_version=, <service_target>=, **changes) -> the row
    delete_service: Any  # (actor=, expected_version=, <service_target>=) -> None

    def create_parent(self) -> dict[str, Any]:
        """The keyword naming where a new row goes, passed to `create_service`."""
        return {"program": self.program}

    def answer_data(self, row) -> dict[str, Any]:
        """The body of retrieve, create and update: `serialize_current(row)`, unless the viewset
        answers with more than a 412 shows (e.g. the row's detail with its children)."""
        return self.serialize_current(row)

    def list(self, request, *args, **kwargs):
        rows = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(rows)
        if page is None:
            return Response(self.get_serializer(rows, many=True).data)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.answer_data(self.get_object()))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            row = self.create_service(
                actor=request.user, **self.create_parent(), **serializer.validated_data
            )
        return Response(self.answer_data(row), status=status.HTTP_201_CREATED)

    def update(self, request, *args, partial: bool = False, **kwargs):
        row = self.get_object()
        version = self.expected_version()
        serializer = self.get_serializer(row, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            row = self.update_service(
                actor=request.user,
                expected_version=version,
                **{self.service_target: row},
                **serializer.validated_data,
            )
        return Response(self.answer_data(row))

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        row = self.get_object()
        version = self.expected_version()
        with refusals_as_409():
            self.delete_service(
                actor=request.user, expected_version=version, **{self.service_target: row}
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
