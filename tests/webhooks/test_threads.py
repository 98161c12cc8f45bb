"""The handler threads' loop hand-back (``run_on_threads``): every outcome reaches its future,
errors too (even ``SystemExit``), outcomes that arrive together are settled by one callback,
and a call cancelled while it waits never runs."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import TYPE_CHECKING

import pytest

from jivo_widget.webhooks import _threads
from jivo_widget.webhooks._threads import run_on_threads

if TYPE_CHECKING:
    from webhooks.conftest import RunAsync


def test_outcomes_and_errors_reach_their_futures(run_async: RunAsync) -> None:
    def fail(kind: type[BaseException]) -> None:
        raise kind("from a handler")

    async def scenario() -> None:
        values = await asyncio.gather(*(run_on_threads(pow, n, 2) for n in range(100)))
        assert values == [n * n for n in range(100)]
        for kind in (ValueError, SystemExit, KeyboardInterrupt):
            with pytest.raises(kind, match="from a handler"):
                await run_on_threads(fail, kind)
        assert threading.current_thread().name not in await run_on_threads(
            lambda: threading.current_thread().name
        )

    run_async(scenario())


def test_outcomes_that_arrive_together_are_settled_by_one_callback(run_async: RunAsync) -> None:
    settles: list[int] = []
    release = threading.Barrier(5)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        original = loop.call_soon_threadsafe

        def counted(callback, *args, **kwargs):  # type: ignore[no-untyped-def]
            settles.append(1)
            return original(callback, *args, **kwargs)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        # Four calls finish together while the loop is blocked: one wake-up takes all four.
        futures = [run_on_threads(lambda n=n: (release.wait(), n)[1]) for n in range(4)]
        await asyncio.sleep(0)  # let the calls reach their threads
        release.wait()  # the loop thread itself is the fifth party: blocked until all are done
        time.sleep(0.2)  # the loop still blocked: the four results reach the inbox meanwhile
        assert await asyncio.gather(*futures) == [0, 1, 2, 3]
        loop.call_soon_threadsafe = original  # type: ignore[method-assign]

    run_async(scenario())
    assert len(settles) == 1


def test_a_call_cancelled_before_it_starts_never_runs(run_async: RunAsync) -> None:
    ran: list[str] = []
    gate = threading.Event()
    pool = _threads._DaemonThreads(1)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        blocker = pool.submit_to_loop(loop, gate.wait, 5)
        waiting = pool.submit_to_loop(loop, ran.append, "late")
        waiting.cancel()  # its handler missed its deadline while it waited for a thread
        gate.set()
        assert await blocker is True
        await asyncio.sleep(0.1)

    run_async(scenario())
    assert ran == []


def test_a_forked_child_gets_pools_of_its_own(run_async: RunAsync) -> None:
    async def square_on_a_thread() -> int:
        value: int = await run_on_threads(pow, 7, 2)
        return value

    assert run_async(square_on_a_thread()) == 49  # the parent's pool has started threads
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its threads must start anew, or the call never runs
        try:
            result = asyncio.run(asyncio.wait_for(square_on_a_thread(), 5))
            os.write(write, str(result).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        got = answer.read()
    os.waitpid(pid, 0)
    assert got == "49"
