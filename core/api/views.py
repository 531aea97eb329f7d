"""API bases every app builds on, obtaining a token, and the schema and docs views.

`ApiViewMixin` fixes authentication (token first, so an anonymous call gets 401 with
`WWW-Authenticate: Token`) and the one permission class that enforces each view's declared
`permission_actions` or `access_policy` (see `core.api.permissions`).
"""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from .permissions import PUBLIC, DeclaredAccess
from .schema import VALIDATION_ERROR
from .serializers import ErrorSerializer


class ApiViewMixin:
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [DeclaredAccess]


class ApiView(ApiViewMixin, APIView):
    pass


class ApiViewSet(ApiViewMixin, GenericViewSet):
    pass


class RowListMixin:
    """`list` that pages `queryset.values(*serializer.row_fields)`: no model instance per row.

    Use it with a `core.api.serializers.RowSerializer`; filters and ordering apply as usual.
    """

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        serializer_class = self.get_serializer_class()
        row_fields = getattr(serializer_class, "row_fields", ())
        if row_fields:
            queryset = queryset.values(*row_fields, **getattr(serializer_class, "row_extra", {}))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class LockedOut(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many failed sign-in attempts. Try again later or ask an administrator."
    default_code = "locked_out"


class TokenObtainSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254, write_only=True)
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    token = serializers.CharField(read_only=True)

    def validate(self, attrs):
        request = self.context["request"]
        # Axes watches this call (AxesStandaloneBackend and the login-failed signal) and keys its
        # lockout on the username, so the address is normalised: case variants share one count.
        email = attrs["email"].strip().lower()
        user = authenticate(request=request, username=email, password=attrs["password"])
        if getattr(request, "axes_locked_out", False):
            raise LockedOut()
        if user is None:
            raise serializers.ValidationError(
                "Unable to sign in with this e-mail address and password.", code="authorization"
            )
        attrs["user"] = user
        return attrs


class TokenObtainView(ApiView):
    """Exchange e-mail and password for an API token (`Authorization: Token <key>`)."""

    access_policy = PUBLIC
    authentication_classes: list = []  # no session: a stale cookie must not demand a CSRF token

    @classmethod
    def as_view(cls, **initkwargs):
        # Outside ATOMIC_REQUESTS: the 400 for a wrong password rolls the request back, which
        # would also undo Axes' record of the failure and so disable the lockout.
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    @extend_schema(
        operation_id="auth_token_obtain",
        request=TokenObtainSerializer,
        responses={
            200: TokenObtainSerializer,
            400: VALIDATION_ERROR,
            429: OpenApiResponse(ErrorSerializer, description="Locked out after failed attempts."),
        },
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        serializer = TokenObtainSerializer(data=request.data, context={"request": request})
        # Errors are answered here rather than raised: the exception handler would mark an
        # enclosing transaction for rollback, and the failed attempt Axes recorded must stay.
        try:
            valid = serializer.is_valid()
        except LockedOut as exc:
            return Response({"detail": exc.detail}, status=exc.status_code)
        if not valid:
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        user = serializer.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        # A token is a sign-in: last_login is updated and Axes clears the failed attempts.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        return Response({"token": token.key})


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema (public, like the docs page that reads it)."""

    access_policy = PUBLIC


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI served from drf-spectacular-sidecar's static files (no CDN)."""

    access_policy = PUBLIC
