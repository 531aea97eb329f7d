"""risks.escalation: overdue actions and issues escalate, risks get review reminders, snapshots.

E-mails are recorded as OutboundEmail rows (sent by a worker after commit); these tests assert
the rows, their recipients, subjects and keys. The real SMTP round trip, run twice and through a
real worker, is in tests/integration/test_raid_escalation.py.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from core.models import AuditEntry, OutboundEmail
from core.permissions import Role
from programs import services as program_services
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from risks import escalation, services, tasks
from risks.choices import ActionStatus, EscalationLevel, IssueStatus, RiskStatus
from risks.escalation import DEFAULT_RULES, level_for, working_days_late
from risks.models import RiskSnapshot

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# Wednesday 11 March 2026, 09:00 in London (the program's time zone)
NOW = dt.datetime(2026, 3, 11, 9, 0, tzinfo=LONDON)
TODAY = NOW.date()


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --- the pure rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "today", "late"),
    [
        ("2026-03-06", "2026-03-06", 0),  # Friday, due today
        ("2026-03-06", "2026-03-07", 0),  # Saturday
        ("2026-03-06", "2026-03-08", 0),  # Sunday
        ("2026-03-06", "2026-03-09", 1),  # Monday
        ("2026-03-06", "2026-03-13", 5),  # the Friday after
        ("2026-03-06", "2026-03-20", 10),
        ("2026-03-10", "2026-03-09", 0),  # not due yet
        ("2025-12-31", "2026-12-31", 261),  # 52 weeks and a Thursday
    ],
)
def test_working_days_late_counts_working_days_after_the_due_date(due, today, late):
    assert working_days_late(d(due), d(today)) == late


def test_working_days_late_skips_holidays_and_other_weekdays():
    easter = [(d("2026-04-03"), d("2026-04-06"))]  # Good Friday to Easter Monday

    assert working_days_late(d("2026-04-02"), d("2026-04-07"), holidays=easter) == 1
    assert working_days_late(d("2026-04-02"), d("2026-04-07")) == 3
    # A Sunday-to-Thursday week: Friday and Saturday are the weekend.
    assert working_days_late(d("2026-03-05"), d("2026-03-08"), weekdays=[6, 0, 1, 2, 3]) == 1
    assert working_days_late(d("2026-03-05"), d("2026-03-08"), weekdays=[]) == 0


@pytest.mark.parametrize(
    ("late", "level"),
    [(0, 0), (1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (9, 3), (10, 4), (40, 4)],
)
def test_level_for_follows_the_default_rules(late, level):
    assert level_for(late, DEFAULT_RULES) == level


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def people(program, manager):
    """An owner, a workstream lead, a second manager and a sponsor, all distinct."""
    owner = member(program, Role.CONTRIBUTOR, email="ana@example.com", full_name="Ana Souza").user
    lead = member(program, Role.CONTRIBUTOR, email="julien@example.com", full_name="Julien M").user
    sponsor = member(program, Role.EXECUTIVE, email="dan@example.com", full_name="Dan Okafor").user
    second = member(program, Role.MANAGER, email="zoe@example.com", full_name="Zoe Adams").user
    program_services.program_update(
        actor=manager, program=program, expected_version=None, sponsor=sponsor
    )
    program.refresh_from_db()
    workstream = WorkstreamFactory(program=program, name="Data Migration", lead=lead)
    return {
        "owner": owner,
        "lead": lead,
        "sponsor": sponsor,
        "manager": manager,
        "second_manager": second,
        "workstream": workstream,
    }


def make_action(program, people, *, due="2026-03-10", **fields):
    defaults = {"owner": people["owner"], "workstream": people["workstream"]}
    return services.action_create(
        actor=people["manager"],
        program=program,
        subject=None,
        title=fields.pop("title", "Confirm the cut-over window"),
        due_date=d(due) if due else None,
        **{**defaults, **fields},
    )


def escalation_emails():
    return list(
        OutboundEmail.objects.filter(idempotency_key__startswith="raid-escalation:").order_by(
            "idempotency_key"
        )
    )


def history(item) -> list[AuditEntry]:
    ct = ContentType.objects.get_for_model(item)
    return list(AuditEntry.objects.filter(content_type=ct, object_id=str(item.pk)).order_by("id"))


# --- one item ---------------------------------------------------------------------------------


def test_first_working_day_late_emails_the_owner_once(program, people):
    action = make_action(program, people, due="2026-03-10")  # Tuesday: 1 working day late
    entries_before = len(history(action))

    done = escalation.escalate_program(program, now=NOW)

    [email] = escalation_emails()
    assert email.to == ["ana@example.com"]
    assert email.idempotency_key == f"raid-escalation:actions:{action.pk}:2026-03-10:L1"
    assert email.subject == (
        f"[ERP] Your action {action.key} is overdue: Confirm the cut-over window"
    )
    assert "Tuesday 10 March 2026 (1 working day overdue)" in email.body_text
    assert f"/programs/ERP/raid/actions/{action.key}/" in email.body_text
    action.refresh_from_db()
    assert action.escalation_level == EscalationLevel.OWNER
    assert action.escalated_at is not None
    assert action.version == 2
    [result] = done
    assert (result.key, result.level_before, result.level_after) == (action.key, 0, 1)
    entries = history(action)
    assert len(entries) == entries_before + 1
    entry = entries[-1]
    assert (entry.action, entry.actor, entry.actor_name) == ("update", None, "system")
    assert entry.object_version == 2
    assert entry.changes["escalation_level"] == [0, 1]
    assert entry.changes["working_days_overdue"] == [None, 1]
    assert entry.changes["notified"] == [None, ["Owner: Ana Souza <ana@example.com>"]]
    assert "not_notified" not in entry.changes


def test_second_run_sends_nothing_and_writes_nothing(program, people):
    action = make_action(program, people, due="2026-02-20")  # 13 working days late: level 4
    escalation.escalate_program(program, now=NOW)
    emails = [(e.idempotency_key, e.to) for e in escalation_emails()]
    action.refresh_from_db()
    state = (action.escalation_level, action.escalated_at, action.version, len(history(action)))

    again = escalation.escalate_program(program, now=NOW + dt.timedelta(hours=1))

    assert again == []
    assert [(e.idempotency_key, e.to) for e in escalation_emails()] == emails
    action.refresh_from_db()
    assert (
        action.escalation_level,
        action.escalated_at,
        action.version,
        len(history(action)),
    ) == state


def test_each_level_gets_its_own_email_with_the_right_people(program, people):
    action = make_action(program, people, due="2026-02-20")

    escalation.escalate_program(program, now=NOW)

    key = f"raid-escalation:actions:{action.pk}:2026-02-20"
    pm = people["manager"]
    assert [(e.idempotency_key, e.to) for e in escalation_emails()] == [
        (f"{key}:L1", ["ana@example.com"]),
        (f"{key}:L2", ["julien@example.com"]),
        (f"{key}:L3", sorted([pm.email, "zoe@example.com"])),
        (f"{key}:L4", ["dan@example.com"]),
    ]
    subjects = [e.subject for e in escalation_emails()]
    assert subjects[1] == (
        f"[ERP] Escalated to you (workstream lead): {action.key} is 13 working days overdue"
    )
    assert subjects[3] == (
        f"[ERP] Escalated to you (sponsor): {action.key} is 13 working days overdue"
    )
    told = ", ".join(
        ["ana@example.com", "julien@example.com", *sorted([pm.email, "zoe@example.com"])]
    )
    assert f"Already told about this due date: {told}." in escalation_emails()[3].body_text
    action.refresh_from_db()
    assert action.escalation_level == EscalationLevel.SPONSOR
    entry = history(action)[-1]
    assert entry.changes["notified"] == [
        None,
        [
            "Owner: Ana Souza <ana@example.com>",
            "Workstream lead: Julien M <julien@example.com>",
            "Program manager: "
            + ", ".join(
                f"{u.full_name} <{u.email}>"
                for u in sorted([pm, people["second_manager"]], key=lambda u: u.email)
            ),
            "Sponsor: Dan Okafor <dan@example.com>",
        ],
    ]


def test_levels_follow_day_by_day(program, people):
    action = make_action(program, people, due="2026-03-02")  # Monday
    seen = []
    for day in ("2026-03-02", "2026-03-03", "2026-03-05", "2026-03-09", "2026-03-13", "2026-03-16"):
        now = dt.datetime.combine(d(day), dt.time(9), tzinfo=LONDON)
        escalation.escalate_program(program, now=now)
        action.refresh_from_db()
        seen.append((day, action.escalation_level, len(escalation_emails())))

    assert seen == [
        ("2026-03-02", 0, 0),  # due today
        ("2026-03-03", 1, 1),  # 1 working day late: owner
        ("2026-03-05", 2, 2),  # 3: workstream lead
        ("2026-03-09", 3, 3),  # 5: program managers
        ("2026-03-13", 3, 3),  # 9
        ("2026-03-16", 4, 4),  # 10: sponsor
    ]


def test_missing_people_are_skipped_and_later_levels_still_follow(program, people):
    action = make_action(program, people, due="2026-02-20", workstream=None)

    escalation.escalate_program(program, now=NOW)

    assert [e.idempotency_key[-2:] for e in escalation_emails()] == ["L1", "L3", "L4"]
    action.refresh_from_db()
    assert action.escalation_level == 4
    assert history(action)[-1].changes["not_notified"] == [None, ["Workstream lead: no workstream"]]


def test_workstream_without_lead_and_program_without_sponsor(program, people, manager):
    workstream = WorkstreamFactory(program=program, name="Testing")
    program_services.program_update(
        actor=manager, program=program, expected_version=None, sponsor=None
    )
    action = make_action(program, people, due="2026-02-20", workstream=workstream)

    escalation.escalate_program(program, now=NOW)

    assert [e.idempotency_key[-2:] for e in escalation_emails()] == ["L1", "L3"]
    assert history(action)[-1].changes["not_notified"] == [
        None,
        [f"Workstream lead: {workstream} has no lead", "Sponsor: ERP has no sponsor"],
    ]


def test_a_person_told_at_a_lower_level_is_not_told_again(program, people):
    people["workstream"].lead = people["owner"]  # the owner leads the workstream
    program_services.workstream_update(
        actor=people["manager"],
        workstream=people["workstream"],
        expected_version=None,
        lead=people["owner"],
    )
    action = make_action(program, people, due="2026-03-05")  # 4 working days: level 2

    escalation.escalate_program(program, now=NOW)

    assert [(e.idempotency_key[-2:], e.to) for e in escalation_emails()] == [
        ("L1", ["ana@example.com"])
    ]
    action.refresh_from_db()
    assert action.escalation_level == 2
    assert history(action)[-1].changes["not_notified"] == [
        None,
        ["Workstream lead: Ana Souza <ana@example.com> already notified"],
    ]


def test_moving_the_due_date_escalates_again_from_level_one(program, people):
    action = make_action(program, people, due="2026-03-05")
    escalation.escalate_program(program, now=NOW)  # levels 1 and 2
    action = services.action_update(
        actor=people["manager"], action=action, expected_version=None, due_date=d("2026-03-10")
    )

    escalation.escalate_program(program, now=NOW)

    keys = [e.idempotency_key.split(":", 3)[3] for e in escalation_emails()]
    assert keys == ["2026-03-05:L1", "2026-03-05:L2", "2026-03-10:L1"]
    action.refresh_from_db()
    assert action.escalation_level == 2  # a run never lowers the level


def test_a_manual_escalation_is_not_lowered(program, people):
    issue = services.issue_create(
        actor=people["manager"],
        program=program,
        title="Interface to MES fails under load",
        owner=people["owner"],
        workstream=people["workstream"],
        due_date=d("2026-03-10"),
        escalation_level=EscalationLevel.SPONSOR,
    )

    escalation.escalate_program(program, now=NOW)

    [email] = escalation_emails()
    assert email.idempotency_key == f"raid-escalation:issues:{issue.pk}:2026-03-10:L1"
    assert email.subject == (
        f"[ERP] Your issue {issue.key} is overdue: Interface to MES fails under load"
    )
    assert "Severity:      Medium, priority normal" in email.body_text
    issue.refresh_from_db()
    assert issue.escalation_level == EscalationLevel.SPONSOR


@pytest.mark.parametrize(
    "change",
    [
        {"status": ActionStatus.DONE},
        {"status": ActionStatus.CANCELLED},
        {"due_date": d("2026-03-11")},  # due today
        {"due_date": None},
    ],
)
def test_items_that_are_not_overdue_are_left_alone(program, people, change):
    action = make_action(program, people, due="2026-02-20")
    action = services.action_update(
        actor=people["manager"], action=action, expected_version=None, **change
    )
    version = action.version

    assert escalation.escalate_program(program, now=NOW) == []

    assert escalation_emails() == []
    action.refresh_from_db()
    assert (action.escalation_level, action.version) == (0, version)


def test_nothing_is_sent_before_seven_in_the_programs_time_zone(program, people):
    make_action(program, people, due="2026-03-10")
    early = dt.datetime(2026, 3, 11, 6, 59, tzinfo=LONDON)

    assert escalation.escalate_program(program, now=early) == []
    assert escalation_emails() == []
    assert len(escalation.escalate_program(program, now=early + dt.timedelta(minutes=1))) == 1


def test_weekends_and_program_holidays_do_not_count(program, people):
    from schedules.services import holiday_create

    action = make_action(program, people, due="2026-03-06")  # Friday
    saturday = dt.datetime(2026, 3, 7, 10, tzinfo=LONDON)
    assert escalation.escalate_program(program, now=saturday) == []
    holiday_create(
        actor=people["manager"],
        program=program,
        name="Staff day",
        start=d("2026-03-09"),
        finish=d("2026-03-09"),
    )
    monday = dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)
    assert escalation.escalate_program(program, now=monday) == []

    [result] = escalation.escalate_program(program, now=monday + dt.timedelta(days=1))

    assert (result.key, result.days_late, result.level_after) == (action.key, 1, 1)


def test_open_issues_in_progress_escalate_too(program, people):
    issue = services.issue_create(
        actor=people["manager"],
        program=program,
        title="Mock load 2 rejected",
        owner=people["owner"],
        workstream=people["workstream"],
        due_date=d("2026-03-05"),
        status=IssueStatus.IN_PROGRESS,
    )

    escalation.escalate_program(program, now=NOW)

    assert [e.idempotency_key for e in escalation_emails()] == [
        f"raid-escalation:issues:{issue.pk}:2026-03-05:L1",
        f"raid-escalation:issues:{issue.pk}:2026-03-05:L2",
    ]


def test_inactive_owner_gets_nothing_and_the_next_level_follows(program, people):
    people["owner"].is_active = False
    people["owner"].save(update_fields=["is_active"])
    action = make_action(program, people, due="2026-03-05")

    escalation.escalate_program(program, now=NOW)

    assert [(e.idempotency_key[-2:], e.to) for e in escalation_emails()] == [
        ("L2", ["julien@example.com"])
    ]
    assert history(action)[-1].changes["not_notified"] == [None, ["Owner: no owner"]]


# --- the tasks --------------------------------------------------------------------------------


def test_escalation_task_covers_active_programs_only(program, people, time_machine):
    from programs.choices import ProgramStatus

    make_action(program, people, due="2026-03-10")
    other = ProgramFactory(code="CRM", name="CRM rollout", time_zone="Europe/London")
    other_owner = member(other, Role.CONTRIBUTOR, email="owner@crm.example").user
    services.action_create(
        actor=None, program=other, subject=None, title="Sign the SOW", owner=other_owner,
        due_date=d("2026-03-10"),
    )  # fmt: skip
    program_services.program_update(
        actor=None, program=other, expected_version=None, status=ProgramStatus.ON_HOLD
    )
    time_machine.move_to(NOW, tick=False)

    summary = tasks.raid_escalate_overdue_task.apply().get()

    assert summary == {"programs": 1, "changed": 1}
    assert [e.to for e in escalation_emails()] == [["ana@example.com"]]
    assert tasks.raid_escalate_overdue_task.apply().get() == {"programs": 1, "changed": 0}
    assert len(escalation_emails()) == 1


def test_tasks_are_acknowledged_late_retried_and_bounded():
    for task in (
        tasks.raid_escalate_overdue_task,
        tasks.risk_review_remind_task,
        tasks.risk_snapshots_take_task,
    ):
        assert task.acks_late is True
        assert task.time_limit == 300
        assert task.soft_time_limit == 240
        assert task.max_retries == 5
        assert task.retry_backoff == 60


def test_beat_schedule_runs_the_tasks():
    from django.conf import settings

    schedule = {e["task"]: e for e in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"risks.raid_escalate_overdue", "risks.risk_review_remind",
            "risks.risk_snapshots_take"} <= set(schedule)  # fmt: skip
    hourly = schedule["risks.raid_escalate_overdue"]["schedule"]
    assert hourly.hour == set(range(24)) and hourly.minute == {5}


def test_one_failing_program_does_not_stop_the_others(program, people, monkeypatch):
    other = ProgramFactory(code="CRM", name="CRM rollout")
    seen = []

    def work(p, *, now):
        seen.append(p.code)
        if p.code == "CRM":
            raise RuntimeError("broken")
        return []

    with pytest.raises(RuntimeError, match="broken"):
        escalation._each_program(work, NOW)

    assert sorted(seen) == ["CRM", "ERP"]
    assert other.pk


# --- review reminders ------------------------------------------------------------------------


def make_risk(program, people, *, review="2026-03-11", **fields):
    values = {
        "title": "Legacy data quality delays mock load 3",
        "owner": people["owner"],
        "probability": 4,
        "impact_schedule": 4,
        "impact_cost": 3,
        "review_date": d(review) if review else None,
        **fields,
    }
    return services.risk_create(actor=people["manager"], program=program, **values)


def review_emails():
    return list(OutboundEmail.objects.filter(idempotency_key__startswith="raid-review:"))


def test_review_reminder_goes_to_the_owner_once_per_review_date(program, people):
    risk = make_risk(program, people)
    version = risk.version

    assert escalation.remind_program(program, now=NOW) == [risk.pk]
    assert escalation.remind_program(program, now=NOW) == []

    [email] = review_emails()
    assert email.to == ["ana@example.com"]
    assert email.idempotency_key == f"raid-review:{risk.pk}:2026-03-11"
    assert email.subject == (
        f"[ERP] Risk {risk.key} is due for review today: Legacy data quality delays mock load 3"
    )
    assert "Score:         16 (likely x major)" in email.body_text
    risk.refresh_from_db()
    assert risk.review_reminded_for == d("2026-03-11")
    assert risk.version == version  # bookkeeping, not an edit: nobody's form goes stale
    entry = history(risk)[-1]
    assert entry.changes == {
        "review_reminder": [None, "Sent to Ana Souza <ana@example.com> for 2026-03-11"]
    }


def test_a_new_review_date_gets_a_new_reminder(program, people):
    risk = make_risk(program, people, review="2026-03-02")
    escalation.remind_program(program, now=NOW)
    assert review_emails()[0].subject.startswith(f"[ERP] Risk {risk.key} is due for review since")
    services.risk_update(
        actor=people["manager"], risk=risk, expected_version=None, review_date=d("2026-03-18")
    )
    assert escalation.remind_program(program, now=NOW) == []

    later = NOW + dt.timedelta(days=7)
    assert escalation.remind_program(program, now=later) == [risk.pk]

    assert sorted(e.idempotency_key for e in review_emails()) == [
        f"raid-review:{risk.pk}:2026-03-02",
        f"raid-review:{risk.pk}:2026-03-18",
    ]


@pytest.mark.parametrize(
    ("review", "status", "owned"),
    [
        ("2026-03-12", RiskStatus.OPEN, True),  # not yet
        ("2026-03-10", RiskStatus.CLOSED, True),
        ("2026-03-10", RiskStatus.OCCURRED, True),
        (None, RiskStatus.OPEN, True),
        ("2026-03-10", RiskStatus.OPEN, False),
    ],
)
def test_no_reminder_when_not_due_closed_or_unowned(program, people, review, status, owned):
    risk = make_risk(program, people, review=review, status=status)
    if not owned:
        services.risk_update(actor=None, risk=risk, expected_version=None, owner=None)

    assert escalation.remind_program(program, now=NOW) == []
    assert review_emails() == []
    risk.refresh_from_db()
    assert risk.review_reminded_for is None


def test_review_reminder_task(program, people, time_machine):
    make_risk(program, people)
    time_machine.move_to(NOW, tick=False)

    assert tasks.risk_review_remind_task.apply().get() == {"programs": 1, "changed": 1}
    assert tasks.risk_review_remind_task.apply().get() == {"programs": 1, "changed": 0}
    assert len(review_emails()) == 1


# --- weekly snapshots --------------------------------------------------------------------------


def test_snapshot_task_takes_one_point_per_program_and_week(program, people, time_machine):
    make_risk(program, people)
    make_risk(program, people, title="Key user availability", probability=2)
    time_machine.move_to(NOW, tick=False)

    assert tasks.risk_snapshots_take_task.apply().get() == {"programs": 1, "changed": 1}
    make_risk(program, people, title="Vendor insolvency", probability=1)
    assert tasks.risk_snapshots_take_task.apply().get() == {"programs": 1, "changed": 1}

    [snap] = RiskSnapshot.objects.filter(program=program)
    assert snap.week_start == d("2026-03-09")
    assert (snap.open_count, snap.total_exposure) == (3, 16 + 8 + 4)
    time_machine.move_to(NOW + dt.timedelta(days=7), tick=False)
    tasks.risk_snapshots_take_task.apply().get()
    assert list(
        RiskSnapshot.objects.filter(program=program).values_list("week_start", flat=True)
    ) == [d("2026-03-09"), d("2026-03-16")]
