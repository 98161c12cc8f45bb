"""``clearHistory()`` on the page after a logout.

Django's ``logout()`` sends ``user_logged_out`` and then flushes the session, so a flag set in
the signal would be lost: the signal wraps this request's ``flush``/``aflush`` to set it again
in the fresh session. The next page with the widget pops it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from django.http import HttpRequest

from jivo_widget.integrations._core import CLEAR_HISTORY_KEY

__all__ = ["on_logout"]


def on_logout(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """``user_logged_out`` receiver: flag the session for ``clearHistory()``."""
    session = getattr(request, "session", None)
    if session is None:
        return
    flush: Callable[[], None] = session.flush
    aflush: Callable[[], Awaitable[None]] | None = getattr(session, "aflush", None)

    def flush_then_flag() -> None:
        flush()
        session[CLEAR_HISTORY_KEY] = True

    async def aflush_then_flag() -> None:
        assert aflush is not None
        await aflush()
        session[CLEAR_HISTORY_KEY] = True

    session.flush = flush_then_flag
    if aflush is not None:
        session.aflush = aflush_then_flag
    # A logout() that does not flush (a custom one) still flags the session it keeps.
    session[CLEAR_HISTORY_KEY] = True
