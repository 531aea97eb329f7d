"""Critical-path engine: working calendars and forward/backward passes, matching MS Project.

Pure Python, no Django. Everything is scheduled on one integer axis of *working minutes*
counted from the project start (offset 0); a `WorkCalendar` converts between that axis and
real dates/times, and between minutes and working days. Because every step of the passes is
then an integer addition, calendar arithmetic costs O(1) and the passes stay fast
(10,000 tasks / 30,000 links in a few tens of milliseconds).

MS Project rules implemented here (each one checked against the files in
shared/fixtures/mspdi by schedules/tests/test_mspdi_agreement.py):

 1. Time is working time. A finish at 17:00 and a start at 08:00 the next working day are the
    same working-minute offset, so the axis never sees Project's day-boundary conventions.
 2. Link types (PredecessorLink Type 0=FF 1=FS 2=SF 3=SS) with lags in working minutes; a
    negative lag is a lead. A percent lag (LagFormat 19) is that share of the predecessor's
    duration. Lags never honour the project start: a task whose only predecessor is an SF or
    a lead may start *before* the project start, as Project does.
 3. A task with no predecessor (and no constraint) starts at the project start.
 4. Links on a summary apply to all its descendants: FS/SS into a summary give every
    descendant an early-start bound, FF/SF an early-finish bound; links out of a summary
    give every descendant a late-start (SS/SF) or late-finish (FS/FF) bound. (Internally a
    summary is split into a *gate* node that collects incoming links and a *rollup* node
    that carries outgoing ones, so the network stays acyclic.)
 5. Summary early dates roll up: ES = min child ES, EF = max child EF. Summary late dates roll
    up too: LS = min child LS, LF = max child LF, except that a manually scheduled child
    contributes its (pinned) early dates.
 6. Summary total slack = min(start slack, finish slack) = min(LS - ES, LF - EF); summary free
    slack = min(total slack, slack on the summary's own successor links).
 7. A task with no successor gets LF = project finish (the latest early finish), unless a
    summary above it has successor links or is manually scheduled, in which case that bound.
    No late finish is ever later than the project finish (leads and FF/SF links could
    otherwise put it there).
 8. Constraints (ConstraintType 0 ASAP, 1 ALAP, 2 MSO, 3 MFO, 4 SNET, 5 SNLT, 6 FNET, 7 FNLT):
    SNET/FNET raise the early dates; SNLT/FNLT cap the late dates (and, with
    `honor_constraints`, the early dates too); MSO/MFO pin both early and late dates. ALAP
    keeps ASAP early dates (Project reports them so) and is scheduled at its late dates.
    A deadline caps the late finish.
 9. Progress: a started task keeps its actual start as early *and* late start (start slack 0)
    and its total slack is its finish slack (LF - EF). Project itself keeps the remaining
    work where it is (EF = actual start + duration); when the caller passes a `status_date`
    the remaining duration runs from the status date instead (the issue's rule), and
    unstarted tasks do not start before it. A 100% complete task keeps its actuals as
    early and late dates, has zero total and free slack and is never critical.
10. Manually scheduled tasks (Manual=1) are pinned at their own start/finish in the forward
    pass (links do not move them) but get late dates from the backward pass like any task.
    A manually scheduled summary keeps its own dates and bounds the late finish of its
    descendants.
11. Total slack of a task = min(LS - ES, LF - EF); free slack = min(total slack, the smallest
    slack on its successor links); no successor: free slack = total slack.
12. Critical = total slack <= CriticalSlackLimit (minutes; 0 by default) and not complete.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import IntEnum
from itertools import compress, repeat
from operator import add, and_, eq, le, mul, neg, not_, setitem, sub
from operator import lt as _less

__all__ = [
    "ConstraintType",
    "CycleError",
    "Link",
    "LinkType",
    "Network",
    "ScheduleError",
    "ScheduleResult",
    "Task",
    "TaskResult",
    "WorkCalendar",
    "schedule",
]

# "No bound" in the forward and backward passes: far beyond any working-minute offset (a
# thousand years of round-the-clock days), yet small enough for CPython's fast path for
# one-digit ints (|value| < 2**30), which comparisons with 10**15 would leave.
NEG = -(2**30 - 1)
POS = 2**30 - 1
_HALF_NEG = NEG // 2
_HALF_POS = POS // 2
_LINK_CODES = frozenset((0, 1, 2, 3))
_LINK_CODE_OF = {c: c for c in _LINK_CODES}  # maps LinkType members (and equal ints) to ints


_consume = deque(maxlen=0).extend  # runs an iterator to its end at C speed


def _scatter(buckets: list[list[int]], where: Iterable[int], values: Iterable[int]) -> None:
    """`buckets[w].append(v)` for each pair of `where` and `values`, in order, at C speed."""
    _consume(map(list.append, map(buckets.__getitem__, where), values))


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ScheduleError(ValueError):
    """The network cannot be scheduled (bad reference, negative duration, ...)."""


class CycleError(ScheduleError):
    """The links close a cycle; `cycle` lists the task ids in order."""

    def __init__(self, cycle: Sequence[Hashable]) -> None:
        self.cycle = list(cycle)
        names = " -> ".join(str(c) for c in [*self.cycle, self.cycle[0]])
        super().__init__(f"dependency cycle: {names}")


class LinkType(IntEnum):
    """Dependency types; the values are MS Project's PredecessorLink Type codes."""

    FF = 0
    FS = 1
    SF = 2
    SS = 3


