"""Run a coroutine to completion from synchronous test code, whatever ran before it."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` on a fresh thread.

    Once a browser test has used pytest-playwright's sync API, an event loop stays running in the
    main thread for the rest of the session (microsoft/playwright-pytest#167), and asyncio.run
    refuses to start there. A thread of its own has no running loop.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
