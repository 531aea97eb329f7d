"""Unit tests of the critical-path engine and its working calendar."""

import datetime as dt

import pytest

from schedules.cpm import (
    ConstraintType,
    CycleError,
    Link,
    LinkType,
    ScheduleError,
    Task,
    WorkCalendar,
    schedule,
)

D = 480  # one working day in minutes


def _r(tasks, links=(), **kw):
    return schedule(tasks, list(links), **kw).tasks


def test_fs_link_starts_successor_at_predecessor_finish():
    r = _r([Task("a", 2 * D), Task("b", D)], [Link("a", "b", LinkType.FS)])
    assert (r["b"].early_start, r["b"].early_finish) == (2 * D, 3 * D)
    assert r["a"].critical and r["b"].critical
    assert r["a"].total_float == r["b"].total_float == 0


def test_ss_link_with_lag():
    r = _r([Task("a", 3 * D), Task("b", D)], [Link("a", "b", LinkType.SS, lag=D)])
    assert r["b"].early_start == D
    assert r["b"].total_float == D  # project finish 3D, b finishes at 2D
    assert r["a"].free_float == 0


def test_ff_link_binds_finishes():
    r = _r([Task("a", 3 * D), Task("b", D)], [Link("a", "b", LinkType.FF, lag=D)])
    assert r["b"].early_finish == 4 * D
    assert r["b"].early_start == 3 * D
    assert r["a"].critical and r["b"].critical