class ConstraintType(IntEnum):
    """Constraint types; the values are MS Project's ConstraintType codes."""

    ASAP = 0
    ALAP = 1
    MSO = 2
    MFO = 3
    SNET = 4
    SNLT = 5
    FNET = 6
    FNLT = 7


@dataclass(slots=True)
class Task:
    """One schedulable item. All times are working-minute offsets from the project start."""

    id: Hashable
    duration: int = 0
    parent: Hashable | None = None
    constraint: ConstraintType = ConstraintType.ASAP
    constraint_date: int | None = None
    deadline: int | None = None
    percent_complete: float = 0.0
    actual_start: int | None = None
    actual_finish: int | None = None
    manual: bool = False
    manual_start: int | None = None
    manual_finish: int | None = None
    milestone: bool = False


@dataclass(slots=True)
class Link:
    """`pred` -> `succ` of `type`, lag in working minutes (negative = lead).

    `lag_percent` (if not None) replaces `lag` by that percentage of the predecessor's duration.
    """

    pred: Hashable
    succ: Hashable
    type: LinkType = LinkType.FS
    lag: int = 0
    lag_percent: float | None = None


@dataclass(slots=True)
class TaskResult:
    """Computed values for one task, in working minutes from the project start."""

    id: Hashable
    early_start: int
    early_finish: int
    late_start: int
    late_finish: int
    total_float: int
    free_float: int
    critical: bool
    summary: bool

    @property
    def start(self) -> int:
        return self.early_start

    @property
    def finish(self) -> int:
        return self.early_finish


@dataclass
class ScheduleResult:
    """The schedule: per-task results plus the network, for driving-path queries.

    The passes leave their answers in flat lists (index = position in the task list);
    `tasks` builds the per-task `TaskResult` objects on first use.
    """

    project_finish: int
    minutes_per_day: int = 480
    _network: Network | None = field(default=None, repr=False)
    _es: list[int] = field(default_factory=list, repr=False)
    _ef: list[int] = field(default_factory=list, repr=False)
    _ls: list[int] = field(default_factory=list, repr=False)
    _lf: list[int] = field(default_factory=list, repr=False)
    _ts: list[int] = field(default_factory=list, repr=False)
    _fs: list[int] = field(default_factory=list, repr=False)
    _critical: list[bool] = field(default_factory=list, repr=False)
    _tasks: dict[Hashable, TaskResult] | None = field(default=None, repr=False)

    @property
    def tasks(self) -> dict[Hashable, TaskResult]:
        if self._tasks is None:
            net = self._network
            assert net is not None
            self._tasks = {
                tid: TaskResult(tid, *vals)
                for tid, *vals in zip(
                    net.ids,
                    self._es,
                    self._ef,
                    self._ls,
                    self._lf,
                    self._ts,
                    self._fs,
                    self._critical,
                    net.is_summary,
                    strict=True,
                )
            }
        return self._tasks

    def columns(self) -> tuple[list, ...]:
        """(ids, ES, EF, LS, LF, total float, free float, critical, summary) as flat lists in
        the order the tasks were given: cheaper than `tasks` for thousands of rows."""
        net = self._network
        assert net is not None
        return (
            net.ids, self._es, self._ef, self._ls, self._lf, self._ts, self._fs,
            self._critical, net.is_summary,
        )  # fmt: skip

    def float_days(self, task_id: Hashable) -> tuple[float, float]:
        """(total float, free float) of a task in working days."""
        r = self.tasks[task_id]
        return r.total_float / self.minutes_per_day, r.free_float / self.minutes_per_day

    def critical_ids(self) -> list[Hashable]:
        return [tid for tid, r in self.tasks.items() if r.critical]

    def driving_path(self, target: Hashable) -> list[Hashable]:
        """Tasks that drive `target`'s early dates, in network order (target last).

        A predecessor link drives when its slack is zero; the walk follows every driving
        link backwards, including links that reach a task through its summary.
        """
        net = self._network
        if net is None:
            raise ScheduleError("result has no network attached")
        if target not in net.index:
            raise ScheduleError(f"unknown task {target!r}")
        es, ef = self._es, self._ef
        preds_of: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for p, s, typ, lag in zip(*net.link_columns, strict=True):
            preds_of[s].append((p, typ, lag))
        seen: set[int] = set()
        stack = [net.index[target]]
        while stack:
            t = stack.pop()
            if t in seen:
                continue
            seen.add(t)
            # links into the task itself and into each of its ancestor summaries
            anc = t
            while anc >= 0:
                for p, typ, lag in preds_of.get(anc, ()):
                    src = es[p] if typ in (2, 3) else ef[p]
                    dst = es[t] if typ in (1, 3) else ef[t]
                    if dst - (src + lag) <= 0:
                        stack.append(p)
                anc = net.parent_idx[anc]
        rank = net.topo_rank
        order = sorted(seen, key=lambda i: rank[i])
        return [net.ids[i] for i in order if not net.is_summary[i] or i == net.index[target]]


