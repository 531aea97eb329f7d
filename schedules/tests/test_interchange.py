"""MSPDI import/export and the CSV export, through the interchange services.

The fixtures are files saved by Microsoft Project with its own computed values: after an
import, the app's recompute must reproduce them for every task. Dates are compared in working
time (a finish at 17:00 and one at 08:00 the next working day are the same moment; see the
fixtures' README), converted to plan dates with the app's own rule. A milestone is compared
on the date MS Project shows it: the calendar date of its timestamp. (A manually scheduled
milestone at 08:00 on the project's first day is at working minute 0, which as a *finish* would
be the previous working day's 17:00; Project and the app both show it on the day itself.)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from core.models import AuditEntry
from programs.tests.factories import ProgramFactory, WorkstreamFactory
from schedules import mspdi, services
from schedules.interchange import MspdiImportError, export_mspdi, import_mspdi, wbs_csv_rows
from schedules.models import (
    Baseline,
    BaselineItem,
    Dependency,
    Holiday,
    Item,
    ItemKind,
    Schedule,
)
from schedules.tests.factories import ItemFactory, days, link
from schedules.tests.test_mspdi_agreement import FILES, FIXTURES

pytestmark = pytest.mark.django_db
NS = "{http://schemas.microsoft.com/project}"


def _fixture_cases():
    if not FILES:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no fixtures in {FIXTURES}"))]
    return [pytest.param(path, id=path.stem) for path in FILES]


def _kept_tasks(project: mspdi.MSPDIProject) -> list[mspdi.MSPDITask]:
    return [
        t
        for t in project.tasks
        if t.uid != 0 and t.outline_level != 0 and not t.is_null and t.active
    ]


def _state(program) -> dict:
    """Everything an import writes, for 'nothing changed' assertions."""
    return {
        "items": list(Item.objects.filter(program=program).values_list("key", "name", "wbs")),
        "links": Dependency.objects.filter(program=program).count(),
        "holidays": Holiday.objects.filter(program=program).count(),
        "baselines": Baseline.objects.filter(program=program).count(),
        "audit": AuditEntry.objects.filter(program_id=program.pk).count(),
    }


# --- the fixtures: every file imports, and our recompute agrees with MS Project ------------------


@pytest.mark.parametrize("path", _fixture_cases())
def test_fixture_imports_and_recompute_matches_ms_project(path, program, manager):
    project = mspdi.parse(path)
    result = import_mspdi(program, path, manager)

    tasks = _kept_tasks(project)
    items = list(Item.objects.filter(program=program).order_by("outline_path"))
    assert result.items == len(tasks) == len(items)
    assert result.links == sum(len(t.links) for t in tasks)
    cal = services.program_calendar(program)
    off = cal.work.to_offset
    mismatches = []
    for t, item in zip(tasks, items, strict=True):
        milestone = item.kind == ItemKind.MILESTONE

        def start(value, milestone=milestone):
            return value.date() if milestone else cal.start_date(off(value))

        def finish(value, milestone=milestone):
            return value.date() if milestone else cal.finish_date(off(value))

        expected = {
            "name": " ".join(t.name.split()),
            "start": start(t.start),
            "finish": finish(t.finish),
            "early_start": start(t.early_start),
            "early_finish": finish(t.early_finish),
            "late_start": start(t.late_start),
            "late_finish": finish(t.late_finish),
            "total_float_minutes": t.total_slack / 10,
            "free_float_minutes": t.free_slack / 10,
            "critical": t.critical,
        }
        actual = {name: getattr(item, name) for name in expected}
        if actual != expected:
            diff = {k: (expected[k], actual[k]) for k in expected if expected[k] != actual[k]}
            mismatches.append((t.uid, item.key, diff))
    assert mismatches == [], "\n".join(map(str, mismatches))
    schedule = Schedule.objects.get(program=program)
    assert schedule.project_start == project.start.date()
    assert schedule.project_finish == cal.finish_date(off(project.finish))


def test_import_reads_outline_links_lags_and_baseline():
    """officeimo: FS/SS/FF/SF with hour lags, a lead, a 50% lag, a milestone, a baseline."""
    path = FIXTURES / "officeimo_relationships_p2024.xml"
    if not path.exists():
        pytest.skip("fixture missing")
    program = ProgramFactory(code="IMO")
    actor = program.memberships.get().user
    result = import_mspdi(program, path, actor)
    assert result.baselines == 1
    items = {i.name: i for i in Item.objects.filter(program=program)}
    project = mspdi.parse(path)
    by_uid = {t.uid: t for t in project.tasks}
    links = {
        (d.predecessor.name, d.successor.name): (d.type, d.lag_minutes, d.lag_percent)
        for d in Dependency.objects.filter(program=program).select_related(
            "predecessor", "successor"
        )
    }
    expected = {}
    for t in _kept_tasks(project):
        for ln in t.links:
            lag, pct = mspdi.lag_minutes(ln)
            expected[(by_uid[ln.predecessor_uid].name, t.name)] = (
                ln.type.name,
                lag,
                None if pct is None else Decimal(str(pct)).quantize(Decimal("0.01")),
            )
    assert links == expected
    assert {v[0] for v in links.values()} == {"FS", "SS", "FF", "SF"}
    assert any(v[2] == Decimal("50.00") for v in links.values())
    assert any(v[1] < 0 for v in links.values())
    assert any(i.kind == ItemKind.MILESTONE for i in items.values())
    baseline = Baseline.objects.get(program=program)
    assert (baseline.name, baseline.number, baseline.is_current) == ("Baseline", 0, True)
    assert BaselineItem.objects.filter(baseline=baseline).count() == sum(
        1 for t in _kept_tasks(project) if any(b.number == 0 for b in t.baselines)
    )
    costly = [t for t in _kept_tasks(project) if t.cost]
    assert costly
    for t in costly:
        assert items[t.name].cost == t.cost


def test_import_reads_manual_tasks_progress_and_constraints(program, manager):
    path = FIXTURES / "infragistics_projectfile1_p2010.xml"
    if not path.exists():
        pytest.skip("fixture missing")
    result = import_mspdi(program, path, manager)
    project = mspdi.parse(path)
    items = list(Item.objects.filter(program=program).order_by("outline_path"))
    tasks = _kept_tasks(project)
    assert [i.manual for i in items] == [t.manual for t in tasks]
    assert [i.percent_complete for i in items if i.kind != ItemKind.SUMMARY] == [
        round(t.percent_complete) for t in tasks if not t.summary
    ]
    assert [i.actual_start for i in items] == [
        t.actual_start.date() if t.actual_start else None for t in tasks
    ]
    assert [i.constraint for i in items] == [
        {0: "asap", 4: "snet"}[t.constraint_type] for t in tasks
    ]
    complete = [i for i in items if i.percent_complete == 100 and i.kind != ItemKind.SUMMARY]
    assert complete and all(i.status == "complete" for i in complete)
    # the milestone that carries a duration is kept as a task so its dates stay right
    assert any("imported as tasks" in w for w in result.warnings)


# --- export, and export -> import round trip ----------------------------------------------------


def _build_rich_program():
    program = ProgramFactory(code="RT", name="Round & trip <plan>")
    actor = program.memberships.get().user
    ws = WorkstreamFactory(program=program, name="Build")
    services.holiday_create(
        actor=actor,
        program=program,
        name="Christmas",
        start=dt.date(2026, 12, 24),
        finish=dt.date(2026, 12, 28),
    )
    services.holiday_create(
        actor=actor,
        program=program,
        name="May day",
        start=dt.date(2026, 5, 1),
        finish=dt.date(2026, 5, 1),
    )
    phase = ItemFactory(
        program=program, name="Phase 1 — design", workstream=ws, description="Scope <&> risks"
    )
    a = ItemFactory(program=program, parent=phase, name="Spec = formula?", duration_minutes=days(3))
    b = ItemFactory(program=program, parent=phase, name="Review", duration_minutes=days(2.5))
    c = ItemFactory(
        program=program,
        parent=phase,
        name="Prototype",
        duration_minutes=days(4),
        constraint="snet",
        constraint_date=dt.date(2026, 2, 2),
        deadline=dt.date(2026, 3, 6),
        cost=Decimal("12345.67"),
    )
    sub = ItemFactory(program=program, parent=c, name="Deep task", duration_minutes=days(1))
    c.refresh_from_db()
    m = ItemFactory(program=program, name="Design approved", kind=ItemKind.MILESTONE)
    d = ItemFactory(
        program=program,
        name="Pinned",
        duration_minutes=days(2),
        constraint="fnlt",
        constraint_date=dt.date(2026, 4, 30),
    )
    e = ItemFactory(
        program=program,
        name="Manual",
        manual=True,
        duration_minutes=days(2),
        manual_start=dt.date(2026, 3, 2),
        manual_finish=dt.date(2026, 3, 3),
    )
    link(a, b, "FS", 1)
    link(a, sub, "SS", 0.5)
    link(b, m, "FF", -1)
    link(m, d, "SF", 2)
    services.dependency_create(
        actor=actor,
        program=program,
        predecessor=d,
        successor=e,
        type="FS",
        lag_minutes=0,
        lag_percent=Decimal("25"),
    )
    services.item_update(
        actor=actor, item=Item.objects.get(pk=a.pk), expected_version=None, percent_complete=40
    )
    services.baseline_create(actor=actor, program=program, name="Plan of record")
    services.item_update(
        actor=actor, item=Item.objects.get(pk=b.pk), expected_version=None,
        duration_minutes=days(6), cost=Decimal("99.50"),
    )  # fmt: skip
    services.baseline_create(actor=actor, program=program, name="Re-plan", make_current=False)
    return program, actor


ITEM_FIELDS = (
    "name", "description", "kind", "wbs", "depth", "duration_minutes", "manual", "manual_start",
    "manual_finish", "percent_complete", "actual_start", "actual_finish", "constraint",
    "constraint_date", "deadline", "cost", "start", "finish", "early_start", "early_finish",
    "late_start", "late_finish", "total_float_minutes", "free_float_minutes", "critical",
)  # fmt: skip


def _snapshot(program) -> dict:
    items = list(Item.objects.filter(program=program).order_by("outline_path"))
    position = {i.pk: n for n, i in enumerate(items)}
    return {
        "items": [{f: getattr(i, f) for f in ITEM_FIELDS} for i in items],
        "parents": [position.get(i.parent_id) for i in items],
        "links": sorted(
            (
                position[d.predecessor_id],
                position[d.successor_id],
                d.type,
                d.lag_minutes,
                d.lag_percent,
            )
            for d in Dependency.objects.filter(program=program)
        ),
        "holidays": list(
            Holiday.objects.filter(program=program)
            .order_by("start")
            .values_list("name", "start", "finish")
        ),
        "weekdays": Schedule.objects.get(program=program).weekdays,
        "project_start": Schedule.objects.get(program=program).project_start or program.start_date,
        "baselines": sorted(
            (
                b.number,
                sorted(
                    (position[bi.item_id], bi.start, bi.finish, bi.duration_minutes, bi.cost)
                    for bi in b.items.all()
                ),
            )
            for b in Baseline.objects.filter(program=program)
        ),
        "current_baseline": list(
            Baseline.objects.filter(program=program, is_current=True).values_list(
                "number", flat=True
            )
        ),
    }


def test_export_then_import_is_lossless():
    program, _actor = _build_rich_program()
    before = _snapshot(program)
    data = export_mspdi(program)

    copy = ProgramFactory(code="RT2")
    result = import_mspdi(copy, data, copy.memberships.get().user)
    after = _snapshot(copy)
    assert result.warnings == []
    for key in before:
        assert after[key] == before[key], key
    assert result.items == len(before["items"]) == 8
    assert result.links == 5
    assert result.holidays == 2
    assert result.baselines == 2


def test_export_writes_ms_project_fields_in_its_units():
    program, _ = _build_rich_program()
    root = ET.fromstring(export_mspdi(program))  # noqa: S314 (our own output)
    assert root.tag == f"{NS}Project"
    assert root.findtext(f"{NS}MinutesPerDay") == "480"
    assert root.findtext(f"{NS}Title") == "Round & trip <plan>"
    assert root.findtext(f"{NS}StartDate") == "2026-01-05T08:00:00"
    tasks = {t.findtext(f"{NS}Name"): t for t in root.iter(f"{NS}Task")}
    summary = tasks["Round & trip <plan>"]
    assert (summary.findtext(f"{NS}UID"), summary.findtext(f"{NS}OutlineLevel")) == ("0", "0")
    review = Item.objects.get(program=program, name="Review")
    t = tasks["Review"]
    assert t.findtext(f"{NS}UID") == review.key.split("-")[1]
    assert t.findtext(f"{NS}OutlineNumber") == review.wbs == "1.2"
    assert t.findtext(f"{NS}Duration") == "PT48H0M0S"
    assert t.findtext(f"{NS}TotalSlack") == str(review.total_float_minutes * 10)
    assert t.findtext(f"{NS}FreeSlack") == str(review.free_float_minutes * 10)
    assert t.findtext(f"{NS}Critical") == str(int(review.critical))
    assert t.findtext(f"{NS}Start") == f"{review.start}T08:00:00"
    assert t.findtext(f"{NS}EarlyFinish") == f"{review.early_finish}T17:00:00"
    assert t.findtext(f"{NS}Cost") == "9950"
    assert [b.findtext(f"{NS}Number") for b in t.iterfind(f"{NS}Baseline")] == ["0", "1"]
    ln = t.find(f"{NS}PredecessorLink")
    assert (
        ln.findtext(f"{NS}Type"),
        ln.findtext(f"{NS}LinkLag"),
        ln.findtext(f"{NS}LagFormat"),
    ) == (
        "1",
        "4800",
        "7",
    )
    sub = tasks["Deep task"].find(f"{NS}PredecessorLink")
    assert [sub.findtext(f"{NS}{n}") for n in ("Type", "LinkLag", "LagFormat")] == [
        "3",
        "2400",
        "5",
    ]
    pct = tasks["Manual"].find(f"{NS}PredecessorLink")
    assert (pct.findtext(f"{NS}LinkLag"), pct.findtext(f"{NS}LagFormat")) == ("25", "19")
    proto = tasks["Prototype"]
    assert proto.findtext(f"{NS}ConstraintType") == "4"
    assert proto.findtext(f"{NS}ConstraintDate") == "2026-02-02T08:00:00"
    assert proto.findtext(f"{NS}Deadline") == "2026-03-06T17:00:00"
    assert proto.findtext(f"{NS}Summary") == "1"
    assert tasks["Design approved"].findtext(f"{NS}Milestone") == "1"
    assert tasks["Manual"].findtext(f"{NS}Manual") == "1"
    exceptions = root.findall(f"{NS}Calendars/{NS}Calendar/{NS}Exceptions/{NS}Exception")
    assert [e.findtext(f"{NS}Name") for e in exceptions] == ["May day", "Christmas"]
    # and our own reader agrees: the engine over the exported file gives our dates
    project = mspdi.parse(export_mspdi(program))
    assert len(project.tasks) == 9


def test_export_of_an_empty_program_is_a_valid_document(program):
    project = mspdi.parse(export_mspdi(program))
    assert [t.uid for t in project.tasks] == [0]


# --- bad input: refused with a message naming the element; nothing imported --------------------

DOC = (
    '<?xml version="1.0"?>\n<Project xmlns="http://schemas.microsoft.com/project">\n'
    "<StartDate>2026-01-05T08:00:00</StartDate>\n<Tasks>\n{tasks}</Tasks>\n</Project>\n"
)


def _task(uid, *, level=1, extra=""):
    return (
        f"<Task><UID>{uid}</UID><Name>T{uid}</Name><OutlineLevel>{level}</OutlineLevel>"
        f"<Duration>PT8H0M0S</Duration>{extra}</Task>\n"
    )


def _pred(uid, typ=1, lag=0):
    return (
        f"<PredecessorLink><PredecessorUID>{uid}</PredecessorUID><Type>{typ}</Type>"
        f"<LinkLag>{lag}</LinkLag></PredecessorLink>"
    )


BAD = {
    "not xml": (b"this is not xml", "not well-formed XML"),
    "not mspdi": (b"<html><body/></html>", "not MSPDI"),
    "truncated": (DOC.format(tasks=_task(1) + _task(2)).encode()[:150], "truncated"),
    "unknown link type": (
        DOC.format(tasks=_task(1) + _task(2, extra=_pred(1, typ=7))).encode(),
        r"Task UID 2 \(line 6\): PredecessorLink/Type: unknown link type 7",
    ),
    "missing predecessor": (
        DOC.format(tasks=_task(1) + _task(2, extra=_pred(9))).encode(),
        r"Task UID 2 \(line 6\): PredecessorLink names PredecessorUID 9",
    ),
    "negative duration": (
        DOC.format(tasks=_task(1).replace("PT8H", "-PT8H")).encode(),
        r"Task UID 1 \(line 5\): Duration is negative",
    ),
    "finish before start": (
        DOC.format(
            tasks=_task(
                1,
                extra="<Start>2026-01-07T08:00:00</Start><Finish>2026-01-06T17:00:00</Finish>",
            )
        ).encode(),
        r"Task UID 1 \(line 5\): Finish 2026-01-06 17:00 is before Start 2026-01-07 08:00",
    ),
    "cycle": (
        DOC.format(
            tasks=_task(1, extra=_pred(3)) + _task(2, extra=_pred(1)) + _task(3, extra=_pred(2))
        ).encode(),
        r"close a loop: Task UID \d \(line \d\) → .* → Task UID \d \(line \d\)",
    ),
    "summary linked to its own task": (
        DOC.format(tasks=_task(1) + _task(2, level=2, extra=_pred(1))).encode(),
        r"Task UID 2 \(line 6\): PredecessorLink to UID 1 joins a summary and its own task",
    ),
    "bad duration text": (
        DOC.format(tasks=_task(1).replace("PT8H0M0S", "five days")).encode(),
        r"Task UID 1 \(line 5\): Duration: not an ISO 8601 duration",
    ),
    "outline jump": (
        DOC.format(tasks=_task(1) + _task(2, level=3)).encode(),
        r"Task UID 2 \(line 6\): OutlineLevel 3 follows level 1",
    ),
    "unknown constraint": (
        DOC.format(tasks=_task(1, extra="<ConstraintType>12</ConstraintType>")).encode(),
        r"Task UID 1 \(line 5\): ConstraintType 12 is not a constraint type",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_is_refused_naming_the_element_and_nothing_is_imported(case, program, manager):
    ItemFactory(program=program, name="Existing")
    before = _state(program)
    data, message = BAD[case]
    with pytest.raises(MspdiImportError) as exc:
        import_mspdi(program, data, manager, replace=True)
    assert any(__import__("re").search(message, m) for m in exc.value.messages), exc.value.messages
    assert _state(program) == before


def test_every_problem_is_listed_at_once(program, manager):
    data = DOC.format(
        tasks=_task(1).replace("PT8H", "-PT8H")
        + _task(2, extra=_pred(9))
        + _task(3, extra="<PercentComplete>140</PercentComplete>")
    ).encode()
    with pytest.raises(MspdiImportError) as exc:
        import_mspdi(program, data, manager)
    assert len(exc.value.messages) == 3
    assert [m.split(":")[0] for m in exc.value.messages] == [
        "Task UID 1 (line 5)",
        "Task UID 3 (line 7)",
        "Task UID 2 (line 6)",
    ]


def test_import_into_a_program_with_items_needs_replace(program, manager):
    ItemFactory(program=program, name="Existing")
    before = _state(program)
    data = DOC.format(tasks=_task(1)).encode()
    with pytest.raises(MspdiImportError, match="already has a schedule"):
        import_mspdi(program, data, manager)
    assert _state(program) == before


def test_replace_swaps_the_schedule_and_audits_the_deletions(program, manager):
    old = ItemFactory(program=program, name="Old")
    old2 = ItemFactory(program=program, name="Old child", parent=old)
    link(old, ItemFactory(program=program, name="Old 2"))
    services.baseline_create(actor=manager, program=program, name="Old baseline")
    data = DOC.format(tasks=_task(1) + _task(2, extra=_pred(1, lag=4800))).encode()
    result = import_mspdi(program, data, manager, replace=True)
    assert result.replaced == 3
    names = list(
        Item.objects.filter(program=program).order_by("outline_path").values_list("name", "key")
    )
    assert names == [("T1", "TSK-4"), ("T2", "TSK-5")]  # keys are never reused
    assert Baseline.objects.filter(program=program).count() == 0
    deleted = AuditEntry.objects.filter(program_id=program.pk, action="delete")
    assert {e.object_repr for e in deleted} >= {str(old), f"{old2.key} Old child", "Old baseline"}
    created = AuditEntry.objects.filter(
        program_id=program.pk, action="create", object_repr__contains="T2"
    )
    assert created.count() == 1
    t2 = Item.objects.get(program=program, name="T2")
    assert (t2.start, t2.finish) == (dt.date(2026, 1, 7), dt.date(2026, 1, 7))


def test_inactive_tasks_and_their_links_are_left_out_with_a_warning(program, manager):
    data = DOC.format(
        tasks=_task(1) + _task(2, extra="<Active>0</Active>" + _pred(1)) + _task(3, extra=_pred(2))
    ).encode()
    result = import_mspdi(program, data, manager)
    assert list(Item.objects.filter(program=program).values_list("name", flat=True)) == ["T1", "T3"]
    assert result.links == 0
    assert any("Inactive" in w for w in result.warnings)


def test_import_statements_do_not_grow_with_the_tasks(program, manager, count_queries):
    """1,000 tasks take a handful more statements than 30 (batches of 1,000 rows), not 970."""
    tasks = []
    for n in range(1, 1001):
        tasks.append(
            _task(n, level=1 if n % 10 == 1 else 2, extra=_pred(n - 1) if n % 10 > 2 else "")
        )
    data = DOC.format(tasks="".join(tasks)).encode()
    with count_queries() as ctx:
        result = import_mspdi(program, data, manager)
    assert result.items == 1000
    small = ProgramFactory(code="SMALL")
    data = DOC.format(tasks="".join(tasks[:30])).encode()
    with count_queries() as ctx_small:
        import_mspdi(small, data, small.memberships.get().user)
    assert len(ctx.captured_queries) <= len(ctx_small.captured_queries) + 12


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_export_reads_back_with_the_csv_module():
    program, _ = _build_rich_program()
    text = "".join(wbs_csv_rows(program))
    rows = list(csv.DictReader(io.StringIO(text)))
    items = list(Item.objects.filter(program=program).order_by("outline_path"))
    assert [r["key"] for r in rows] == [i.key for i in items]
    assert rows[1]["name"] == "Spec = formula?"  # "=" inside a cell is harmless
    first = rows[0]
    assert first["name"] == "Phase 1 — design"
    assert first["workstream"] == "Build"
    assert first["kind"] == "Summary"
    assert first["currency"] == "EUR"
    proto = next(r for r in rows if r["name"] == "Prototype")
    item = Item.objects.get(program=program, name="Prototype")
    assert proto["start"] == item.start.isoformat()
    assert proto["finish"] == item.finish.isoformat()
    assert proto["constraint"] == "Start no earlier than"
    assert proto["constraint_date"] == "2026-02-02"
    assert proto["deadline"] == "2026-03-06"
    assert proto["cost"] == "12345.67"
    review = next(r for r in rows if r["name"] == "Review")
    assert review["duration_days"] == "6"
    base = BaselineItem.objects.get(baseline__is_current=True, item__name="Review")
    assert review["baseline_start"] == base.start.isoformat()
    assert review["baseline_finish"] == base.finish.isoformat()
    assert float(review["total_float_days"]) == Item.objects.get(name="Review").total_float_days


def test_csv_export_neutralises_formula_cells(program, manager):
    for name in ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tTab", "Plain"]:
        ItemFactory(program=program, name=name)
    rows = list(csv.DictReader(io.StringIO("".join(wbs_csv_rows(program)))))
    assert [r["name"] for r in rows] == [
        "'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "'\tTab", "Plain",
    ]  # fmt: skip


def test_csv_export_of_half_days_uses_dot_decimals(program):
    ItemFactory(program=program, name="Half", duration_minutes=days(2.5))
    rows = list(csv.DictReader(io.StringIO("".join(wbs_csv_rows(program)))))
    assert rows[0]["duration_days"] == "2.5"


# --- management commands -----------------------------------------------------------------------


def test_import_and_export_commands(tmp_path, program, manager):
    src = tmp_path / "plan.xml"
    src.write_bytes(DOC.format(tasks=_task(1) + _task(2, extra=_pred(1))).encode())
    out = io.StringIO()
    call_command("import_mspdi", str(src), "--program", "ERP", "--actor", manager.email, stdout=out)
    assert "2 items" in out.getvalue()
    assert Item.objects.filter(program=program).count() == 2
    target = tmp_path / "out.xml"
    call_command("export_mspdi", "--program", "ERP", "-o", str(target), stdout=io.StringIO())
    assert [t.name for t in mspdi.parse(target).tasks][1:] == ["T1", "T2"]
    with pytest.raises(CommandError, match=r"already has a schedule .*Run again with --replace"):
        call_command("import_mspdi", str(src), "--program", "ERP", stdout=io.StringIO())
    call_command("import_mspdi", str(src), "--program", "ERP", "--replace", stdout=io.StringIO())
    assert Item.objects.filter(program=program).count() == 2


def test_commands_refuse_bad_input_clearly(tmp_path, program):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<html/>")
    with pytest.raises(CommandError, match="not MSPDI"):
        call_command("import_mspdi", str(bad), "--program", "ERP")
    with pytest.raises(CommandError, match="No program with code NOPE"):
        call_command("import_mspdi", str(bad), "--program", "NOPE")
    with pytest.raises(CommandError, match="No program with code NOPE"):
        call_command("export_mspdi", "--program", "NOPE")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_mspdi", str(tmp_path / "missing.xml"), "--program", "ERP")
    with pytest.raises(CommandError, match="No user"):
        call_command("import_mspdi", str(bad), "--program", "ERP", "--actor", "x@example.com")
    assert Item.objects.filter(program=program).count() == 0


def test_import_then_export_of_every_fixture_reimports_to_the_same_schedule(program, manager):
    for n, path in enumerate(FILES):
        src = ProgramFactory(code=f"FX{n}")
        import_mspdi(src, path, src.memberships.get().user)
        copy = ProgramFactory(code=f"FY{n}")
        import_mspdi(copy, export_mspdi(src), copy.memberships.get().user)
        assert _snapshot(copy) == _snapshot(src), path.name


def test_the_current_baseline_travels_as_baseline_for_earned_value():
    program, actor = _build_rich_program()
    replan = Baseline.objects.get(program=program, name="Re-plan")
    services.baseline_set_current(actor=actor, baseline=replan)
    root = ET.fromstring(export_mspdi(program))  # noqa: S314 (our own output)
    assert root.findtext(f"{NS}BaselineForEarnedValue") == str(replan.number) == "1"
    copy = ProgramFactory(code="RT3")
    import_mspdi(copy, export_mspdi(program), copy.memberships.get().user)
    assert list(
        Baseline.objects.filter(program=copy)
        .order_by("number")
        .values_list("name", "number", "is_current")
    ) == [("Baseline", 0, False), ("Baseline 1", 1, True)]


def test_import_without_replace_keeps_the_calendar_holidays_without_duplicates(program, manager):
    services.holiday_create(
        actor=manager,
        program=program,
        name="Company day",
        start=dt.date(2026, 1, 9),
        finish=dt.date(2026, 1, 9),
    )
    cal = (
        "<CalendarUID>1</CalendarUID><Calendars><Calendar><UID>1</UID>"
        "<IsBaseCalendar>1</IsBaseCalendar><Exceptions>"
        "<Exception><TimePeriod><FromDate>2026-01-09T00:00:00</FromDate>"
        "<ToDate>2026-01-09T23:59:00</ToDate></TimePeriod><Name>Same day</Name>"
        "<DayWorking>0</DayWorking></Exception>"
        "<Exception><TimePeriod><FromDate>2026-01-12T00:00:00</FromDate>"
        "<ToDate>2026-01-13T23:59:00</ToDate></TimePeriod><Name>Offsite</Name>"
        "<DayWorking>0</DayWorking></Exception>"
        "</Exceptions></Calendar></Calendars>"
    )
    data = DOC.format(tasks=_task(1)).replace("<Tasks>", cal + "<Tasks>").encode()
    result = import_mspdi(program, data, manager)
    assert result.holidays == 1
    assert list(
        Holiday.objects.filter(program=program).order_by("start").values_list("name", "start")
    ) == [("Company day", dt.date(2026, 1, 9)), ("Offsite", dt.date(2026, 1, 12))]
