"""``AsyncJivoMock``: :class:`~jivo_widget.testing.controller.JivoMock` for Playwright's async API.

The same mock, the same records and the same names, for suites whose ``page`` is
``playwright.async_api.Page`` (pytest-playwright-asyncio, FastAPI projects): every method that
talks to the page is a coroutine (``await jivo_mock.wait_for_load()``,
``await jivo_mock.calls("setUserToken")``); the lists kept on the Python side
(``loader_requests``, ``blocked_requests``) are plain attributes. Importing this module does not
import Playwright.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any, overload

from jivo_widget import catalog
from jivo_widget.testing._mock_records import (
    COUNT_AT_LEAST,
    JIVO_URL,
    PERFORM_ACTION,
    READ_RECORDS,
    REPORT_BINDING,
    TIMEOUT_HINT,
    MockRecords,
    act_payload,
    problems_listing,
    unverified_claims,
)
from jivo_widget.testing.scripts import mock_init_script

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page, Route

__all__ = ["AsyncJivoMock"]


class AsyncJivoMock(MockRecords):
    """The mocked Jivo widget of one async Playwright page (see the module docstring).

    The ``jivo_mock`` fixture of an async suite gives one; without pytest,
    ``async with AsyncJivoMock(page) as jivo:`` installs it and checks the page at the end, as
    the fixture does (:meth:`check`).
    """

    page: Page

    async def install(self) -> AsyncJivoMock:
        """Install the mock on the page's context, before the page's first navigation."""
        context: BrowserContext = self.page.context
        self._note_install(self.page.url)
        await context.expose_binding(REPORT_BINDING, self._on_report)
        await context.add_init_script(mock_init_script(self.options))
        await context.route(JIVO_URL, self._handle_route)
        context.on("weberror", self._on_web_error)
        context.on("console", self._on_console)
        self.page.on("response", self._on_response)
        self.page.on("requestfailed", self._on_request_failed)
        return self

    async def __aenter__(self) -> AsyncJivoMock:
        """``async with AsyncJivoMock(page) as jivo:`` installs the mock."""
        return await self.install()

    async def __aexit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        """Checks the page when the block ended normally (see :meth:`check`)."""
        if kind is None:
            await self.check()

    async def problems(self) -> tuple[list[str], list[str]]:
        """``(violations, page_errors)`` so far."""
        return await self.violations(), await self.page_errors()

    async def check(self, *, strict: bool = True, allow_page_errors: bool = False) -> None:
        """Raise ``AssertionError`` listing contract violations and page errors (see
        :meth:`JivoMock.check <jivo_widget.testing.controller.JivoMock.check>`)."""
        violations, page_errors = await self.problems()
        violations = violations if strict else []
        page_errors = [] if allow_page_errors else page_errors
        if violations or page_errors:
            raise AssertionError("jivo_mock: " + problems_listing(violations, page_errors))

    async def _handle_route(self, route: Route) -> None:
        # A handler that raises leaves the request stalled until goto's timeout: never raise.
        try:
            body = self._loader_body(route.request.url)
            if body is None:
                await route.abort("blockedbyclient")
                return
            await route.fulfill(
                status=200,
                content_type="application/javascript; charset=utf-8",
                body=body,
                headers={"Cache-Control": "no-store", "Access-Control-Allow-Origin": "*"},
            )
        except Exception:  # see above; the page then sees a failed request
            with contextlib.suppress(Exception):
                await route.abort()

    # ------------------------------------------------------------------ reads

    async def _read(self, kind: str, frame: Any = None) -> Any:
        text = await (frame or self.page).evaluate(READ_RECORDS, kind)
        return None if text is None else json.loads(text)

    @overload
    async def calls(self) -> list[tuple[str, list[Any]]]: ...
    @overload
    async def calls(self, name: str) -> list[list[Any]]: ...

    async def calls(self, name: str | None = None) -> list[tuple[str, list[Any]]] | list[list[Any]]:
        """Recorded calls in order: ``await calls("setUserToken") == [["u-42"]]``."""
        records = await self._read("calls") or []
        if name is None:
            return [(r["name"], r["args"]) for r in records]
        return [r["args"] for r in records if r["name"] == name]

    async def results(self, name: str) -> list[Any]:
        """What each call of ``name`` returned, in order."""
        return [r["result"] for r in await self._read("calls") or [] if r["name"] == name]

    @overload
    async def callbacks(self) -> list[tuple[str, list[Any]]]: ...
    @overload
    async def callbacks(self, name: str) -> list[list[Any]]: ...

    async def callbacks(
        self, name: str | None = None
    ) -> list[tuple[str, list[Any]]] | list[list[Any]]:
        """Callbacks the widget fired, in order, like :meth:`calls`."""
        records = await self._read("callbacks") or []
        if name is None:
            return [(r["name"], r["args"]) for r in records]
        return [r["args"] for r in records if r["name"] == name]

    async def state(self) -> dict[str, Any]:
        """The widget's state: status, widget_id, chat_mode, open, contact, custom_data..."""
        state = await self._read("state")
        if state is None:
            raise AssertionError("the Jivo mock is not installed on this page (navigate first)")
        return dict(state)

    async def widget_id(self) -> str | None:
        """The widget id the page's loader asked for (``None`` before the loader ran)."""
        value = (await self.state())["widget_id"]
        return None if value is None else str(value)

    async def visitor_token(self) -> str | None:
        """The user token the page set with ``jivo_api.setUserToken``, exactly as set, or
        ``None``."""
        value = (await self.state())["user_token"]
        return None if value is None else str(value)

    async def token_claims(self) -> dict[str, Any]:
        """The claims of :meth:`visitor_token`, decoded but **not verified** (see
        :meth:`JivoMock.token_claims <jivo_widget.testing.controller.JivoMock.token_claims>`)."""
        return unverified_claims(await self.visitor_token())

    async def violations(self) -> list[str]:
        """Contract violations of every document this page showed, oldest first."""
        return await self._kept("violation", "violations")

    async def page_errors(self) -> list[str]:
        """Uncaught errors of any page of the context, oldest first (hidden ones included)."""
        return [*self._web_errors, *await self._kept("page_error", "pageErrors")]

    async def _kept(self, kind: str, list_name: str) -> list[str]:
        per_frame: list[list[dict[str, Any]]] = []
        frames = [] if self.page.is_closed() else list(self.page.frames)
        for frame in frames:
            with contextlib.suppress(Exception):  # frames may detach while we read
                per_frame.append(await self._read(list_name, frame) or [])
        return self._merge_kept(kind, per_frame)

    # ------------------------------------------------------------------ assertions and waits

    async def assert_called(self, name: str, *args: Any) -> None:
        """Assert ``name`` was called, with exactly ``args`` when given."""
        calls = await self.calls(name)
        if not calls:
            everything = await self.calls()
            raise AssertionError(f"jivo_api.{name} was not called; calls: {everything!r}")
        if args and list(args) not in calls:
            raise AssertionError(
                f"jivo_api.{name} was never called with {list(args)!r}; its calls: {calls!r}"
            )

    async def assert_not_called(self, name: str) -> None:
        """Assert ``name`` was not called."""
        calls = await self.calls(name)
        if calls:
            raise AssertionError(f"jivo_api.{name} was called: {calls!r}")

    async def wait_for_load(self, timeout: float | None = None) -> None:
        """Wait until the widget fired ``jivo_onLoadCallback`` (``timeout`` in ms)."""
        timeout = self.wait_timeout if timeout is None else timeout
        try:
            await self.page.wait_for_function(
                "() => !!window.__jivoMock && window.__jivoMock.loaded", timeout=timeout
            )
        except Exception as exc:
            if type(exc).__name__ != "TimeoutError":
                raise
            raise AssertionError(
                f"the Jivo widget did not load within {timeout:g} ms (jivo_onLoadCallback never "
                f"fired). What jivo_mock saw:\n{await self._diagnosis()}\n{TIMEOUT_HINT}"
            ) from None

    async def wait_for_call(
        self, name: str, count: int = 1, timeout: float | None = None
    ) -> list[list[Any]]:
        """Wait until ``name`` was called ``count`` times; returns its calls."""
        await self._wait_count("calls", name, count, timeout)
        return await self.calls(name)

    async def wait_for_callback(
        self, name: str, count: int = 1, timeout: float | None = None
    ) -> list[list[Any]]:
        """Wait until callback ``name`` fired ``count`` times; returns the args of each firing."""
        await self._wait_count("callbacks", name, count, timeout)
        return await self.callbacks(name)

    async def _wait_count(self, kind: str, name: str, count: int, timeout: float | None) -> None:
        timeout = self.wait_timeout if timeout is None else timeout
        try:
            await self.page.wait_for_function(
                COUNT_AT_LEAST, arg=[kind, name, count], timeout=timeout
            )
        except Exception as exc:
            if type(exc).__name__ != "TimeoutError":
                raise
            seen = await (self.calls if kind == "calls" else self.callbacks)()
            message = (
                f"{name} was recorded fewer than {count} time(s) within {timeout:g} ms; "
                f"{kind} so far: {seen!r}"
            )
            if not await self._loaded():
                diagnosis = await self._diagnosis()
                message += f"\nthe Jivo widget never loaded. What jivo_mock saw:\n{diagnosis}"
            raise AssertionError(message) from None

    async def _loaded(self) -> bool:
        with contextlib.suppress(Exception):
            status = await self._read("status")
            return bool(status and status["loaded"])
        return False

    async def _diagnosis(self) -> str:
        status: dict[str, Any] | None = None
        with contextlib.suppress(Exception):
            status = await self._read("status")
        csp: list[dict[str, Any]] = []
        with contextlib.suppress(Exception):
            csp = await self._read("csp") or []
        page_errors: list[str] = []
        violations: list[str] = []
        with contextlib.suppress(Exception):
            violations, page_errors = await self.problems()
        return self._diagnosis_text(self.page.url, status, csp, page_errors, violations)

    # ------------------------------------------------------------------ actions

    async def _act(self, action: str, *args: Any) -> None:
        await self.page.evaluate(PERFORM_ACTION, [action, act_payload(args)])

    async def fire(self, callback: str, *args: Any) -> None:
        """Fire a Jivo callback as the widget would (arguments are JSON data)."""
        if callback not in catalog.CALLBACKS:
            raise ValueError(
                f"{callback!r} is not a Jivo callback; known: {', '.join(catalog.CALLBACKS)}"
            )
        await self._act("fire", callback, *args)

    async def visitor_introduces(
        self,
        *,
        name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        description: str | None = None,
    ) -> None:
        """The visitor submits the contact form: contact set, ``jivo_onIntroduction`` fired."""
        contact = {"name": name, "email": email, "phone": phone, "description": description}
        await self._act("visitorIntroduces", {k: v for k, v in contact.items() if v is not None})

    async def visitor_sends_message(self, text: str) -> None:
        """The visitor writes (opening the chat if needed)."""
        await self._act("visitorSendsMessage", text)

    async def visitor_opens_chat(self) -> None:
        """The visitor opens the chat window."""
        await self._act("visitorOpensChat")

    async def visitor_closes_chat(self) -> None:
        """The visitor minimises the chat window."""
        await self._act("visitorClosesChat")

    async def agent_accepts(self) -> None:
        """An agent accepts the chat (``jivo_onAccept``)."""
        await self._act("agentAccepts")

    async def agent_sends_message(self, text: str) -> None:
        """An agent writes: ``jivo_onMessageReceived``."""
        await self._act("agentSendsMessage", text)

    async def call_ends(self) -> None:
        """The call started by ``startCall`` ends normally."""
        await self._act("callEnds")

    async def set_visitor_number_error(self, error: str | None) -> None:
        """Make ``getVisitorNumber`` call back ``(error, null)``; ``None`` restores the number."""
        if error is not None and not isinstance(error, str):
            raise TypeError(f"error must be a str or None, got {error!r}")
        await self._act("setVisitorNumberError", error)

    async def set_chat_mode(self, mode: str) -> None:
        """Agents go ``"online"`` or ``"offline"``."""
        if mode not in ("online", "offline"):
            raise ValueError(f"chat mode must be 'online' or 'offline', got {mode!r}")
        await self._act("setChatMode", mode)

    async def set_callbacks_enabled(self, enabled: bool) -> None:
        """Turn the widget's callback (phone call) feature on or off."""
        await self._act("setCallbacksEnabled", bool(enabled))
