"""TrackingUpdateProcessor: waiting for one update wakes on that update only, and memory stays bounded."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Update

from bot.runtime.processing import TrackingUpdateProcessor


async def _nothing() -> None:
    return None


async def test_a_waiter_wakes_when_its_update_is_done_and_not_before() -> None:
    processor = TrackingUpdateProcessor(4)
    waiting = asyncio.create_task(processor.wait_done(2, timeout=5))
    await asyncio.sleep(0)
    await processor.do_process_update(Update(1), _nothing())
    await asyncio.sleep(0)
    assert not waiting.done()
    await processor.do_process_update(Update(2), _nothing())
    await waiting
    assert processor._waiters == {}


async def test_an_update_done_before_the_wait_returns_at_once() -> None:
    processor = TrackingUpdateProcessor(4)
    await processor.do_process_update(Update(7), _nothing())
    await processor.wait_done(7, timeout=0)


async def test_a_failed_update_counts_as_done() -> None:
    processor = TrackingUpdateProcessor(4)

    async def fail() -> None:
        raise ValueError("handler failed")

    with pytest.raises(ValueError, match="handler failed"):
        await processor.do_process_update(Update(3), fail())
    await processor.wait_done(3, timeout=0)


async def test_a_timed_out_waiter_is_forgotten_and_others_still_wake() -> None:
    processor = TrackingUpdateProcessor(4)
    patient = asyncio.create_task(processor.wait_done(5, timeout=5))
    with pytest.raises(TimeoutError):
        await processor.wait_done(5, timeout=0)
    assert len(processor._waiters[5]) == 1
    await processor.do_process_update(Update(5), _nothing())
    await patient
    assert processor._waiters == {}
    with pytest.raises(TimeoutError):
        await processor.wait_done(6, timeout=0)
    assert processor._waiters == {}


async def test_done_ids_are_bounded_for_a_long_running_bot() -> None:
    processor = TrackingUpdateProcessor(4, remembered=3)
    for update_id in range(1, 11):
        await processor.do_process_update(Update(update_id), _nothing())
    assert list(processor._done) == [8, 9, 10]


async def test_listeners_hear_of_every_update_done_even_a_failed_one() -> None:
    processor = TrackingUpdateProcessor(4)
    heard: list[int] = []
    processor.on_done(heard.append)

    async def fails() -> None:
        raise RuntimeError("handler failed")

    await processor.do_process_update(Update(1), _nothing())
    with pytest.raises(RuntimeError):
        await processor.do_process_update(Update(2), fails())
    assert heard == [1, 2]
