"""The differential harnesses' rule for answers that timing decides (tests/differential.py)."""

from __future__ import annotations

from tests.differential import paths_meet


def _runs(*pairs):
    queue = list(pairs)

    async def answers():
        return queue.pop(0)

    return answers


async def test_paths_that_give_one_same_answer_on_a_re_run_meet():
    seen = ({(b"A", 3)}, {(b"B", 3)})
    assert await paths_meet(_runs(((b"B", 3), (b"B", 4))), seen)


async def test_paths_that_never_give_the_same_answer_do_not_meet():
    always_apart = _runs(*[((b"A", 3), (b"B", 3))] * 8)
    assert not await paths_meet(always_apart)


async def test_the_same_bytes_at_another_cost_is_another_answer():
    apart_by_cost = _runs(*[((b"A", 3), (b"A", 4))] * 8)
    assert not await paths_meet(apart_by_cost)
