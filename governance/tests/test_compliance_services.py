"""Compliance services: obligations, the escalation of non-compliance (once per step, under
repeated runs), review reminders, evidence files (limits, types, SHA-256) and the evidence
package read back with zipfile and csv."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404

from core.models import AuditEntry, OutboundEmail
from core.permissions import Role
from core.services import email_send
from core.tests.factories import UserFactory
from core.versioning import StaleVersionError
from governance.models import Evidence, Obligation
from governance.selectors import compliance as selectors
from governance.services import compliance as services
from governance.tasks import compliance_reviews_and_escalations_task
from programs import services as program_services
from programs.tests.factories import member

from .compliance_factories import PDF, evidence, media, obligation  # noqa: F401 - media: a fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

NOV_2 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)  # a Monday


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def entries(instance) -> list[AuditEntry]:
    ct = ContentType.objects.get_for_model(instance)
    return list(
        AuditEntry.objects.filter(content_type=ct, object_id=str(instance.pk)).order_by("id")
    )


@pytest.fixture
def sponsor(program, manager):
    user = member(program, Role.EXECUTIVE, full_name="Daniel Okafor", email="sponsor@example.com")
    program_services.program_update(
        actor=manager, program=program, expected_version=program.version, sponsor=user.user
    )
    program.refresh_from_db()
    return user.user


@pytest.fixture
def owner(program):
    return member(
        program, Role.CONTRIBUTOR, full_name="Fatima Khan", email="fatima@example.com"
    ).user


def escalation_emails() -> list[OutboundEmail]:
    return list(
        OutboundEmail.objects.filter(idempotency_key__startswith="compliance-escalation:").order_by(
            "created_at"
        )
    )


# --- obligations ----------------------------------------------------------------------------------


def test_create_gives_a_key_and_audits(program, manager, owner):
    first = obligation(program, owner=owner)
    second = obligation(program, owner=owner, reference="GDPR Art. 30")

    assert (first.key, second.key) == ("CMP-1", "CMP-2")
    [entry] = entries(first)
    assert entry.action == "create"
    assert entry.changes["reference"] == [None, "GDPR Art. 32"]
    assert entry.changes["owner"] == [None, {"id": owner.pk, "repr": "Fatima Khan"}]
    assert "status_changed_at" not in entry.changes
    assert escalation_emails() == []


def test_owner_must_be_a_member(program, manager):
    with pytest.raises(ValidationError) as exc:
        obligation(program, owner=UserFactory(full_name="Olga Outside"))

    assert exc.value.message_dict == {"owner": ["Olga Outside is not a member of ERP."]}
    assert Obligation.objects.count() == 0


def test_unknown_fields_are_refused(program, manager, owner):
    with pytest.raises(ValidationError, match="cannot be changed here: escalation_level"):
        obligation(program, owner=owner, escalation_level=3)


def test_stale_update_is_refused(program, manager, owner):
    item = obligation(program, owner=owner)
    services.obligation_update(actor=manager, obligation=item, expected_version=1, notes="Checked")
    before = list(Obligation.objects.values())

    with pytest.raises(StaleVersionError):
        services.obligation_update(actor=manager, obligation=item, expected_version=1, notes="x")

    assert list(Obligation.objects.values()) == before


# --- escalation -----------------------------------------------------------------------------------


def test_becoming_non_compliant_emails_the_managers_once_and_records_the_step(
    program, manager, owner
):
    with at(NOV_2):
        item = obligation(program, owner=owner, status="at_risk")
        updated = services.obligation_update(
            actor=manager, obligation=item, expected_version=1, status="non_compliant",
            notes="Q3 review not done.",
        )  # fmt: skip
        # another save while non-compliant escalates nothing more
        services.obligation_update(
            actor=manager, obligation=item, expected_version=2, notes="Q3 review still open."
        )

    assert updated.escalation_level == 1
    assert updated.status_changed_at == NOV_2
    assert updated.last_escalation == (
        f"Step 1: e-mailed the program manager ({manager}) on 2 Nov 2026."
    )
    [email] = escalation_emails()
    assert email.to == [manager.email]
    assert email.subject == "[ERP] CMP-1 is non-compliant: GDPR Art. 32"
    assert email.idempotency_key == f"compliance-escalation:{item.pk}:{int(NOV_2.timestamp())}:1"
    assert "has been marked non-compliant" in email.body_text
    assert "Owner:       Fatima Khan" in email.body_text
    assert "/programs/ERP/governance/compliance/CMP-1/" in email.body_text
    # the status change and the step are one entry of the history
    assert entries(item)[1].changes == {
        "status": ["at_risk", "non_compliant"],
        "notes": ["", "Q3 review not done."],
        "escalation_level": [0, 1],
        "last_escalation": ["", updated.last_escalation],
    }


def test_created_non_compliant_is_escalated_at_once(program, manager, owner):
    with at(NOV_2):
        item = obligation(program, owner=owner, status="non_compliant")

    assert item.escalation_level == 1
    assert len(escalation_emails()) == 1
    assert entries(item)[0].changes["escalation_level"] == [None, 1]


def test_every_manager_is_emailed(program, manager, owner):
    second = member(program, Role.MANAGER, full_name="Marcus Lee", email="marcus@example.com").user

    with at(NOV_2):
        item = obligation(program, owner=owner, status="non_compliant")

    [email] = escalation_emails()
    assert sorted(email.to) == sorted([manager.email, second.email])
    assert item.last_escalation.startswith(
        f"Step 1: e-mailed the program managers ({', '.join(sorted([str(manager), 'Marcus Lee']))})"
    )


def test_re_escalation_once_per_step_with_the_sponsor(program, manager, owner, sponsor):
    with at(NOV_2):
        item = obligation(program, owner=owner, status="non_compliant")

    with at(NOV_2 + dt.timedelta(days=13)):
        assert services.obligation_escalations_run() == 0
    with at(NOV_2 + dt.timedelta(days=14, hours=1)):
        assert services.obligation_escalations_run() == 1
        assert services.obligation_escalations_run() == 0  # run again (a retried task)
    item.refresh_from_db()
    assert item.escalation_level == 2
    assert item.last_escalation == (
        f"Step 2: still non-compliant after 14 days; e-mailed the program manager ({manager}) "
        "and the sponsor (Daniel Okafor) on 16 Nov 2026."
    )
    with at(NOV_2 + dt.timedelta(days=29)):
        compliance_reviews_and_escalations_task()
        compliance_reviews_and_escalations_task()
    with at(NOV_2 + dt.timedelta(days=90)):
        assert services.obligation_escalations_run() == 0  # three steps at most

    item.refresh_from_db()
    assert item.escalation_level == 3
    emails = escalation_emails()
    assert [e.idempotency_key.rsplit(":", 1)[1] for e in emails] == ["1", "2", "3"]
    assert emails[1].to == [manager.email, "sponsor@example.com"]
    assert emails[1].subject == "[ERP] Still non-compliant (14 days): CMP-1 GDPR Art. 32"
    steps = [e.changes.get("escalation_level") for e in entries(item)]
    assert steps == [[None, 1], [1, 2], [2, 3]]
    assert entries(item)[1].actor_name == "system"


def test_sent_escalations_reach_the_outbox_once_even_when_sends_are_retried(
    program, manager, owner
):
    with at(NOV_2):
        obligation(program, owner=owner, status="non_compliant")
    with at(NOV_2 + dt.timedelta(days=15)):
        compliance_reviews_and_escalations_task()
        compliance_reviews_and_escalations_task()

    for email in escalation_emails():
        email_send(email_id=email.pk)
        email_send(email_id=email.pk)  # the send task delivered twice

    assert [m.subject for m in mail.outbox] == [
        "[ERP] CMP-1 is non-compliant: GDPR Art. 32",
        "[ERP] Still non-compliant (15 days): CMP-1 GDPR Art. 32",
    ]


def test_recovery_resets_the_steps_and_a_new_episode_escalates_again(program, manager, owner):
    with at(NOV_2):
        item = obligation(program, owner=owner, status="non_compliant")
    with at(NOV_2 + dt.timedelta(days=3)):
        recovered = services.obligation_update(
            actor=manager, obligation=item, expected_version=1, status="compliant"
        )
    with at(NOV_2 + dt.timedelta(days=20)):
        assert services.obligation_escalations_run() == 0
        again = services.obligation_update(
            actor=manager, obligation=item, expected_version=2, status="non_compliant"
        )

    assert (recovered.escalation_level, recovered.last_escalation) == (0, "")
    assert again.escalation_level == 1
    keys = [e.idempotency_key for e in escalation_emails()]
    assert len(keys) == 2 and keys[0] != keys[1]


def test_closed_programs_are_not_escalated(program, manager, owner):
    with at(NOV_2):
        obligation(program, owner=owner, status="non_compliant")
    program_services.program_update(
        actor=manager, program=program, expected_version=program.version, status="closed"
    )

    with at(NOV_2 + dt.timedelta(days=20)):
        assert services.obligation_escalations_run() == 0


# --- review reminders -----------------------------------------------------------------------------


def test_owners_are_reminded_a_week_before_and_once_when_overdue(program, manager, owner):
    due = obligation(program, owner=owner, review_date=dt.date(2026, 11, 9))
    obligation(program, owner=owner, review_date=dt.date(2026, 11, 20))  # not yet

    with at(NOV_2):
        assert services.obligation_review_reminders_run() == 1
        assert services.obligation_review_reminders_run() == 0
    with at(NOV_2 + dt.timedelta(days=8)):
        assert services.obligation_review_reminders_run() == 1
        assert services.obligation_review_reminders_run() == 0

    reminders = list(
        OutboundEmail.objects.filter(idempotency_key__startswith="compliance-review:").order_by(
            "created_at"
        )
    )
    assert [r.idempotency_key for r in reminders] == [
        f"compliance-review:{due.pk}:2026-11-09:due",
        f"compliance-review:{due.pk}:2026-11-09:overdue",
    ]
    assert reminders[0].to == ["fatima@example.com"]
    assert reminders[0].subject == "[ERP] Review due 9 Nov: CMP-1 GDPR Art. 32"
    assert "is due on 9 Nov 2026, in 7 days" in reminders[0].body_text
    assert reminders[1].subject == "[ERP] Review overdue: CMP-1 GDPR Art. 32"
    assert "was due on 9 Nov 2026 (1 day ago)" in reminders[1].body_text


def test_moving_the_review_date_on_gives_a_new_reminder(program, manager, owner):
    item = obligation(program, owner=owner, review_date=dt.date(2026, 11, 5))
    with at(NOV_2):
        services.obligation_review_reminders_run()
        services.obligation_update(
            actor=manager, obligation=item, expected_version=1, review_date=dt.date(2027, 2, 5)
        )
        assert services.obligation_review_reminders_run() == 0
    with at(dt.datetime(2027, 2, 1, 9, tzinfo=dt.UTC)):
        assert services.obligation_review_reminders_run() == 1


# --- evidence -------------------------------------------------------------------------------------


def test_evidence_is_stored_with_its_sha256_and_audited(program, manager, owner):
    item = obligation(program, owner=owner)
    content = b"Q3 user access review, signed.\n"

    added = evidence(item, "Q3 review.txt", content, note="Signed by the controller", actor=owner)

    assert (added.file_name, added.size, added.content_type) == (
        "Q3 review.txt",
        len(content),
        "text/plain",
    )
    assert added.sha256 == hashlib.sha256(content).hexdigest()
    assert added.uploaded_by == owner
    stored = Path(settings.MEDIA_ROOT) / added.file.name
    assert stored.read_bytes() == content
    assert added.file.name.startswith(f"evidence/{program.pk}/{item.pk}/")
    [entry] = entries(added)
    assert entry.changes["sha256"] == [None, added.sha256]
    assert "file" not in entry.changes


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "report.exe",
            b"MZ\x90\x00",
            "“report.exe” is not a type accepted as evidence. Upload a PDF",
        ),
        ("scan.pdf", b"not a pdf at all", "“scan.pdf” does not look like a PDF file"),
        ("photo.png", b"\xff\xd8\xff\xe0JFIF", "“photo.png” does not look like a PNG image file"),
        ("notes.txt", b"binary\x00data", "“notes.txt” does not look like a text file"),
        ("empty.pdf", b"", "“empty.pdf” is empty."),
    ],
)
def test_evidence_of_the_wrong_type_is_refused(program, manager, name, content, reason):
    item = obligation(program)

    with pytest.raises(ValidationError) as exc:
        evidence(item, name, content)

    [message] = exc.value.message_dict["file"]
    assert message.startswith(reason)
    assert Evidence.objects.count() == 0
    assert list(Path(settings.MEDIA_ROOT).rglob("*.*")) == []


def test_evidence_over_the_size_limit_is_refused(program, manager, settings):
    settings.COMPLIANCE_EVIDENCE_MAX_BYTES = 1024
    item = obligation(program)

    with pytest.raises(ValidationError) as exc:
        evidence(item, "big.pdf", PDF + b"0" * 2048)

    assert exc.value.message_dict == {
        "file": ["“big.pdf” is 2 KB; evidence files can be at most 1 KB."]
    }
    assert Evidence.objects.count() == 0


def test_evidence_names_lose_paths_and_control_characters(program, manager):
    item = obligation(program)

    added = evidence(item, "..\\..\\etc/pass\x07wd.txt", b"ok\n")

    assert added.file_name == "passwd.txt"


def test_evidence_delete_removes_the_file_after_commit(
    program, manager, django_capture_on_commit_callbacks
):
    item = obligation(program)
    added = evidence(item)
    stored = Path(settings.MEDIA_ROOT) / added.file.name

    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(actor=manager, evidence=added, expected_version=1)

    assert not Evidence.objects.exists()
    assert not stored.exists()
    assert entries(added)[-1].action == "delete"


def test_obligation_with_evidence_cannot_be_deleted(program, manager):
    item = obligation(program)
    evidence(item)

    with pytest.raises(ValidationError) as exc:
        services.obligation_delete(actor=manager, obligation=item, expected_version=1)

    assert exc.value.messages == [
        "CMP-1 has 1 evidence file; auditors may need them. Remove the evidence first if it "
        "really was filed in error."
    ]
    assert Obligation.objects.count() == 1


def test_obligation_without_evidence_is_deleted(program, manager):
    item = obligation(program)

    services.obligation_delete(actor=manager, obligation=item, expected_version=1)

    assert not Obligation.objects.exists()
    assert entries(item)[-1].action == "delete"


def test_history_has_the_obligation_and_its_evidence(program, manager):
    item = obligation(program)
    kept = evidence(item, "kept.txt", b"kept\n")
    gone = evidence(item, "gone.txt", b"gone\n")
    services.evidence_delete(actor=manager, evidence=gone, expected_version=1)
    other = evidence(obligation(program, reference="GDPR Art. 30"), "other.txt", b"other\n")

    history = list(selectors.obligation_history(obligation=item))

    assert [(e.action, e.object_repr) for e in history] == [
        ("delete", "CMP-1 · gone.txt"),
        ("create", "CMP-1 · gone.txt"),
        ("create", "CMP-1 · kept.txt"),
        ("create", "CMP-1 Security of processing"),
    ]
    assert str(other.pk) not in {e.object_id for e in history}
    assert str(kept.pk) in {e.object_id for e in history}


# --- the evidence package -------------------------------------------------------------------------


def read_package(handle) -> tuple[zipfile.ZipFile, list[dict]]:
    archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    text = archive.read("index.csv").decode("utf-8")
    assert text.startswith("\ufeff")
    return archive, list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_package_has_a_folder_per_obligation_and_an_index(program, manager, owner):
    with at(NOV_2):
        gdpr = obligation(program, owner=owner)
        sox = obligation(
            program, title="Access reviews", reference="SOX ITGC: AC/1", status="non_compliant",
            review_date=dt.date(2026, 10, 1),
        )  # fmt: skip
        bare = obligation(program, reference="MSA §14.2", kind="contract")
        first = evidence(gdpr, "pentest.pdf", PDF, note="External test", actor=owner)
        evidence(gdpr, "pentest.pdf", PDF + b"% v2\n", note="=cmd|' /C calc'!A0")
        evidence(sox, "q3.txt", b"open: 81\n")

    handle = selectors.evidence_package(
        program=program,
        obligations=selectors.package_obligations(program=program, keys=None),
    )
    archive, index = read_package(handle)

    assert sorted(archive.namelist()) == [
        "CMP-1 GDPR Art. 32/pentest (2).pdf",
        "CMP-1 GDPR Art. 32/pentest.pdf",
        "CMP-2 SOX ITGC_ AC_1/q3.txt",
        "index.csv",
    ]
    assert archive.read("CMP-1 GDPR Art. 32/pentest.pdf") == PDF
    assert [r["file_name"] for r in index] == [
        "CMP-1 GDPR Art. 32/pentest.pdf",
        "CMP-1 GDPR Art. 32/pentest (2).pdf",
        "CMP-2 SOX ITGC_ AC_1/q3.txt",
        "",
    ]
    assert index[0] == {
        "obligation_key": "CMP-1",
        "reference": "GDPR Art. 32",
        "title": "Security of processing",
        "status": "Compliant",
        "owner": "Fatima Khan",
        "review_date": "2026-12-15",
        "file_name": "CMP-1 GDPR Art. 32/pentest.pdf",
        "note": "External test",
        "uploaded_by": "Fatima Khan",
        "uploaded_at": "2026-11-02T09:00:00+00:00",
        "sha256": first.sha256,
        "size_bytes": str(len(PDF)),
    }
    assert index[1]["note"] == "'=cmd|' /C calc'!A0"
    assert hashlib.sha256(archive.read(index[1]["file_name"])).hexdigest() == index[1]["sha256"]
    assert (index[2]["status"], index[2]["review_date"]) == ("Non-compliant", "2026-10-01")
    assert index[3]["obligation_key"] == bare.key and index[3]["sha256"] == ""


def test_package_of_selected_obligations(program, manager):
    first = obligation(program)
    second = obligation(program, reference="GDPR Art. 30")
    evidence(first, "a.txt", b"a\n")
    evidence(second, "b.txt", b"b\n")

    chosen = selectors.package_obligations(program=program, keys=["cmp-2"])
    archive, index = read_package(selectors.evidence_package(program=program, obligations=chosen))

    assert sorted(archive.namelist()) == ["CMP-2 GDPR Art. 30/b.txt", "index.csv"]
    assert [r["obligation_key"] for r in index] == ["CMP-2"]
    with pytest.raises(Http404, match="No obligation CMP-9 in ERP"):
        selectors.package_obligations(program=program, keys=["CMP-2", "CMP-9"])


def test_package_lists_a_file_missing_from_storage(program, manager):
    item = obligation(program)
    added = evidence(item, "lost.txt", b"lost\n", note="Signed")
    (Path(settings.MEDIA_ROOT) / added.file.name).unlink()

    archive, index = read_package(selectors.evidence_package(program=program, obligations=[item]))

    assert archive.namelist() == ["index.csv"]
    assert index[0]["note"] == "[file missing from storage] Signed"
