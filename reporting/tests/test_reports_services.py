"""Status report services: opening, refreshing, the narrative with optimistic locking, overrides
(reason mandatory), workstream commentary (whose), the workflow, publishing freezes, compose."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from budgets.selectors.evm import program_today
from core.audit import history_for_object
from core.errors import Refused
from core.models import AuditEntry
from core.permissions import Role
from core.versioning import StaleVersionError
from programs.tests.factories import ProgramFactory, WorkstreamFactory, manager_of, member
from reporting.models import RagOverride, ReportStatus, StatusReport, WorkstreamCommentary
from reporting.periods import period_of, shift
from reporting.services import reports as services
from reporting.snapshot import CommentaryLine, RagLine, from_json, to_json
from reporting.tests.snapshots import sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory(code="RPT", name="Reporting test")


@pytest.fixture
def manager(program):
    return manager_of(program)


@pytest.fixture
def week(program):
    return shift(period_of(program_today(program)), -1)


@pytest.fixture
def report(program, manager, week):
    return services.report_open(actor=manager, program=program, period=week)


# --- compose (pure) ----------------------------------------------------------------------------


def _base():
    lines = [
        RagLine("schedule", "amber", "SPI 0.93 is below 0.95."),
        RagLine("cost", "green", "CPI 1.02."),
        RagLine("scope", "green", "2 change requests open."),
        RagLine("risk", "amber", "Risk exposure 90 is at or above 60."),
        RagLine("quality", "green", "No open severity-1 or severity-2 defect."),
        RagLine("overall", "amber", "Schedule and risk are amber."),
    ]
    return dataclasses.replace(sample(), rag=lines, status="draft")


def test_compose_applies_a_dimension_override_and_overall_is_the_worst_after_it():
    snap = services.compose_snapshot(
        _base(), overrides={"risk": ("red", "RSK-1 blocks mock load 3.")}, narrative={},
        commentary=[], status="draft",
    )  # fmt: skip
    risk, overall = snap.rag_of("risk"), snap.rag_of("overall")
    assert (risk.rag, risk.computed_rag, risk.override_reason) == (
        "red", "amber", "RSK-1 blocks mock load 3."
    )  # fmt: skip
    assert risk.reason == "Risk exposure 90 is at or above 60."  # the rules' reason is kept
    assert (overall.rag, overall.reason, overall.computed_rag) == ("red", "Risk is red.", "")


def test_compose_an_overall_override_wins_and_says_what_the_rules_said():
    snap = services.compose_snapshot(
        _base(), overrides={"overall": ("green", "Recovery plan approved.")}, narrative={},
        commentary=[], status="draft",
    )  # fmt: skip
    overall = snap.rag_of("overall")
    assert (overall.rag, overall.computed_rag, overall.override_reason) == (
        "green", "amber", "Recovery plan approved."
    )  # fmt: skip
    assert snap.rag_of("schedule").rag == "amber"


def test_compose_splits_the_narrative_into_points_and_keeps_commentary_and_status():
    when = dt.datetime(2026, 11, 27, 16, 30, tzinfo=dt.UTC)
    commentary = [CommentaryLine("Finance", "green", "Closed the books.")]
    snap = services.compose_snapshot(
        _base(), overrides={}, commentary=commentary, status="published",
        narrative={"achievements": "- One\n\n  • Two  \nThree", "help_needed": "",
                   "next_steps": "Next", "decisions": "* Decided"},
        published_at=when, published_by="Priya Raman",
    )  # fmt: skip
    assert snap.achievements == ["One", "Two", "Three"]
    assert (snap.next_steps, snap.decisions, snap.help_needed) == (["Next"], ["Decided"], [])
    assert snap.commentary == commentary
    assert (snap.status, snap.published_at, snap.published_by) == ("published", when,
                                                                    "Priya Raman")  # fmt: skip
    assert from_json(to_json(snap)) == snap


# --- open and refresh --------------------------------------------------------------------------


def test_open_computes_a_draft_with_the_programs_figures(program, manager, week, report):
    assert (report.status, report.period, report.created_by) == ("draft", week, manager)
    snap = from_json(report.snapshot)
    assert snap.period == week and snap.status == "draft"
    assert not snap.has_baseline and not snap.has_budget  # a new program: says so
    assert snap.rag_of("cost").rag == "grey" and "No budget" in snap.rag_of("cost").reason
    assert report.overall_rag == snap.rag_of("overall").rag
    assert [e.action for e in history_for_object(report)] == ["create"]


def test_open_refuses_a_second_report_for_the_period_and_bad_or_future_weeks(
    program, manager, report
):
    with pytest.raises(Refused, match="already has a report"):
        services.report_open(actor=manager, program=program, period=report.period)
    for bad, message in [("2026-48", "ISO week"), ("2026-W60", "has no week"),
                         (shift(report.period, 3), "has not started")]:  # fmt: skip
        with pytest.raises(ValidationError, match=message):
            services.report_open(actor=manager, program=program, period=bad)
    assert StatusReport.objects.filter(program=program).count() == 1


def test_refresh_recomputes_the_figures_of_a_draft(program, manager, report):
    WorkstreamFactory(program=program, name="Finance")
    stale = from_json(report.snapshot)
    services.report_refresh(actor=manager, report=report)
    report.refresh_from_db()
    assert report.computed_at > stale.generated_at
    assert from_json(report.snapshot).generated_at == report.computed_at
    assert report.version == 2


# --- narrative ---------------------------------------------------------------------------------


def test_narrative_saves_with_the_version_and_refuses_a_stale_one(manager, report):
    saved = services.report_update(
        actor=manager, report=report, expected_version=1, headline="  On plan.  ",
        achievements="One\nTwo",
    )  # fmt: skip
    assert (saved.headline, saved.version) == ("On plan.", 2)
    with pytest.raises(StaleVersionError):
        services.report_update(actor=manager, report=report, expected_version=1, headline="X")
    report.refresh_from_db()
    assert report.headline == "On plan."
    with pytest.raises(ValidationError, match="Unknown report fields"):
        services.report_update(actor=manager, report=report, expected_version=2, status="x")


# --- overrides ---------------------------------------------------------------------------------


def test_an_override_without_a_reason_is_refused_and_nothing_changes(manager, report):
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as caught:
            services.override_set(actor=manager, report=report, dimension="risk", rag="red",
                                  reason=reason)  # fmt: skip
        assert "Give the reason for the override" in caught.value.message_dict["reason"][0]
    assert not RagOverride.objects.exists()
    report.refresh_from_db()
    assert report.version == 1


def test_an_override_changes_the_rating_and_the_overall_and_can_be_removed(manager, report):
    computed = report.overall_rag
    services.override_set(actor=manager, report=report, dimension="quality", rag="red",
                          reason="The UAT defect backlog is not in the tracker yet.")  # fmt: skip
    report.refresh_from_db()
    snap = services.compose(report.program, report.period, report)
    assert snap.rag_of("quality").rag == "red" and snap.rag_of("quality").computed_rag
    assert report.overall_rag == "red" == snap.rag_of("overall").rag
    services.override_set(actor=manager, report=report, dimension="quality", rag="amber",
                          reason="Half of them are duplicates.")  # fmt: skip
    assert RagOverride.objects.get(report=report).rag == "amber"
    services.override_remove(actor=manager, report=report, dimension="quality")
    report.refresh_from_db()
    assert not RagOverride.objects.exists() and report.overall_rag == computed
    with pytest.raises(Refused, match="not overridden"):
        services.override_remove(actor=manager, report=report, dimension="quality")


def test_only_the_program_manager_overrides(program, report):
    coordinator = member(program, Role.COORDINATOR).user
    with pytest.raises(PermissionDenied):
        services.override_set(actor=coordinator, report=report, dimension="risk", rag="red",
                              reason="Because.")  # fmt: skip
    assert not RagOverride.objects.exists()


def test_an_override_must_name_a_dimension_and_a_rating(manager, report):
    with pytest.raises(ValidationError) as caught:
        services.override_set(actor=manager, report=report, dimension="mood", rag="grey",
                              reason="Because.")  # fmt: skip
    assert set(caught.value.message_dict) == {"dimension", "rag"}


# --- commentary --------------------------------------------------------------------------------


def test_a_lead_writes_their_own_workstream_only_coordinators_and_the_manager_any(
    program, manager, report
):
    lead = member(program, Role.CONTRIBUTOR).user
    other = member(program, Role.CONTRIBUTOR).user
    coordinator = member(program, Role.COORDINATOR).user
    mine = WorkstreamFactory(program=program, name="Finance", lead=lead)
    theirs = WorkstreamFactory(program=program, name="Supply", lead=other)
    row = services.commentary_save(actor=lead, report=report, workstream=mine, rag="amber",
                                   text="Close is late.")  # fmt: skip
    assert (row.author, row.rag) == (lead, "amber")
    with pytest.raises(PermissionDenied, match="Only the lead of Supply"):
        services.commentary_save(actor=lead, report=report, workstream=theirs, rag="green",
                                 text="Fine.")  # fmt: skip
    services.commentary_save(actor=coordinator, report=report, workstream=theirs, rag="green",
                             text="Fine.")  # fmt: skip
    services.commentary_save(actor=manager, report=report, workstream=mine, rag="red",
                             text="Close is late; escalated.", expected_version=1)  # fmt: skip
    assert WorkstreamCommentary.objects.filter(report=report).count() == 2
    snap = services.compose(program, report.period)
    assert [(c.workstream, c.rag) for c in snap.commentary] == [("Finance", "red"),
                                                                ("Supply", "green")]  # fmt: skip


def test_commentary_needs_text_and_a_workstream_of_the_program(program, manager, report):
    workstream = WorkstreamFactory(program=program, name="Finance")
    foreign = WorkstreamFactory(program=ProgramFactory(), name="Elsewhere")
    with pytest.raises(ValidationError, match="Write the commentary"):
        services.commentary_save(actor=manager, report=report, workstream=workstream,
                                 rag="green", text="  ")  # fmt: skip
    with pytest.raises(ValidationError, match="another program"):
        services.commentary_save(actor=manager, report=report, workstream=foreign, rag="green",
                                 text="Hello.")  # fmt: skip
    assert not WorkstreamCommentary.objects.exists()


# --- workflow and publishing -------------------------------------------------------------------


def test_submit_return_and_publish(program, manager, report):
    coordinator = member(program, Role.COORDINATOR).user
    report = services.report_submit(actor=coordinator, report=report)
    assert (report.status, report.submitted_by) == ("review", coordinator)
    with pytest.raises(Refused, match="already in review"):
        services.report_submit(actor=coordinator, report=report)
    report = services.report_return(actor=coordinator, report=report)
    assert report.status == "draft"
    with pytest.raises(Refused, match="a draft already"):
        services.report_return(actor=coordinator, report=report)
    with pytest.raises(PermissionDenied):
        services.report_publish(actor=coordinator, report=report)
    report = services.report_publish(actor=manager, report=report)
    assert report.status == ReportStatus.PUBLISHED and report.published_by == manager


def test_publishing_freezes_the_composed_snapshot(program, manager, report):
    workstream = WorkstreamFactory(program=program, name="Finance")
    services.report_update(actor=manager, report=report, expected_version=1,
                           headline="Green week.", achievements="Budget approved")  # fmt: skip
    services.commentary_save(actor=manager, report=report, workstream=workstream, rag="green",
                             text="All good.")  # fmt: skip
    services.override_set(actor=manager, report=report, dimension="scope", rag="amber",
                          reason="Two big requests are coming.")  # fmt: skip
    report = services.report_publish(actor=manager, report=report)
    stored = from_json(report.snapshot)
    assert (stored.status, stored.published_by) == ("published", manager.get_full_name())
    assert stored.published_at == report.published_at
    assert stored.rag_of("scope").override_reason == "Two big requests are coming."
    assert stored.rag_of("overall").rag == report.overall_rag == "amber"
    assert stored.achievements == ["Budget approved"]
    assert stored.commentary == [CommentaryLine("Finance", "green", "All good.")]
    assert services.compose(program, report.period) == stored  # read back as stored


def test_a_published_report_refuses_every_change_and_nothing_changes(program, manager, report):
    workstream = WorkstreamFactory(program=program, name="Finance")
    report = services.report_publish(actor=manager, report=report)
    frozen, version, trail = report.snapshot, report.version, AuditEntry.objects.count()
    steps = [
        lambda: services.report_refresh(actor=manager, report=report),
        lambda: services.report_update(actor=manager, report=report, expected_version=None,
                                       headline="Changed"),
        lambda: services.report_submit(actor=manager, report=report),
        lambda: services.report_return(actor=manager, report=report),
        lambda: services.report_publish(actor=manager, report=report),
        lambda: services.override_set(actor=manager, report=report, dimension="risk", rag="red",
                                      reason="Late."),
        lambda: services.override_remove(actor=manager, report=report, dimension="risk"),
        lambda: services.commentary_save(actor=manager, report=report, workstream=workstream,
                                         rag="red", text="Late."),
        lambda: services.commentary_delete(actor=manager, report=report, workstream=workstream),
    ]  # fmt: skip
    for step in steps:
        with pytest.raises(Refused, match="is frozen"):
            step()
    report.refresh_from_db()
    assert (report.snapshot, report.version) == (frozen, version)
    assert AuditEntry.objects.count() == trail


def test_compose_without_a_report_computes_figures_marked_computed(program):
    snap = services.compose(program, period_of(program_today(program)))
    assert snap.status == "computed" and snap.published_at is None


def test_settings_refuse_red_before_amber_and_save_with_the_version(program, manager):
    with pytest.raises(ValidationError) as caught:
        services.report_settings_update(actor=manager, program=program, expected_version=None,
                                        spi_red="0.97", slipped_red=0)  # fmt: skip
    assert set(caught.value.message_dict) == {"spi_red", "slipped_red"}
    saved = services.report_settings_update(actor=manager, program=program,
                                            expected_version=1, exposure_red=150)  # fmt: skip
    assert (saved.exposure_red, saved.version) == (150, 2)
