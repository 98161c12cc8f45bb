"""``serve --workers N``: N forked copies of the server sharing one listening socket.

The parent binds the socket and checked the store at startup (then closed it: no connection or
thread crosses a ``fork``); each child builds its own receiver and store and serves. The parent
only supervises: SIGINT/SIGTERM are passed on to the children, which finish their requests and
exit; a child that dies otherwise (``kill -9``, OOM) is replaced, so the others keep serving
meanwhile and the port stays open.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from types import FrameType

__all__ = ["run_workers"]

logger = logging.getLogger("jivo_widget.webhooks")

#: A replaced worker is started no sooner than this after the last start (no crash loop).
_RESTART_PAUSE = 1.0


def run_workers(count: int, serve_one: Callable[[], bool]) -> None:
    """Run ``serve_one`` in ``count`` forked children until SIGINT/SIGTERM; it returns whether
    its server started."""
    children: set[int] = set()
    stopping = False
    last_start = 0.0

    def start() -> None:
        nonlocal last_start
        last_start = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: serve, then leave without running the parent's exit code
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                code = 0 if serve_one() else 1
            except KeyboardInterrupt:
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children.add(pid)

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):  # it just exited
                os.kill(pid, signal.SIGTERM)

    for _ in range(count):
        start()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if stopping:
            continue
        logger.error(
            "worker %d exited (%s); starting another",
            pid,
            _describe(os.waitstatus_to_exitcode(status)),
        )
        time.sleep(max(0.0, last_start + _RESTART_PAUSE - time.monotonic()))
        if not stopping:
            start()


def _describe(code: int) -> str:
    if code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"exit status {code}"