class Network:
    """A compiled network: integer indices, CSR-style edge lists and a topological order.

    Compile once, then `run()` as often as needed (e.g. after a drag in the Gantt).
    """

    def __init__(
        self,
        tasks: Sequence[Task],
        links: Iterable[Link],
        *,
        honor_constraints: bool = False,
    ) -> None:
        # The compile allocates ~10 objects per link and none of them form reference cycles;
        # pausing the cyclic GC meanwhile saves a third of the time on large networks.
        with _gc_paused():
            self._compile(tasks, links, honor_constraints)

    def _compile(
        self, tasks: Sequence[Task], links: Iterable[Link], honor_constraints: bool
    ) -> None:
        self.honor_constraints = honor_constraints
        n = len(tasks)
        # Columns are read with comprehensions: CPython specialises `t.id` on a slots class,
        # which costs half of what map(attrgetter(...)) does.
        ids: list[Hashable] = [t.id for t in tasks]
        index: dict[Hashable, int] = dict(zip(ids, range(n), strict=True))
        if len(index) < n:  # some id repeats: name the first repeat, as a scan would
            index = {}
            for i, tid in enumerate(ids):
                if tid in index:
                    raise ScheduleError(f"duplicate task id {tid!r}")
                index[tid] = i
        self.tasks = list(tasks)
        self.ids = ids
        self.index = index
        parent_idx = [-1] * n
        durations = [t.duration for t in tasks]
        parents = [t.parent for t in tasks]
        with_parent: list[int] = []  # tasks below a summary, in task order
        children: list[list[int]]
        # The per-task scan below only validates durations and wires parents; a flat network
        # with no negative duration (the common large case) skips it.
        if n and (min(durations) < 0 or parents.count(None) < n):
            children = [[] for _ in range(n)]
            for i, t in enumerate(tasks):
                if t.duration < 0:
                    raise ScheduleError(f"task {t.id!r} has a negative duration ({t.duration})")
                if t.parent is not None:
                    p = index.get(t.parent)
                    if p is None:
                        raise ScheduleError(f"task {t.id!r} has unknown parent {t.parent!r}")
                    parent_idx[i] = p
                    children[p].append(i)
                    with_parent.append(i)
            is_summary = list(map(bool, children))
        else:
            children = [[]] * n  # one shared empty list: nothing is ever added to it
            is_summary = [False] * n
        self.parent_idx = parent_idx
        self.children = children
        self.is_summary = is_summary
        summaries = list(compress(range(n), is_summary))
        dur = durations
        if summaries:
            dur = durations[:]
            for i in summaries:
                dur[i] = 0
        self.dur = dur

        # Node numbering: tasks 0..n-1 are the task itself for leaves and the *rollup* node
        # for summaries; each summary gets an extra *gate* node n + k.
        gate_of = [-1] * n
        nn = n + len(summaries)
        _consume(map(setitem, repeat(gate_of), summaries, range(n, nn)))
        self.gate_of = gate_of
        self.n_nodes = nn
        self.owner = [*range(n), *summaries]

        def entry(i: int) -> int:
            return gate_of[i] if is_summary[i] else i

        # Edges are (key, adjustment) pairs, so a pass reads one tuple per edge in a plain
        # loop (which CPython specialises well). Forward in-edges per node: the node's start
        # bound is the max of x[key] + adj; x[2*v] = ES (or the gate's start bound),
        # x[2*v+1] = EF (or finish bound).
        fin: list[list[tuple[int, int]]] = [[] for _ in range(nn)]
        # For gates, finish-type bounds are kept apart from start-type bounds.
        gate_f: dict[int, list[tuple[int, int]]] = defaultdict(list)
        # Backward out-edges per node: y[2*v] = LS (or start bound), y[2*v+1] = LF.
        bout: list[list[tuple[int, int]]] = [[] for _ in range(nn)]
        roll_s: dict[int, list[tuple[int, int]]] = defaultdict(list)
        # successor nodes per node, for Kahn's sort; only built when there are summaries
        succ_nodes: list[list[int]] = [[] for _ in range(nn)] if nn > n else []
        indeg = [0] * nn

        def add_edge(src: int, dst: int, typ: int, lag: int) -> None:
            # typ in LinkType terms between *nodes* src -> dst.
            s_fin = typ in (1, 0)  # FS, FF read the source finish
            t_fin = typ in (0, 2)  # FF, SF bind the target finish
            # forward
            if dst >= n or not is_summary[dst]:
                if dst >= n:  # gate: keep start and finish bounds apart
                    if t_fin:
                        gate_f[dst].append((2 * src + s_fin, lag))
                    else:
                        fin[dst].append((2 * src + s_fin, lag))
                else:
                    fin[dst].append((2 * src + s_fin, lag - (dur[dst] if t_fin else 0)))
            # backward (source side)
            if src < n and is_summary[src]:  # rollup: start and finish bounds apart
                if s_fin:
                    bout[src].append((2 * dst + t_fin, -lag))
                else:
                    roll_s[src].append((2 * dst + t_fin, -lag))
            elif src < n:
                bout[src].append((2 * dst + t_fin, -lag + (0 if s_fin else dur[src])))
            succ_nodes[src].append(dst)
            indeg[dst] += 1

        links = list(links)
        try:
            lp = [index[lk.pred] for lk in links]
            ls_ = [index[lk.succ] for lk in links]
            # LinkType -> plain int code; an unknown type is a KeyError
            codes = _LINK_CODE_OF
            lt = [codes[lk.type] for lk in links]
        except (KeyError, TypeError):
            self._explain_bad_link(links)
            raise  # pragma: no cover - _explain_bad_link always raises
        # Most plans list predecessors before successors: when every link runs forward in
        # task order (one C-level pass over the columns), that order is topological already
        # and no link can be a self-link.
        forward = all(map(_less, lp, ls_))
        if not forward and any(map(eq, lp, ls_)):
            self._explain_bad_link(links)
        ll = [lk.lag for lk in links]
        pcts = [lk.lag_percent for lk in links]
        if pcts.count(None) < len(pcts):  # some percent lags: convert them
            for k, pct in enumerate(pcts):
                if pct is not None:
                    ll[k] = round(dur[lp[k]] * pct / 100)
        self.link_columns = (lp, ls_, lt, ll)  # pred task, succ task, type, lag
        # Columnar edge values, leaf -> leaf: the same edges add_edge would make (see there
        # for the flags), computed column by column with C-level map() instead of a Python
        # loop per link; all values are plain ints.
        fadj: Iterable[int]
        badj: Iterable[int]
        if lt.count(1) == len(lt):  # all FS, the usual case: EF(p) + lag -> ES(s)
            src_keys = list(map(add, map(add, lp, lp), repeat(1)))  # 2 * p + 1
            dst_keys = list(map(add, ls_, ls_))  # 2 * s
            fadj = ll
            badj = map(neg, ll)
        else:
            sfin = list(map(le, lt, repeat(1)))  # FS, FF read the predecessor's finish
            tfin = list(map(not_, map(and_, lt, repeat(1))))  # FF, SF bind the succ. finish
            src_keys = list(map(add, map(add, lp, lp), sfin))  # 2 * p + sfin
            dst_keys = list(map(add, map(add, ls_, ls_), tfin))  # 2 * s + tfin
            # forward: ES(s) >= x[src_key] + lag, less dur(s) when the finish is bound
            fadj = map(sub, ll, map(mul, map(dur.__getitem__, ls_), tfin))
            # backward: LF(p) <= y[dst_key] - lag, plus dur(p) when p's start is read
            badj = map(sub, map(mul, map(dur.__getitem__, lp), map(not_, sfin)), ll)
        if summaries:
            # Links that touch a summary go through its gate/rollup nodes (add_edge); the
            # leaf -> leaf ones take the columnar values. The passes take maxima and minima
            # over each node's edges, so the order of the edges does not matter.
            fadj, badj = list(fadj), list(badj)
            leaf = [k for k in range(len(lp)) if not (is_summary[lp[k]] or is_summary[ls_[k]])]
            for k in range(len(lp)):
                if is_summary[lp[k]] or is_summary[ls_[k]]:
                    add_edge(lp[k], entry(ls_[k]), lt[k], ll[k])
            lp_leaf = [lp[k] for k in leaf]
            ls_leaf = [ls_[k] for k in leaf]
            _scatter(
                fin, ls_leaf, zip([src_keys[k] for k in leaf], [fadj[k] for k in leaf], strict=True)
            )
            _scatter(
                bout,
                lp_leaf,
                zip([dst_keys[k] for k in leaf], [badj[k] for k in leaf], strict=True),
            )
            _scatter(succ_nodes, lp_leaf, ls_leaf)
            for s_ in ls_leaf:
                indeg[s_] += 1
        else:
            # Scatter the pairs into their per-node lists, in link order (what a loop of
            # appends would give, so Kahn's order below is unchanged).
            _scatter(fin, ls_, zip(src_keys, fadj, strict=True))
            _scatter(bout, lp, zip(dst_keys, badj, strict=True))
        # hierarchy: gate(parent) -> entry(child) as SS0 + FF0; child -> rollup(parent) likewise.
        # These are add_edge(g, e, SS/FF, 0) and add_edge(i, par, SS/FF, 0) written out, with
        # the same appends in the same order (one Python call per edge was a third of the
        # compile time on a 5,000-task outline).
        for i in with_parent:
            par = parent_idx[i]
            g = gate_of[par]
            g2 = 2 * g
            if is_summary[i]:
                e = gate_of[i]
                fin[e].append((g2, 0))
                gate_f[e].append((g2 + 1, 0))
                roll_s[i].append((2 * par, 0))
                bout[i].append((2 * par + 1, 0))
            else:
                e = i
                d = dur[i]
                fk = fin[i]
                fk.append((g2, 0))
                fk.append((g2 + 1, -d))
                bk = bout[i]
                bk.append((2 * par, d))
                bk.append((2 * par + 1, 0))
            sg = succ_nodes[g]
            sg.append(e)
            sg.append(e)
            si = succ_nodes[i]
            si.append(par)
            si.append(par)
            indeg[e] += 2
            indeg[par] += 2
        for i in summaries:
            # guarantees gate before rollup even for odd inputs
            succ_nodes[gate_of[i]].append(i)
            indeg[i] += 1
        self.fin, self.gate_f = fin, gate_f
        self.bout, self.roll_s = bout, roll_s

        # Kahn's topological order. Without summaries the successor lists are not built:
        # bout[v] holds (2 * w + flag, adj) for each successor w, in the same (link) order.
        if nn == n and forward:
            order = list(range(nn))
        else:
            if nn == n:
                indeg = list(map(len, fin))
            order = self._kahn(nn, n, indeg, succ_nodes, bout)
        self.order = order
        self.summary_gates = [(i, gate_of[i]) for i in summaries]
        self.real_keys = (lp, src_keys, dst_keys, ll)
        self._static: tuple | None = None
        self._rank: list[int] | None = None

    @property
    def topo_rank(self) -> list[int]:
        """Each node's position in the topological order."""
        if self._rank is None:
            rank = [0] * self.n_nodes
            _consume(map(setitem, repeat(rank), self.order, range(self.n_nodes)))
            self._rank = rank
        return self._rank

    def _kahn(self, nn: int, n: int, indeg: list[int], succ_nodes: list, bout: list) -> list[int]:
        # without summaries the successors are the backward edges' keys, halved
        succ_lists = succ_nodes if nn > n else [[k >> 1 for k, _ in edges] for edges in bout]
        order = [v for v in range(nn) if indeg[v] == 0]
        deg = indeg[:]
        pos = 0
        while pos < len(order):
            v = order[pos]
            pos += 1
            for w in succ_lists[v]:
                deg[w] -= 1
                if deg[w] == 0:
                    order.append(w)
        if len(order) < nn:
            raise CycleError(self._find_cycle(succ_lists, deg))
        return order

    def replace_tasks(self, tasks: Sequence[Task]) -> None:
        """New task inputs for the same structure (ids, outline, durations and links unchanged):
        constraints, progress and manual dates are read at run time."""
        self.tasks = list(tasks)
        self._static = None

    def _explain_bad_link(self, links: list[Link]) -> None:
        """Raise the precise error for the first bad link."""
        for lk in links:
            for end in (lk.pred, lk.succ):
                if end not in self.index:
                    raise ScheduleError(f"link {lk.pred!r} -> {lk.succ!r}: unknown task {end!r}")
            if lk.pred == lk.succ:
                raise CycleError([lk.pred])
            if lk.type not in _LINK_CODES:
                raise ScheduleError(f"link {lk.pred!r} -> {lk.succ!r}: unknown type {lk.type!r}")
        raise ScheduleError("bad link")  # pragma: no cover

    def _find_cycle(self, succ: list[list[int]], deg: list[int]) -> list[Hashable]:
        """A cycle among the nodes Kahn's algorithm could not order, named by task id."""
        left = {v for v in range(len(deg)) if deg[v] > 0}
        color: dict[int, int] = {}
        for start in sorted(left):
            if start in color:
                continue
            stack = [(start, iter(succ[start]))]
            path = [start]
            color[start] = 1
            while stack:
                v, it = stack[-1]
                nxt = next((w for w in it if w in left and color.get(w) != 2), None)
                if nxt is None:
                    color[v] = 2
                    stack.pop()
                    path.pop()
                    continue
                if color.get(nxt) == 1:
                    cyc = path[path.index(nxt) :]
                    names: list[Hashable] = []
                    for node in cyc:
                        tid = self.ids[self.owner[node]]
                        if not names or names[-1] != tid:
                            names.append(tid)
                    if len(names) > 1 and names[0] == names[-1]:
                        names.pop()
                    return names
                color[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
                path.append(nxt)
        return [self.ids[self.owner[v]] for v in sorted(left)]  # pragma: no cover

    def _classify(
        self, status_date: int | None
    ) -> tuple[list[int], list[int], list[int], list[bool], list[bool], list[bool]]:
        """Per-node kind (0 plain leaf, 1 special leaf, 2 summary rollup, 3 gate) and the
        pinned dates of started, complete and manually scheduled tasks."""
        n = len(self.tasks)
        nn = self.n_nodes
        tasks = self.tasks
        dur = self.dur
        is_summary = self.is_summary
        kind = [0] * nn
        fixed_es = [0] * n
        fixed_ef = [0] * n
        started = [False] * n
        complete = [False] * n
        manual_like = [False] * n
        for i in self._maybe_special():
            t = tasks[i]
            if is_summary[i]:
                kind[i] = 2
                if t.manual and t.manual_start is not None:
                    fixed_es[i] = t.manual_start
                    fixed_ef[i] = t.manual_finish if t.manual_finish is not None else t.manual_start
                continue
            if t.actual_finish is not None or t.percent_complete >= 100:
                complete[i] = True
                a_s = t.actual_start if t.actual_start is not None else t.actual_finish
                a_f = t.actual_finish if t.actual_finish is not None else None
                if a_s is None:
                    raise ScheduleError(f"task {t.id!r} is complete but has no actual dates")
                fixed_es[i] = a_s
                fixed_ef[i] = a_f if a_f is not None else a_s + dur[i]
                kind[i] = 1
            elif t.actual_start is not None:
                started[i] = True
                fixed_es[i] = t.actual_start
                if status_date is not None:
                    done = round(dur[i] * t.percent_complete / 100)
                    fixed_ef[i] = max(status_date, t.actual_start + done) + dur[i] - done
                else:
                    fixed_ef[i] = t.actual_start + dur[i]
                kind[i] = 1
            elif t.manual and t.manual_start is not None:
                manual_like[i] = True
                fixed_es[i] = t.manual_start
                fixed_ef[i] = t.manual_start + dur[i]
                kind[i] = 1
            elif t.constraint != ConstraintType.ASAP or t.deadline is not None:
                kind[i] = 1
        for v in range(n, nn):
            kind[v] = 3
        return kind, fixed_es, fixed_ef, started, complete, manual_like

    def _maybe_special(self) -> Iterable[int]:
        """The tasks `_classify` must look at: the summaries and the tasks with progress, a
        constraint, a deadline or the manual flag, found column by column at C speed (a large
        plan has few of them). The status date's floor applies to plain tasks in the pass."""
        tasks = self.tasks
        n = len(tasks)
        special = {i for i, g in self.summary_gates}
        for column, default in (
            ([t.actual_finish for t in tasks], None),
            ([t.actual_start for t in tasks], None),
            ([t.deadline for t in tasks], None),
            ([t.manual for t in tasks], False),
            ([t.constraint for t in tasks], ConstraintType.ASAP),
        ):
            if column.count(default) < n:
                special.update(i for i, value in enumerate(column) if value != default)
        percents = [t.percent_complete for t in tasks]
        if max(percents, default=0) >= 100:
            special.update(i for i, value in enumerate(percents) if value >= 100)
        return sorted(special)

    @staticmethod
    def _progress_idx(started: list[bool], complete: list[bool]) -> list[int]:
        return [i for i, (a, b) in enumerate(zip(started, complete, strict=True)) if a or b]

    def run(
        self,
        *,
        status_date: int | None = None,
        critical_slack_limit: int = 0,
        minutes_per_day: int = 480,
    ) -> ScheduleResult:
        """Forward and backward pass; returns per-task results."""
        # The cyclic GC is paused without a context manager: allocating its generator would
        # let the GC first scan every container the compile just made (a few ms on a large
        # network), which is wasted when the network is dropped soon after.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run(status_date, critical_slack_limit, minutes_per_day)
        finally:
            if enabled:
                gc.enable()

    def _run(
        self, status_date: int | None, critical_slack_limit: int, minutes_per_day: int
    ) -> ScheduleResult:
        n = len(self.tasks)
        nn = self.n_nodes
        tasks = self.tasks
        dur = self.dur
        is_summary = self.is_summary
        honor = self.honor_constraints
        x = [0] * (2 * nn)
        y = [0] * (2 * nn)
        fin = self.fin
        order = self.order

        if self._static is not None and self._static[0] == status_date:
            kind, fixed_es, fixed_ef, started, complete, manual_like = self._static[1]
        else:
            classified = self._classify(status_date)
            self._static = (status_date, classified)
            kind, fixed_es, fixed_ef, started, complete, manual_like = classified
        # a task that has not started cannot start before the status date
        floor = NEG if status_date is None else status_date
        children = self.children
        gate_f = self.gate_f

        # The passes read each node's edges in plain loops: CPython specialises the tuple
        # unpacking, list indexing and int arithmetic, which beats max()/min() over map().
        # ---- forward pass ----
        for v in order:
            k = kind[v]
            if k == 0:
                es = NEG
                for a, b in fin[v]:
                    c = x[a] + b
                    if c > es:
                        es = c
                if es < _HALF_NEG:  # no predecessor (or only unbounded gates)
                    es = 0
                if es < floor:
                    es = floor
                v2 = v + v
                x[v2] = es
                x[v2 + 1] = es + dur[v]
            elif k == 3:
                edges = fin[v]
                x[2 * v] = max([x[a] + b for a, b in edges]) if edges else NEG
                edges = gate_f.get(v)
                x[2 * v + 1] = max([x[a] + b for a, b in edges]) if edges else NEG
            elif k == 2:
                t = tasks[v]
                if t.manual and t.manual_start is not None:
                    x[2 * v] = fixed_es[v]
                    x[2 * v + 1] = fixed_ef[v]
                else:
                    ch = children[v]
                    x[2 * v] = min([x[2 * c] for c in ch])
                    x[2 * v + 1] = max([x[2 * c + 1] for c in ch])
            else:
                if started[v] or complete[v] or manual_like[v]:
                    x[2 * v] = fixed_es[v]
                    x[2 * v + 1] = fixed_ef[v]
                    continue
                t = tasks[v]
                d = dur[v]
                edges = fin[v]
                es = max([x[a] + b for a, b in edges]) if edges else NEG
                if es < _HALF_NEG:
                    es = 0
                if status_date is not None and es < status_date:
                    es = status_date
                c = t.constraint_date
                ct = t.constraint
                if c is not None:
                    if ct == ConstraintType.SNET:
                        es = max(es, c)
                    elif ct == ConstraintType.FNET:
                        es = max(es, c - d)
                    elif ct == ConstraintType.MSO:
                        es = c
                    elif ct == ConstraintType.MFO:
                        es = c - d
                    elif honor and ct == ConstraintType.SNLT:
                        es = min(es, c)
                    elif honor and ct == ConstraintType.FNLT:
                        es = min(es, c - d)
                x[2 * v] = es
                x[2 * v + 1] = es + d

        # the project finish: the latest finish of a task that is not a summary
        finishes = x[1 : 2 * n : 2]
        pf = max(compress(finishes, map(not_, is_summary)) if nn > n else finishes, default=0)
        pf = max(pf, 0)

        # ---- backward pass ----
        bout, roll_s = self.bout, self.roll_s
        for v in reversed(order):
            k = kind[v]
            if k == 0:
                lf = POS
                for a, b in bout[v]:
                    c = y[a] + b
                    if c < lf:
                        lf = c
                if lf > pf:
                    lf = pf
                v2 = v + v
                y[v2 + 1] = lf
                y[v2] = lf - dur[v]
            elif k == 2:
                # rollup node: late bounds the summary's successor links (and its own parent's
                # rollup) impose on its descendants
                edges = bout[v]
                lf = min([y[a] + b for a, b in edges]) if edges else POS
                edges = roll_s.get(v)
                ls = min([y[a] + b for a, b in edges]) if edges else POS
                t = tasks[v]
                if t.manual and t.manual_start is not None and fixed_ef[v] < lf:
                    lf = fixed_ef[v]
                y[2 * v] = ls
                y[2 * v + 1] = lf
            elif k == 3:
                s = self.owner[v]
                t = tasks[s]
                if t.manual and t.manual_start is not None:
                    y[2 * v] = fixed_es[s]
                    y[2 * v + 1] = fixed_ef[s]
                else:
                    ls = POS
                    lf = NEG
                    for c in children[s]:
                        if manual_like[c]:
                            a, b = x[2 * c], x[2 * c + 1]
                        else:
                            cn = self.gate_of[c] if is_summary[c] else c
                            a, b = y[2 * cn], y[2 * cn + 1]
                        if a < ls:
                            ls = a
                        if b > lf:
                            lf = b
                    y[2 * v] = ls
                    y[2 * v + 1] = lf
            else:
                t = tasks[v]
                d = dur[v]
                if complete[v]:
                    y[2 * v] = x[2 * v]
                    y[2 * v + 1] = x[2 * v + 1]
                    continue
                edges = bout[v]
                lf = min([y[a] + b for a, b in edges]) if edges else POS
                if lf > pf:
                    lf = pf
                c = t.constraint_date
                ct = t.constraint
                if c is not None:
                    if ct == ConstraintType.SNLT:
                        lf = min(lf, c + d)
                    elif ct == ConstraintType.FNLT:
                        lf = min(lf, c)
                    elif ct == ConstraintType.MSO:
                        lf = c + d
                    elif ct == ConstraintType.MFO:
                        lf = c
                if t.deadline is not None and t.deadline < lf:
                    lf = t.deadline
                y[2 * v + 1] = lf
                y[2 * v] = fixed_es[v] if started[v] else lf - d

        # ---- results ----
        n2 = 2 * n
        es_list = x[0:n2:2]
        ef_list = x[1:n2:2]
        ls_list = y[0:n2:2]
        lf_list = y[1:n2:2]
        for i, g in self.summary_gates:
            ls_list[i] = y[2 * g]
            lf_list[i] = y[2 * g + 1]
        ts_list = list(map(min, map(sub, ls_list, es_list), map(sub, lf_list, ef_list)))
        progress = self._progress_idx(started, complete) if any(started) or any(complete) else ()
        for i in progress:
            ts_list[i] = 0 if complete[i] else lf_list[i] - ef_list[i]
        # free slack: the least of the total slack and each outgoing link's slack
        fs_list = ts_list[:]
        for p, a, b, lag in zip(*self.real_keys, strict=True):
            c = x[b] - lag - x[a]
            if c < fs_list[p]:
                fs_list[p] = c
        lim = critical_slack_limit
        critical = list(map(le, ts_list, repeat(lim)))
        if min(ts_list, default=0) >= 0:
            fs_out = list(map(max, fs_list, repeat(0)))
        else:
            pairs = zip(fs_list, ts_list, strict=True)
            fs_out = [max(fs, 0) if ts >= 0 else fs for fs, ts in pairs]
        if any(complete):
            for i in range(n):
                if complete[i]:
                    critical[i] = False
                    fs_out[i] = 0
        return ScheduleResult(
            project_finish=pf,
            minutes_per_day=minutes_per_day,
            _network=self,
            _es=es_list,
            _ef=ef_list,
            _ls=ls_list,
            _lf=lf_list,
            _ts=ts_list,
            _fs=fs_out,
            _critical=critical,
        )


def schedule(
    tasks: Sequence[Task],
    links: Iterable[Link],
    *,
    status_date: int | None = None,
    critical_slack_limit: int = 0,
    honor_constraints: bool = False,
    minutes_per_day: int = 480,
) -> ScheduleResult:
    """Compile the network and run the forward and backward passes."""
    net = Network(tasks, links, honor_constraints=honor_constraints)
    return net.run(
        status_date=status_date,
        critical_slack_limit=critical_slack_limit,
        minutes_per_day=minutes_per_day,
    )


# --------------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------------

Intervals = tuple[tuple[int, int], ...]  # working periods of a day, minutes after midnight
STANDARD_DAY: Intervals = ((8 * 60, 12 * 60), (13 * 60, 17 * 60))


class WorkCalendar:
    """Working weekdays with working periods, holidays and per-date exceptions.

    Converts datetimes to working-minute offsets from `origin` (a datetime, normally the
    project start) and back, and counts working days. Lookups use precomputed cumulative
    tables, so each conversion is O(log days) and engine arithmetic stays integer.
    """

    def __init__(
        self,
        origin: dt.datetime,
        *,
        weekdays: Mapping[int, Intervals] | None = None,
        holidays: Iterable[tuple[dt.date, dt.date]] = (),
        exceptions: Mapping[dt.date, Intervals] | None = None,
        minutes_per_day: int = 480,
        span_days: int = 366 * 12,
        days_before: int | None = None,
    ) -> None:
        if weekdays is None:
            weekdays = dict.fromkeys(range(5), STANDARD_DAY)
        self.weekdays = {d: tuple(weekdays.get(d, ())) for d in range(7)}
        self.exceptions: dict[dt.date, Intervals] = dict(exceptions or {})
        for first, last in holidays:
            if last < first:
                raise ValueError(f"holiday range ends before it starts: {first}..{last}")
            day = first
            while day <= last:
                self.exceptions[day] = ()
                day += dt.timedelta(days=1)
        self.minutes_per_day = minutes_per_day
        self.origin = origin
        before = span_days // 2 if days_before is None else days_before
        self._base = origin.date() - dt.timedelta(days=before)
        self._build(span_days)
        self._origin_abs = self._abs(origin)

    def _build(self, span_days: int) -> None:
        cum = [0]
        wcum = [0]
        day = self._base
        for _ in range(span_days):
            iv = self.intervals(day)
            cum.append(cum[-1] + sum(b - a for a, b in iv))
            wcum.append(wcum[-1] + (1 if iv else 0))
            day += dt.timedelta(days=1)
        self._cum = cum
        self._wcum = wcum
        self._span = span_days

    def intervals(self, day: dt.date) -> Intervals:
        """Working periods on `day` (empty for a non-working day)."""
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekdays[day.weekday()]

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self.intervals(day))

    def _day_index(self, day: dt.date) -> int:
        i = (day - self._base).days
        if not 0 <= i < self._span:
            raise ValueError(f"date {day} is outside the calendar's range")
        return i

    def _abs(self, moment: dt.datetime) -> int:
        i = self._day_index(moment.date())
        minute = moment.hour * 60 + moment.minute
        done = 0
        for a, b in self.intervals(moment.date()):
            if minute <= a:
                break
            done += min(minute, b) - a
        return self._cum[i] + done

    def to_offset(self, moment: dt.datetime) -> int:
        """Working minutes from the origin to `moment` (negative before it)."""
        return self._abs(moment) - self._origin_abs

    def to_datetime(self, offset: int, *, finish: bool = False) -> dt.datetime:
        """The datetime of a working-minute offset.

        A start lands at the beginning of the next working period (08:00), a finish at the end
        of the previous one (17:00), which is how MS Project displays them.
        """
        target = offset + self._origin_abs
        cum = self._cum
        i = bisect.bisect_left(cum, target) - 1 if finish else bisect.bisect_right(cum, target) - 1
        i = max(i, 0)
        day = self._base + dt.timedelta(days=i)
        left = target - cum[i]
        for a, b in self.intervals(day):
            length = b - a
            if left < length or (finish and left == length):
                m = a + left
                return dt.datetime.combine(day, dt.time(m // 60, m % 60))
            left -= length
        raise ValueError(f"offset {offset} is outside the calendar's range")  # pragma: no cover

    # working-day helpers (plan dates are whole working days in the app)
    def working_days_between(self, first: dt.date, last: dt.date) -> int:
        """Working days in the half-open range [first, last)."""
        return self._wcum[self._day_index(last)] - self._wcum[self._day_index(first)]

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The working day `n` working days after `day` (before it for negative n).

        `add_working_days(d, 0)` is `d` itself when working, else the next working day.
        """
        wcum = self._wcum
        i = self._day_index(day)
        if n >= 0:
            target = wcum[i] + n  # count of working days before the answer
            j = bisect.bisect_right(wcum, target) - 1
            while not self.is_working_day(self._base + dt.timedelta(days=j)):
                j += 1
        else:
            target = wcum[i] + n
            j = bisect.bisect_right(wcum, target) - 1
            while not self.is_working_day(self._base + dt.timedelta(days=j)):
                j += 1
        return self._base + dt.timedelta(days=j)

    def subtract_working_days(self, day: dt.date, n: int) -> dt.date:
        return self.add_working_days(day, -n)

    def days_to_minutes(self, days: float) -> int:
        return round(days * self.minutes_per_day)

    def minutes_to_days(self, minutes: int) -> float:
        return minutes / self.minutes_per_day