def test_sf_link_may_start_before_project_start():
    r = _r([Task("a", 2 * D), Task("b", D)], [Link("a", "b", LinkType.SF, lag=D // 4)])
    # MS Project: a link-driven task is not held at the project start
    assert r["b"].early_finish == D // 4
    assert r["b"].early_start == D // 4 - D


def test_lead_overlaps_tasks():
    r = _r([Task("a", 3 * D), Task("b", D)], [Link("a", "b", LinkType.FS, lag=-D)])
    assert r["b"].early_start == 2 * D


def test_percent_lag_uses_predecessor_duration():
    r = _r([Task("a", 3 * D), Task("b", D)], [Link("a", "b", lag_percent=50)])
    assert r["b"].early_start == 3 * D + 3 * D // 2


def test_late_dates_and_free_float_on_parallel_branches():
    tasks = [Task("s", D), Task("long", 5 * D), Task("short", 2 * D), Task("end", D)]
    links = [Link("s", "long"), Link("s", "short"), Link("long", "end"), Link("short", "end")]
    r = _r(tasks, links)
    assert r["short"].late_start == 4 * D
    assert r["short"].total_float == 3 * D
    assert r["short"].free_float == 3 * D
    assert not r["short"].critical
    assert [k for k, v in r.items() if v.critical] == ["s", "long", "end"]


@pytest.mark.parametrize(
    ("ctype", "cdate", "es", "lf"),
    [
        (ConstraintType.SNET, 4 * D, 4 * D, 10 * D),
        (ConstraintType.FNET, 6 * D, 4 * D, 10 * D),
        (ConstraintType.MSO, 3 * D, 3 * D, 5 * D),
        (ConstraintType.MFO, 7 * D, 5 * D, 7 * D),
        (ConstraintType.SNLT, 2 * D, D, 4 * D),
        (ConstraintType.FNLT, 6 * D, D, 6 * D),
        (ConstraintType.ALAP, None, D, 10 * D),
    ],
)
def test_each_constraint(ctype, cdate, es, lf):
    tasks = [
        Task("a", D),
        Task("c", 2 * D, constraint=ctype, constraint_date=cdate),
        Task("long", 10 * D),
    ]
    r = _r(tasks, [Link("a", "c")])
    assert r["c"].early_start == es
    assert r["c"].late_finish == lf
    assert r["c"].total_float == min(lf - 2 * D - es, lf - (es + 2 * D))


def test_snlt_in_the_past_gives_negative_float_and_critical():
    tasks = [Task("a", 3 * D), Task("c", D, constraint=ConstraintType.SNLT, constraint_date=D)]
    r = _r(tasks, [Link("a", "c")])
    assert r["c"].total_float == -2 * D
    assert r["c"].critical
    assert r["a"].total_float == -2 * D


def test_honored_snlt_pulls_the_early_start():
    tasks = [Task("a", 3 * D), Task("c", D, constraint=ConstraintType.SNLT, constraint_date=D)]
    r = _r(tasks, [Link("a", "c")], honor_constraints=True)
    assert r["c"].early_start == D


def test_deadline_caps_late_finish():
    r = _r([Task("a", 2 * D, deadline=D), Task("b", 5 * D)])
    assert r["a"].late_finish == D
    assert r["a"].total_float == -D


def test_started_task_keeps_actual_start():
    tasks = [Task("a", 4 * D, actual_start=D, percent_complete=50), Task("b", D)]
    r = _r(tasks, [Link("b", "a")])
    assert r["a"].early_start == D  # not pushed by b
    assert r["a"].early_finish == 5 * D
    assert r["a"].late_start == D


def test_remaining_duration_runs_from_status_date():
    tasks = [Task("a", 4 * D, actual_start=0, percent_complete=25), Task("b", D)]
    r = _r(tasks, [Link("a", "b")], status_date=3 * D)
    assert r["a"].early_finish == 3 * D + 3 * D  # 3 days remaining from the status date
    assert r["b"].early_start == 6 * D


def test_unstarted_tasks_do_not_start_before_the_status_date():
    r = _r([Task("a", D)], status_date=2 * D)
    assert r["a"].early_start == 2 * D


def test_complete_task_keeps_actuals_and_is_not_critical():
    tasks = [Task("a", 2 * D, actual_start=0, actual_finish=3 * D, percent_complete=100)]
    tasks.append(Task("b", D))
    r = _r(tasks, [Link("a", "b")])
    assert (r["a"].early_start, r["a"].early_finish) == (0, 3 * D)
    assert (r["a"].late_start, r["a"].late_finish) == (0, 3 * D)
    assert r["a"].total_float == r["a"].free_float == 0
    assert not r["a"].critical
    assert r["b"].early_start == 3 * D


def test_milestone_has_zero_duration():
    tasks = [Task("a", 2 * D), Task("m", 0, milestone=True)]
    r = _r(tasks, [Link("a", "m")])
    assert r["m"].early_start == r["m"].early_finish == 2 * D
    assert r["m"].critical


def test_manual_task_is_pinned_but_gets_late_dates():
    tasks = [Task("a", 2 * D), Task("m", D, manual=True, manual_start=5 * D), Task("z", 9 * D)]
    r = _r(tasks, [Link("a", "m")])
    assert r["m"].early_start == 5 * D
    assert r["m"].late_finish == 9 * D
    assert r["a"].late_finish == 8 * D


def test_summary_rolls_up_and_its_links_apply_to_children():
    tasks = [
        Task("pre", 3 * D),
        Task("S", parent=None),
        Task("s1", D, parent="S"),
        Task("s2", 2 * D, parent="S"),
        Task("post", D),
    ]
    links = [Link("pre", "S"), Link("s1", "s2"), Link("S", "post")]
    r = _r(tasks, links)
    assert r["s1"].early_start == 3 * D  # held by the link into the summary
    assert (r["S"].early_start, r["S"].early_finish) == (3 * D, 6 * D)
    assert r["post"].early_start == 6 * D
    assert r["S"].summary and r["S"].critical
    assert r["S"].total_float == 0


def test_summary_slack_is_min_of_start_and_finish_slack():
    tasks = [Task("S"), Task("a", D, parent="S"), Task("b", 3 * D, parent="S"), Task("x", 5 * D)]
    r = _r(tasks)
    assert r["S"].late_start == 2 * D and r["S"].late_finish == 5 * D
    assert r["S"].total_float == 2 * D


def test_cycle_is_refused_with_the_task_names():
    tasks = [Task("a", D), Task("b", D), Task("c", D), Task("d", D)]
    links = [Link("d", "a"), Link("a", "b"), Link("b", "c"), Link("c", "a")]
    with pytest.raises(CycleError) as exc:
        schedule(tasks, links)
    assert set(exc.value.cycle) == {"a", "b", "c"}
    assert "a" in str(exc.value) and "c" in str(exc.value)


def test_link_from_child_to_its_own_summary_is_a_cycle():
    tasks = [Task("S"), Task("a", D, parent="S")]
    with pytest.raises(CycleError):
        schedule(tasks, [Link("a", "S")])


def test_bad_input_is_refused():
    with pytest.raises(ScheduleError, match="negative duration"):
        schedule([Task("a", -1)], [])
    with pytest.raises(ScheduleError, match="unknown task 'x'"):
        schedule([Task("a", 1)], [Link("a", "x")])
    with pytest.raises(ScheduleError, match="duplicate"):
        schedule([Task("a", 1), Task("a", 1)], [])


def test_critical_slack_limit():
    r = _r([Task("a", 4 * D), Task("b", 3 * D)], critical_slack_limit=D)
    assert r["b"].critical


def test_driving_path_to_a_milestone():
    tasks = [Task("a", D), Task("b", 3 * D), Task("c", D), Task("m", 0, milestone=True)]
    links = [Link("a", "c"), Link("b", "c"), Link("c", "m")]
    res = schedule(tasks, links)
    assert res.driving_path("m") == ["b", "c", "m"]
    assert res.float_days("a") == (2.0, 2.0)


def test_calendar_offsets_and_working_days():
    cal = WorkCalendar(
        dt.datetime(2026, 10, 5, 8, 0),  # a Monday
        holidays=[(dt.date(2026, 10, 12), dt.date(2026, 10, 13))],
    )
    assert cal.to_offset(dt.datetime(2026, 10, 5, 17, 0)) == D
    assert cal.to_offset(dt.datetime(2026, 10, 6, 8, 0)) == D  # same instant in work time
    assert cal.to_offset(dt.datetime(2026, 10, 5, 12, 30)) == 240
    assert cal.to_datetime(D) == dt.datetime(2026, 10, 6, 8, 0)
    assert cal.to_datetime(D, finish=True) == dt.datetime(2026, 10, 5, 17, 0)
    assert cal.to_offset(dt.datetime(2026, 10, 14, 8, 0)) == 5 * D  # weekend + 2 holidays
    assert cal.working_days_between(dt.date(2026, 10, 5), dt.date(2026, 10, 19)) == 8
    assert cal.add_working_days(dt.date(2026, 10, 9), 1) == dt.date(2026, 10, 14)
    assert cal.add_working_days(dt.date(2026, 10, 10), 0) == dt.date(2026, 10, 14)
    assert cal.subtract_working_days(dt.date(2026, 10, 14), 1) == dt.date(2026, 10, 9)
    assert cal.to_offset(dt.datetime(2026, 10, 2, 17, 0)) == 0
    assert cal.to_offset(dt.datetime(2026, 10, 2, 8, 0)) == -D
