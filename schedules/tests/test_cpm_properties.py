"""Property tests of the engine on random networks (hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from schedules.cpm import ConstraintType, Link, LinkType, Task, schedule


@st.composite
def networks(draw, fs_only=False, types=tuple(LinkType)):
    n = draw(st.integers(2, 25))
    durations = draw(st.lists(st.integers(0, 5000), min_size=n, max_size=n))
    links = []
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    seen = set()
    for a, b in pairs:
        if a == b or (min(a, b), max(a, b)) in seen:
            continue
        seen.add((min(a, b), max(a, b)))
        typ = LinkType.FS if fs_only else draw(st.sampled_from(list(types)))
        lag = draw(st.integers(-500, 2000))
        links.append(Link(min(a, b), max(a, b), typ, lag))  # low -> high: acyclic
    tasks = [Task(i, d) for i, d in enumerate(durations)]
    return tasks, links


@settings(max_examples=200, deadline=None)
@given(networks())
def test_total_float_is_never_negative_without_constraints(net):
    tasks, links = net
    res = schedule(tasks, links)
    assert all(r.total_float >= 0 for r in res.tasks.values())
    assert all(0 <= r.free_float <= r.total_float for r in res.tasks.values())


@settings(max_examples=200, deadline=None)
@given(networks())
def test_critical_tasks_chain_from_a_start_to_the_finish(net):
    tasks, links = net
    res = schedule(tasks, links)
    r = res.tasks
    # some critical task finishes the project ...
    finishers = [t for t, v in r.items() if v.critical and v.early_finish == res.project_finish]
    assert finishers
    # ... and walking driving links back through critical tasks reaches a task that is not
    # driven by any link (it starts at the project start or is pulled there by a link).
    for f in finishers:
        path = res.driving_path(f)
        assert path[-1] == f
        assert all(r[t].critical for t in path)
        first = path[0]
        preds = [lk for lk in links if lk.succ == first]
        assert r[first].early_start == 0 or preds


@settings(max_examples=200, deadline=None)
@given(networks(types=(LinkType.FS, LinkType.SS)), st.data())
def test_shortening_a_non_critical_task_never_moves_the_finish(net, data):
    """Holds for FS and SS links. With an FF or SF link into a task, its start is its finish
    minus its duration, so shortening it starts it later and an SS successor follows: the
    textbook "reverse activity" anomaly, which MS Project shares (hypothesis found one)."""
    tasks, links = net
    res = schedule(tasks, links)
    candidates = [t for t in tasks if not res.tasks[t.id].critical and t.duration > 0]
    if not candidates:
        return
    victim = data.draw(st.sampled_from(candidates))
    cut = data.draw(st.integers(1, victim.duration))
    shorter = [Task(t.id, t.duration - cut if t.id == victim.id else t.duration) for t in tasks]
    assert schedule(shorter, links).project_finish == res.project_finish


@settings(max_examples=200, deadline=None)
@given(networks(), st.integers(0, 20000), st.data())
def test_status_date_acts_as_start_no_earlier_than_on_unstarted_tasks(net, status, data):
    """Under a status date a task that has not started cannot start before it: the same answer
    as giving every unstarted task a start-no-earlier-than constraint on that date (the engine
    takes the fast path for plain tasks, the constraint path for the rest)."""
    tasks, links = net
    started = set(data.draw(st.lists(st.sampled_from([t.id for t in tasks]), max_size=3)))
    for t in tasks:
        if t.id in started:
            t.actual_start = max(0, status - t.duration)
            t.percent_complete = 50.0
    res = schedule(tasks, links, status_date=status)
    pinned = [
        Task(
            t.id,
            t.duration,
            constraint=t.constraint if t.id in started else ConstraintType.SNET,
            constraint_date=t.constraint_date if t.id in started else status,
            actual_start=t.actual_start,
            percent_complete=t.percent_complete,
        )
        for t in tasks
    ]
    expected = schedule(pinned, links, status_date=status)
    assert res.tasks == expected.tasks
    assert all(res.tasks[t.id].early_start >= status for t in tasks if t.id not in started)
