"""Our engine against the values Microsoft Project saved in every fixture file."""

import os
from pathlib import Path

import pytest

from schedules import mspdi

FIXTURES = Path(
    os.environ.get("MSPDI_FIXTURES")
    or Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "mspdi"
)
FILES = sorted(FIXTURES.glob("*.xml")) if FIXTURES.is_dir() else []


def _cases():
    if not FILES:
        return [
            pytest.param(None, marks=pytest.mark.skip(reason=f"no MSPDI fixtures in {FIXTURES}"))
        ]
    return [pytest.param(path, id=path.stem) for path in FILES]


@pytest.mark.parametrize("path", _cases())
def test_engine_matches_ms_project_for_every_task(path):
    project = mspdi.parse(path)
    result, cal = mspdi.schedule_project(project)
    off = cal.to_offset
    compared = 0
    mismatches = []
    for t in project.tasks:
        if t.is_null or not t.active:
            continue
        got = result.tasks[t.uid]
        # Compare in working minutes: 17:00 and 08:00 the next working day are one instant.
        expected = {
            "early_start": off(t.early_start),
            "early_finish": off(t.early_finish),
            "late_start": off(t.late_start),
            "late_finish": off(t.late_finish),
            "total_float": t.total_slack / 10,  # tenths of a minute -> minutes
            "free_float": t.free_slack / 10,
            "critical": t.critical,
        }
        actual = {name: getattr(got, name) for name in expected}
        compared += 1
        if actual != expected:
            mismatches.append((t.uid, t.name, expected, actual))
    assert compared == len([t for t in project.tasks if not t.is_null and t.active])
    assert compared > 0
    assert mismatches == []


@pytest.mark.parametrize("path", _cases())
def test_project_finish_matches_ms_project(path):
    project = mspdi.parse(path)
    result, cal = mspdi.schedule_project(project)
    assert result.project_finish == cal.to_offset(project.finish)


def test_parse_refuses_a_document_that_is_not_mspdi():
    with pytest.raises(mspdi.MSPDIError, match=r"<html>.*not MSPDI"):
        mspdi.parse(b"<html><body/></html>")


def test_parse_refuses_truncated_xml():
    doc = b'<Project xmlns="http://schemas.microsoft.com/project"><Tasks><Task><UID>1</UID>'
    with pytest.raises(mspdi.MSPDIError, match="truncated"):
        mspdi.parse(doc)


def test_parse_refuses_an_unknown_link_type():
    doc = (
        b'<Project xmlns="http://schemas.microsoft.com/project">'
        b"<StartDate>2026-01-05T08:00:00</StartDate><Tasks>"
        b"<Task><UID>1</UID><OutlineLevel>1</OutlineLevel></Task>"
        b"<Task><UID>2</UID><OutlineLevel>1</OutlineLevel><PredecessorLink>"
        b"<PredecessorUID>1</PredecessorUID><Type>7</Type></PredecessorLink></Task>"
        b"</Tasks></Project>"
    )
    with pytest.raises(mspdi.MSPDIError, match=r"<Task UID=2/PredecessorLink/Type>.*7"):
        mspdi.parse(doc)


def test_parse_refuses_a_link_to_an_unknown_task():
    doc = (
        b'<Project xmlns="http://schemas.microsoft.com/project">'
        b"<StartDate>2026-01-05T08:00:00</StartDate><Tasks>"
        b"<Task><UID>2</UID><OutlineLevel>1</OutlineLevel><PredecessorLink>"
        b"<PredecessorUID>9</PredecessorUID><Type>1</Type></PredecessorLink></Task>"
        b"</Tasks></Project>"
    )
    project = mspdi.parse(doc)
    with pytest.raises(mspdi.MSPDIError, match="PredecessorUID>: unknown task 9"):
        mspdi.to_network(project)


def test_parse_refuses_a_bad_duration():
    doc = (
        b'<Project xmlns="http://schemas.microsoft.com/project">'
        b"<StartDate>2026-01-05T08:00:00</StartDate><Tasks>"
        b"<Task><UID>3</UID><Duration>five days</Duration></Task></Tasks></Project>"
    )
    with pytest.raises(mspdi.MSPDIError, match=r"<Task UID=3/Duration>"):
        mspdi.parse(doc)


def test_parse_reads_units_of_lags_and_durations():
    assert mspdi.parse_duration("PT40H0M0S") == 2400
    assert mspdi.parse_duration("P1DT4H0M0S", minutes_per_day=480) == 720
    week = mspdi.MSPDILink(
        predecessor_uid=1, type=mspdi.cpm.LinkType.FS, link_lag=24000, lag_format=9
    )
    assert mspdi.lag_minutes(week) == (2400, None)
    pct = mspdi.MSPDILink(predecessor_uid=1, type=mspdi.cpm.LinkType.FS, link_lag=50, lag_format=19)
    assert mspdi.lag_minutes(pct) == (0, 50.0)


def test_parse_reads_calendar_exceptions():
    doc = (
        b'<Project xmlns="http://schemas.microsoft.com/project">'
        b"<StartDate>2026-01-05T08:00:00</StartDate><CalendarUID>1</CalendarUID>"
        b"<Calendars><Calendar><UID>1</UID><IsBaseCalendar>1</IsBaseCalendar>"
        b"<Exceptions><Exception><TimePeriod><FromDate>2026-01-06T00:00:00</FromDate>"
        b"<ToDate>2026-01-07T23:59:00</ToDate></TimePeriod><DayWorking>0</DayWorking>"
        b"</Exception></Exceptions></Calendar></Calendars><Tasks/></Project>"
    )
    cal = mspdi.parse(doc).calendar()
    import datetime as dt

    assert not cal.is_working_day(dt.date(2026, 1, 6))
    assert cal.to_offset(dt.datetime(2026, 1, 8, 8, 0)) == 480
