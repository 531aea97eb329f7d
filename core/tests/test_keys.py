"""Reference keys: numbers per program and prefix, without gaps or duplicates under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from core.keys import allocate_key, allocate_number
from core.models import KeySequence
from programs import services
from programs.models import Workstream
from programs.tests.factories import ProgramFactory

THREADS = 8
PER_THREAD = 25


def run_in_threads(work: Callable[[int], list], threads: int = THREADS) -> list:
    """Run `work(i)` in `threads` threads started together; each thread uses its own connection."""
    barrier = threading.Barrier(threads)
    results: list = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            out = work(i)
            with lock:
                results.extend(out)
        except BaseException as exc:  # re-raised in the main thread below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=target, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "a worker thread hung"
    if errors:
        raise errors[0]
    return results


@pytest.mark.django_db
def test_allocate_number_starts_at_one_and_counts_up():
    numbers = [allocate_number(program_id=1, prefix="RSK") for _ in range(3)]

    assert numbers == [1, 2, 3]
    assert KeySequence.objects.get(program_id=1, prefix="RSK").last_value == 3


@pytest.mark.django_db
def test_allocate_key_formats_prefix_and_number():
    assert allocate_key(program_id=1, prefix="TSK") == "TSK-1"
    assert allocate_key(program_id=1, prefix="TSK") == "TSK-2"


@pytest.mark.django_db
def test_prefixes_and_programs_count_independently():
    keys = [
        allocate_key(program_id=1, prefix="RSK"),
        allocate_key(program_id=1, prefix="ISS"),
        allocate_key(program_id=2, prefix="RSK"),
        allocate_key(program_id=1, prefix="RSK"),
        allocate_key(program_id=2, prefix="RSK"),
    ]

    assert keys == ["RSK-1", "ISS-1", "RSK-1", "RSK-2", "RSK-2"]


@pytest.mark.django_db
def test_a_rolled_back_allocation_leaves_no_gap():
    allocate_number(program_id=1, prefix="CR")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert allocate_number(program_id=1, prefix="CR") == 2
        raise RuntimeError("the create failed")

    assert allocate_number(program_id=1, prefix="CR") == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_give_every_number_exactly_once():
    program = ProgramFactory(code="KEYS")

    def work(_: int) -> list[int]:
        numbers = []
        for _ in range(PER_THREAD):
            with transaction.atomic():
                numbers.append(allocate_number(program_id=program.pk, prefix="RSK"))
        return numbers

    numbers = run_in_threads(work)

    assert sorted(numbers) == list(range(1, THREADS * PER_THREAD + 1))
    assert KeySequence.objects.get(program_id=program.pk, prefix="RSK").last_value == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_in_two_programs_count_independently():
    first, second = ProgramFactory(code="ONE"), ProgramFactory(code="TWO")

    def work(i: int) -> list[tuple[int, int]]:
        program_id = (first, second)[i % 2].pk
        out = []
        for _ in range(PER_THREAD):
            with transaction.atomic():
                out.append((program_id, allocate_number(program_id=program_id, prefix="TSK")))
        return out

    pairs = run_in_threads(work)

    expected = list(range(1, THREADS // 2 * PER_THREAD + 1))
    assert sorted(n for p, n in pairs if p == first.pk) == expected
    assert sorted(n for p, n in pairs if p == second.pk) == expected


@pytest.mark.django_db(transaction=True)
def test_concurrent_workstream_create_gives_distinct_keys():
    program = ProgramFactory(code="CONC")
    per_thread = 5

    def work(i: int) -> list[str]:
        return [
            services.workstream_create(actor=None, program=program, name=f"Stream {i}-{j}").key
            for j in range(per_thread)
        ]

    keys = run_in_threads(work)

    total = THREADS * per_thread
    assert sorted(keys) == sorted(f"WS-{n}" for n in range(1, total + 1))
    assert Workstream.objects.filter(program=program).count() == total
    assert sorted(
        Workstream.objects.filter(program=program).values_list("key", flat=True)
    ) == sorted(keys)
