"""MPXJ, an independent reader of MS Project files, opens our MSPDI export and sees our schedule.

MPXJ runs in a JVM through JPype (Debian's `default-jre-headless`; `scripts/test` installs it
when missing). The JVM starts once per test session.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from schedules.interchange import export_mspdi, import_mspdi
from schedules.models import Baseline, BaselineItem, Dependency, Holiday, Item
from schedules.tests.test_interchange import FILES, _build_rich_program

pytestmark = pytest.mark.django_db

LAG_UNIT_MINUTES = {"m": 1, "h": 60, "d": 480, "w": 2400}


@pytest.fixture(scope="session")
def mpxj_reader():
    jpype = pytest.importorskip("jpype")
    pytest.importorskip("mpxj")  # puts MPXJ's jars on the class path
    if not jpype.isJVMStarted():
        try:
            jpype.startJVM()
        except (OSError, jpype.JVMNotFoundException) as exc:  # pragma: no cover
            pytest.skip(f"no JVM for MPXJ ({exc}); install default-jre-headless")
    from org.mpxj.reader import UniversalProjectReader

    def read(path):
        project = UniversalProjectReader().read(str(path))
        assert project is not None, "MPXJ could not read the file"
        return project

    return read


def _date(value) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(str(value.toLocalDate().toString()))


def _lag(relation) -> tuple[int, Decimal | None]:
    lag = relation.getLag()
    units = str(lag.getUnits().toString())
    amount = float(lag.getDuration())
    if units == "%":
        return 0, Decimal(str(amount)).quantize(Decimal("0.01"))
    return round(amount * LAG_UNIT_MINUTES[units]), None


def _read_back(read, program, tmp_path):
    path = tmp_path / f"{program.code}.xml"
    path.write_bytes(export_mspdi(program))
    project = read(path)
    return {
        int(t.getUniqueID()): t for t in project.getTasks() if int(t.getUniqueID()) != 0
    }, project


def _uid(item: Item) -> int:
    return int(item.key.split("-")[1])


def _assert_same_schedule(program, tasks):
    items = list(Item.objects.filter(program=program).order_by("outline_path"))
    assert list(tasks) == [_uid(i) for i in items]  # same tasks, same order
    for item in items:
        t = tasks[_uid(item)]
        assert str(t.getName()) == item.name
        assert int(t.getOutlineLevel()) == item.depth + 1
        assert str(t.getOutlineNumber()) == item.wbs
        assert (_date(t.getStart()), _date(t.getFinish())) == (item.start, item.finish), item.key
        assert bool(t.getMilestone()) == (item.kind == "milestone")
        assert bool(t.getSummary()) == (item.kind == "summary")
    links = sorted(
        (_uid(d.predecessor), _uid(d.successor), d.type, d.lag_minutes, d.lag_percent)
        for d in Dependency.objects.filter(program=program).select_related(
            "predecessor", "successor"
        )
    )
    seen = sorted(
        (int(r.getPredecessorTask().getUniqueID()), uid, str(r.getType().toString()), *_lag(r))
        for uid, t in tasks.items()
        for r in t.getPredecessors()
    )
    assert seen == links


def test_mpxj_reads_our_export_as_our_schedule(mpxj_reader, tmp_path):
    program, _ = _build_rich_program()
    tasks, project = _read_back(mpxj_reader, program, tmp_path)
    _assert_same_schedule(program, tasks)
    # the rich plan has every link type, hour and percent lags, and a lead
    assert {str(r.getType().toString()) for t in tasks.values() for r in t.getPredecessors()} == {
        "FS", "SS", "FF", "SF",
    }  # fmt: skip
    # costs (MSPDI keeps hundredths), constraints, deadlines, progress
    for item in Item.objects.filter(program=program):
        t = tasks[_uid(item)]
        assert Decimal(str(t.getCost())).quantize(Decimal("0.01")) == item.cost
        assert int(t.getPercentageComplete()) == item.percent_complete
        assert _date(t.getDeadline()) == item.deadline
        if item.constraint_date:
            assert _date(t.getConstraintDate()) == item.constraint_date
    # both baselines, by their MS Project numbers
    for baseline in Baseline.objects.filter(program=program):
        for bi in BaselineItem.objects.filter(baseline=baseline).select_related("item"):
            t = tasks[_uid(bi.item)]
            n = baseline.number
            start = t.getBaselineStart() if n == 0 else t.getBaselineStart(n)
            finish = t.getBaselineFinish() if n == 0 else t.getBaselineFinish(n)
            assert (_date(start), _date(finish)) == (bi.start, bi.finish)
    # the calendar: working weekdays and the holidays as exceptions
    cal = project.getDefaultCalendar()
    exceptions = sorted(
        (str(e.getName()), _date_of(e.getFromDate()), _date_of(e.getToDate()))
        for e in cal.getCalendarExceptions()
    )
    assert exceptions == sorted(
        Holiday.objects.filter(program=program).values_list("name", "start", "finish")
    )


def _date_of(value) -> dt.date:
    return dt.date.fromisoformat(str(value.toString()))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_mpxj_reads_the_export_of_every_imported_fixture(path, mpxj_reader, tmp_path, program):
    import_mspdi(program, path, program.memberships.get().user)
    tasks, _ = _read_back(mpxj_reader, program, tmp_path)
    _assert_same_schedule(program, tasks)
