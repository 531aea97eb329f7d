"""Releases API, the record around the go-live, under /api/v1/programs/<code>/releases/<key>/:
sign-offs (ask, sign, decline, stop asking), go/no-go reviews (hold, edit, vote, decide), the
rollback plan (PUT, approve) and its steps, and the release log.

A go decision while readiness criteria fail answers 409 with the failing criteria, unless the
program manager sends `override: true` with an `override_reason` (without a reason: 400; an
executive's override: 409).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.api.crud import ServiceCrudMixin
from core.api.refusals import REFUSED, optional_version, refusals_as_409
from core.api.schema import (
    ETAG,
    FORBIDDEN,
    IF_MATCH,
    NOT_FOUND,
    UNAUTHORIZED,
    VALIDATION_ERROR,
    create_schema,
    destroy_schema,
    list_schema,
    retrieve_schema,
    stale_response,
    update_schema,
)
from core.api.serializers import UserRefSerializer, format_datetime, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from programs.selectors import member_users

from ..models import (
    Decision,
    GoNoGoReview,
    ReleaseSignoff,
    Vote,
)
from ..selectors import releases as selectors
from ..services import release_reviews as review_services
from .releases import (
    CODE,
    ID,
    KEY,
    TAGS,
    VERSION_HELP,
    ReadinessResultSerializer,
    ReleaseChildMixin,
    ReleaseScopedMixin,
    owner_field,
)


def _person(user) -> dict | None:
    return None if user is None else user_ref(user.pk, user.full_name)


# --- sign-offs ------------------------------------------------------------------------------


class ReleaseSignoffSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    role = serializers.CharField(max_length=120, help_text="e.g. Business owner.")
    signer_id = serializers.IntegerField(min_value=1, write_only=True, help_text="A member.")
    signer = UserRefSerializer(read_only=True)
    state = serializers.ChoiceField(choices=["pending", "signed", "declined"], read_only=True)
    signed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    comment = serializers.CharField(read_only=True, help_text="The signer's comment or reason.")
    version = serializers.IntegerField(read_only=True)

    def validate(self, attrs):
        attrs["signer"] = owner_field(self.context["program"], attrs.pop("signer_id"), "signer_id")
        return attrs

    def to_representation(self, s: ReleaseSignoff) -> dict:
        return {
            "id": s.pk,
            "role": s.role,
            "signer": _person(s.signer),
            "state": review_services.signoff_state(s),
            "signed_at": format_datetime(s.signed_at),
            "comment": s.comment,
            "version": s.version,
        }


@extend_schema_view(
    list=list_schema(ReleaseSignoffSerializer, parameters=[CODE, KEY]),
    create=create_schema(
        ReleaseSignoffSerializer,
        parameters=[CODE, KEY],
        description="Ask a member for a sign-off in a role (while the release is planned).",
    ),
    retrieve=retrieve_schema(ReleaseSignoffSerializer, parameters=[CODE, KEY, ID]),
    destroy=destroy_schema(
        ReleaseSignoffSerializer,
        parameters=[CODE, KEY, ID],
        description="Stop asking; a given sign-off stays on the record (409).",
    ),
)
@extend_schema(tags=TAGS)
class SignoffViewSet(ReleaseChildMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    service_target = "signoff"
    permission_actions = {
        "list": "release.view",
        "retrieve": "release.view",
        "create": "release.change",
        "destroy": "release.change",
    }
    queryset = ReleaseSignoff.objects.none()
    serializer_class = ReleaseSignoffSerializer
    pagination_class = None

    def get_queryset(self):
        return self.get_release().signoffs.select_related("signer")

    def get_object(self):
        return selectors.signoff_get(self.get_release(), self.kwargs["id"])

    def serialize_current(self, instance) -> dict:
        return ReleaseSignoffSerializer(
            ReleaseSignoff.objects.select_related("signer").get(pk=instance.pk)
        ).data

    def create_service(self, **kwargs):
        return review_services.signoff_create(**kwargs)

    def delete_service(self, **kwargs):
        review_services.signoff_delete(**kwargs)


class SignoffCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class _SignoffStep(ReleaseScopedMixin, VersionedMixin, ApiView):
    permission_actions = {"post": "release.signoff"}
    step = ""

    def serialize_current(self, instance) -> dict:
        return ReleaseSignoffSerializer(
            ReleaseSignoff.objects.select_related("signer").get(pk=instance.pk)
        ).data

    def act(self, request, id: int, service):
        signoff = selectors.signoff_get(self.get_release(), id)
        version = optional_version(request)
        serializer = SignoffCommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            signoff = service(
                actor=request.user,
                signoff=signoff,
                comment=serializer.validated_data.get("comment", ""),
                expected_version=version,
            )
        return Response(self.serialize_current(signoff))


def _signoff_schema(verb: str, description: str):
    return extend_schema(
        operation_id=f"releases_release_signoff_{verb}",
        parameters=[CODE, KEY, ID, IF_MATCH],
        request=SignoffCommentSerializer,
        responses={
            200: ReleaseSignoffSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(ReleaseSignoffSerializer),
        },
        description=description,
        tags=TAGS,
    )


class SignoffSignView(_SignoffStep):
    @_signoff_schema("sign", "Only the named signer signs (409 for anyone else), while planned.")
    def post(self, request, code: str, key: str, id: int):
        return self.act(request, id, review_services.signoff_sign)


class SignoffDeclineView(_SignoffStep):
    @_signoff_schema(
        "decline",
        "The named signer declines, or withdraws a sign-off, with a `comment` (400 without).",
    )
    def post(self, request, code: str, key: str, id: int):
        return self.act(request, id, review_services.signoff_decline)


# --- go/no-go reviews -----------------------------------------------------------------------


class GoNoGoVoteOutSerializer(serializers.Serializer):
    voter = UserRefSerializer()
    vote = serializers.ChoiceField(choices=Vote.choices)
    comment = serializers.CharField()


class GoNoGoReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    held_at = serializers.DateTimeField()
    attendee_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        write_only=True,
        help_text="Members who attended (they can vote).",
    )
    attendees = UserRefSerializer(many=True, read_only=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    votes = GoNoGoVoteOutSerializer(many=True, read_only=True)
    decision = serializers.CharField(
        read_only=True, help_text="go, no_go, or empty while undecided."
    )
    conditions = serializers.CharField(read_only=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    override = serializers.BooleanField(read_only=True)
    override_reason = serializers.CharField(read_only=True)
    readiness = inline_serializer(
        "ReviewReadiness",
        fields={
            "summary": serializers.CharField(),
            "ready": serializers.BooleanField(),
            "criteria": ReadinessResultSerializer(many=True),
        },
        read_only=True,
        allow_null=True,
        help_text="The checklist when decided (null until then).",
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        attrs.pop("version", None)
        if "attendee_ids" in attrs:
            program = self.context["program"]
            ids = attrs.pop("attendee_ids")
            people = list(member_users(program=program).filter(pk__in=ids))
            missing = sorted(set(ids) - {p.pk for p in people})
            if missing:
                raise serializers.ValidationError(
                    {"attendee_ids": [f"Not members of {program.code}: {missing}."]}
                )
            attrs["attendees"] = people
        return attrs

    def to_representation(self, review: GoNoGoReview) -> dict:
        return {
            "id": review.pk,
            "held_at": format_datetime(review.held_at),
            "attendees": [_person(a) for a in review.attendees.all()],
            "notes": review.notes,
            "votes": [
                {"voter": _person(v.voter), "vote": v.vote, "comment": v.comment}
                for v in review.votes.all()
            ],
            "decision": review.decision,
            "conditions": review.conditions,
            "decided_by": _person(review.decided_by),
            "decided_at": format_datetime(review.decided_at),
            "override": review.override,
            "override_reason": review.override_reason,
            "readiness": review.readiness if review.decision else None,
            "version": review.version,
        }


@extend_schema_view(
    list=list_schema(GoNoGoReviewSerializer, parameters=[CODE, KEY]),
    create=create_schema(
        GoNoGoReviewSerializer,
        parameters=[CODE, KEY],
        description="Record a go/no-go meeting (one undecided review at a time: 409).",
    ),
    retrieve=retrieve_schema(GoNoGoReviewSerializer, parameters=[CODE, KEY, ID]),
    update=update_schema(
        GoNoGoReviewSerializer,
        parameters=[CODE, KEY, ID],
        description="Only while undecided (409 afterwards).",
    ),
    partial_update=update_schema(GoNoGoReviewSerializer, parameters=[CODE, KEY, ID]),
)
@extend_schema(tags=TAGS)
class ReviewViewSet(ReleaseChildMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    service_target = "review"
    permission_actions = {
        "list": "release.view",
        "retrieve": "release.view",
        "create": "release.change",
        "update": "release.change",
        "partial_update": "release.change",
    }
    queryset = GoNoGoReview.objects.none()
    serializer_class = GoNoGoReviewSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.reviews(self.get_release())

    def list(self, request, *args, **kwargs):
        return Response(GoNoGoReviewSerializer(self.get_queryset(), many=True).data)

    def get_object(self):
        return selectors.review_get(self.get_release(), self.kwargs["id"])

    def serialize_current(self, instance) -> dict:
        return GoNoGoReviewSerializer(selectors.review_get(instance.release, instance.pk)).data

    def create_service(self, **kwargs):
        return review_services.review_create(**kwargs)

    def update_service(self, **kwargs):
        return review_services.review_update(**kwargs)


class GoNoGoVoteSerializer(serializers.Serializer):
    voter_id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The attendee who votes; yourself when left out (the release team may record "
        "others' votes).",
    )
    vote = serializers.ChoiceField(choices=Vote.choices)
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text="Required for no_go."
    )


class ReviewVoteView(ReleaseScopedMixin, ApiView):
    """An attendee's vote (voting again replaces it, until the decision)."""

    permission_actions = {"post": "release.vote"}

    @extend_schema(
        operation_id="releases_release_review_vote",
        parameters=[CODE, KEY, ID],
        request=GoNoGoVoteSerializer,
        responses={
            200: GoNoGoReviewSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
        },
        tags=TAGS,
    )
    def post(self, request, code: str, key: str, id: int):
        review = selectors.review_get(self.get_release(), id)
        serializer = GoNoGoVoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        voter = request.user
        if data.get("voter_id"):
            voter = owner_field(self.program, data["voter_id"], "voter_id")
        with refusals_as_409():
            review_services.review_vote(
                actor=request.user,
                review=review,
                voter=voter,
                vote=data["vote"],
                comment=data.get("comment", ""),
            )
        return Response(
            GoNoGoReviewSerializer(selectors.review_get(review.release, review.pk)).data
        )


class GoNoGoDecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    conditions = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    override = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Go although criteria fail: the program manager only, with a reason.",
    )
    override_reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


GoRefusedSerializer = inline_serializer(
    "GoRefused",
    fields={
        "detail": serializers.CharField(),
        "summary": serializers.CharField(),
        "failing": ReadinessResultSerializer(many=True),
    },
)


class ReviewDecideView(ReleaseScopedMixin, VersionedMixin, ApiView):
    """Record the decision; the readiness checklist is evaluated and kept with it."""

    permission_actions = {"post": "release.decide"}

    def serialize_current(self, instance) -> dict:
        return GoNoGoReviewSerializer(selectors.review_get(instance.release, instance.pk)).data

    @extend_schema(
        operation_id="releases_release_review_decide",
        parameters=[CODE, KEY, ID, IF_MATCH, ETAG],
        request=GoNoGoDecideSerializer,
        responses={
            200: GoNoGoReviewSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: GoRefusedSerializer,
            412: stale_response(GoNoGoReviewSerializer),
        },
        description="A go while readiness criteria fail answers 409 with `failing`, unless the "
        "program manager sends override=true and an override_reason (400 without one; an "
        "executive's override is refused with 409). Go sets the release to go; no_go keeps it "
        "planned. A decided review answers 409.",
        tags=TAGS,
    )
    def post(self, request, code: str, key: str, id: int):
        review = selectors.review_get(self.get_release(), id)
        version = optional_version(request)
        serializer = GoNoGoDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with refusals_as_409():
            try:
                review = review_services.review_decide(
                    actor=request.user,
                    review=review,
                    decision=data["decision"],
                    conditions=data.get("conditions", ""),
                    override=data["override"],
                    override_reason=data.get("override_reason", ""),
                    expected_version=version,
                )
            except review_services.GoRefused as exc:
                set_rollback()
                return Response(
                    {
                        "detail": exc.reason,
                        "summary": exc.readiness.summary,
                        "failing": exc.failing,
                    },
                    status=status.HTTP_409_CONFLICT,
                )
        return Response(self.serialize_current(review))
