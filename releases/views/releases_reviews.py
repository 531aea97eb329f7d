"""Go/no-go reviews: hold one (when, who attended, notes), its page (the readiness checklist as
it stands, or as it stood when decided; the votes; the vote form for attendees; the decision
form, with the override fields shown only to the program manager while criteria fail)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from core.errors import Refused
from core.forms import apply_validation_error
from core.models import User
from core.permissions import MATRIX, Role
from core.versioning import StaleVersionError

from ..forms.releases import DecideForm, ReviewForm, VoteForm
from ..selectors import readiness as readiness_selectors
from ..selectors import releases as selectors
from ..services import release_reviews as services
from .releases import ReleaseActionView, ReleaseMixin, checklist_rows, done, evidence_links


def review_url(program, release, review) -> str:
    return reverse(
        "releases:release_review_detail",
        kwargs={"code": program.code, "key": release.key, "id": review.pk},
    )


class ReviewCreateView(ReleaseActionView):
    permission_action = "release.change"
    tab = "reviews"
    title = "Hold a go/no-go review"
    submit_label = "Record review"
    submit_icon = "ti-gavel"
    intro = (
        "Record the meeting and who attended; attendees then vote, and the program manager or "
        "an executive records the decision on the review's page."
    )

    def build_form(self, data=None):
        now = timezone.localtime().replace(second=0, microsecond=0)
        return ReviewForm(
            data,
            program=self.program,
            initial={"held_at": now, "attendees": [self.request.user.pk]},
        )

    def perform(self, form) -> str:
        self.review = services.review_create(
            actor=self.request.user,
            release=self.release,
            held_at=form.cleaned_data["held_at"],
            attendees=form.cleaned_data["attendees"],
            notes=form.cleaned_data["notes"],
        )
        return "Go/no-go review recorded. Attendees can vote now."

    def success_url(self) -> str:
        review = getattr(self, "review", None)
        if review is not None:
            return review_url(self.program, self.release, review)
        return super().success_url()


class ReviewEditView(ReleaseActionView):
    permission_action = "release.change"
    tab = "reviews"
    title = "Edit the go/no-go review"

    def setup_objects(self) -> None:
        self.release = self.get_release()
        self.review = selectors.review_get(self.release, self.kwargs["id"])

    def success_url(self) -> str:
        return review_url(self.program, self.release, self.review)

    def build_form(self, data=None):
        return ReviewForm(data, program=self.program, review=self.review)

    def perform(self, form) -> str:
        services.review_update(
            actor=self.request.user,
            review=self.review,
            expected_version=form.cleaned_data["version"],
            held_at=form.cleaned_data["held_at"],
            notes=form.cleaned_data["notes"],
            attendees=form.cleaned_data["attendees"],
        )
        return "Review saved."


class ReviewDetailView(ReleaseMixin, TemplateView):
    permission_action = "release.view"
    template_name = "releases/releases/review_detail.html"

    def setup_objects(self) -> None:
        self.release = self.get_release()
        self.review = selectors.review_get(self.release, self.kwargs["id"])

    def voters(self):
        """Whom the user may record a vote for: themself if they attended; every attendee for
        the release team."""
        attendees = list(self.review.attendees.all())
        if self.access.role in MATRIX["release.change"]:
            ids = [a.pk for a in attendees]
        else:
            ids = [a.pk for a in attendees if a.pk == self.request.user.pk]
        return User.objects.filter(pk__in=ids).order_by("full_name")

    def page(self, *, vote_form=None, decide_form=None, status=200):
        review, release = self.review, self.release
        decided = bool(review.decision)
        context = {
            "release": release,
            "review": review,
            "decided": decided,
            "votes": list(review.votes.all()),
            "attendees": list(review.attendees.all()),
            "is_manager": self.access.role == Role.MANAGER,
            "can_change": self.access.can("release.change"),
            "can_decide": self.access.can("release.decide") and not decided,
        }
        if decided:
            results = services.snapshot_results(review)
            context["snapshot"] = [
                {"result": r, "links": evidence_links(self.program, release, r.get("links", []))}
                for r in results
            ]
            context["snapshot_summary"] = services.snapshot_summary(review)
        else:
            readiness, criteria = readiness_selectors.readiness_with_criteria(release)
            context["readiness"] = readiness
            context["checklist"] = checklist_rows(self.program, release, readiness, criteria)
            voters = self.voters()
            context["voters"] = voters
            if self.access.can("release.vote") and voters.exists():
                mine = next(
                    (v for v in context["votes"] if v.voter_id == self.request.user.pk), None
                )
                initial = {"voter": self.request.user.pk}
                if mine is not None:
                    initial.update(vote=mine.vote, comment=mine.comment)
                context["vote_form"] = vote_form or VoteForm(voters=voters, initial=initial)
            if context["can_decide"]:
                context["decide_form"] = decide_form or DecideForm(
                    initial={"version": review.version}
                )
        return self.render_to_response(self.get_context_data(**context), status=status)

    def get(self, request, *args, **kwargs):
        self.setup_objects()
        return self.page()


class ReviewVoteView(ReviewDetailView):
    permission_action = "release.vote"

    def get(self, request, *args, **kwargs):
        self.setup_objects()
        return done(request, review_url(self.program, self.release, self.review))

    def post(self, request, *args, **kwargs):
        self.setup_objects()
        form = VoteForm(request.POST, voters=self.voters())
        if form.is_valid():
            try:
                vote = services.review_vote(
                    actor=request.user,
                    review=self.review,
                    voter=form.cleaned_data["voter"],
                    vote=form.cleaned_data["vote"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
            else:
                messages.success(
                    request, f"{vote.voter}: {vote.get_vote_display().lower()} recorded."
                )
                return done(request, review_url(self.program, self.release, self.review))
        self.review = selectors.review_get(self.release, self.review.pk)
        return self.page(vote_form=form, status=400)


class ReviewDecideView(ReviewDetailView):
    permission_action = "release.decide"

    def get(self, request, *args, **kwargs):
        self.setup_objects()
        return done(request, review_url(self.program, self.release, self.review))

    def post(self, request, *args, **kwargs):
        self.setup_objects()
        form = DecideForm(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                review = services.review_decide(
                    actor=request.user,
                    review=self.review,
                    decision=data["decision"],
                    conditions=data["conditions"],
                    override=data["override"],
                    override_reason=data["override_reason"],
                    expected_version=data["version"],
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
                text = f"Decision recorded: {review.get_decision_display().lower()}."
                if review.override:
                    text += " The override and its reason are on the record."
                messages.success(request, text)
                return done(request, review_url(self.program, self.release, self.review))
        self.review = selectors.review_get(self.release, self.review.pk)
        return self.page(decide_form=form, status=status)
