"""The two middlewares, sync and async alike. Neither is needed for ``{% jivo_widget %}``.

``JivoWidgetMiddleware`` gives views ``request.jivo_widget`` (a
:class:`~jivo_widget.integrations.PageOptions`: ``.enabled = False``,
``.update(custom_data=[...])``). In async requests it also loads the user
(``await request.auser()``) and the session first, so that a template rendered in the event loop
(an async view calling ``render()``) can still read the identity and the logout flag. Put it
below ``AuthenticationMiddleware`` (check ``jivo_widget.W001``).

``JivoWidgetInsertMiddleware`` does the same and inserts the glue before the last ``</body>`` of
HTML responses, for sites that would rather not edit templates. It is off unless listed, and it
changes a response only when all hold — every other response is left byte-identical:

- status 200, ``Content-Type: text/html`` (in a charset that holds the glue), not streaming;
- no ``Content-Encoding`` (list ``GZipMiddleware`` above it, so it compresses afterwards), no
  ``Content-Range``, no ``ETag`` (``ConditionalGetMiddleware`` above it, too);
- a ``</body`` tag and no glue yet (a template's ``{% jivo_widget %}`` wins);
- the widget shows on the page (per-page rules, the view's options).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import iscoroutinefunction
from typing import Any

from asgiref.sync import markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase

from jivo_widget.integrations._core import (
    CLEAR_HISTORY_KEY,
    encode_glue,
    has_glue,
    html_charset,
    insert_before_body,
)
from jivo_widget.integrations.django.decorators import page_options
from jivo_widget.integrations.django.page import render_for

__all__ = ["JivoWidgetInsertMiddleware", "JivoWidgetMiddleware"]

GetResponse = Callable[[HttpRequest], Any]

_HANDS_OFF = ("Content-Encoding", "Content-Range", "ETag")


class JivoWidgetMiddleware:
    """``request.jivo_widget`` for views; user and session loaded first in async requests."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        """Handle ``request`` (the async path when the chain is async)."""
        if self._async:
            return self._acall(request)
        page_options(request)
        response: HttpResponseBase = self.get_response(request)
        return self.process_response(request, response)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        page_options(request)
        await _preload(request)
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        response = await get_response(request)
        if self.wants(response):
            # The identity may query the database: not in the event loop.
            process = sync_to_async(self.process_response, thread_sensitive=True)
            response = await process(request, response)
        return response

    def wants(self, response: HttpResponseBase) -> bool:
        """Whether :meth:`process_response` may change ``response``."""
        return False

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """The response to send (unchanged here)."""
        return response


async def _preload(request: HttpRequest) -> None:
    """Load the user and the session the sync way would load lazily."""
    auser = getattr(request, "auser", None)
    if auser is not None:
        # login() and logout() assign request.user the same way; the lazy object would
        # query again, from the event loop.
        request.user = await auser()
    session = getattr(request, "session", None)
    aget = getattr(session, "aget", None)
    if aget is not None:
        await aget(CLEAR_HISTORY_KEY)  # loads the session into its cache; pops nothing


class JivoWidgetInsertMiddleware(JivoWidgetMiddleware):
    """:class:`JivoWidgetMiddleware` that also inserts the glue (see the module docstring)."""

    def wants(self, response: HttpResponseBase) -> bool:
        """Status 200, HTML, not streaming, not encoded, partial or tagged."""
        return (
            response.status_code == 200
            and not response.streaming
            and html_charset(response.get("Content-Type", "")) is not None
            and not any(response.has_header(name) for name in _HANDS_OFF)
        )

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """``response`` with the glue before ``</body>``, or unchanged (see the docstring)."""
        if not self.wants(response):
            return response
        content: bytes = response.content  # not streaming
        if has_glue(content):
            return response
        charset = html_charset(response["Content-Type"])
        assert charset is not None  # wants() checked it
        glue = render_for(request)
        encoded = encode_glue(str(glue), charset) if glue else None
        new_content = insert_before_body(content, encoded) if encoded else None
        if new_content is None:
            return response
        response.content = new_content
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(new_content))
        return response
