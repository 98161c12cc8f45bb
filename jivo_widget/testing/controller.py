"""``JivoMock``: drives and inspects the mocked Jivo widget of one Playwright page.

The page-side mock (``mock_widget.js``) keeps the ordered record of calls, callbacks and
violations where page code cannot reach it; this class reads it with ``page.evaluate`` (as JSON
text the mock serialises itself) and waits on it with ``page.wait_for_function`` (never with
sleeps). Violations and the errors a page hides also come through a Playwright binding, so they
outlive the document that made them. When a wait times out, the assertion says why the widget
did not load. Playwright is only needed at run time, through the ``page`` passed in, so importing
this module does not import Playwright.

What the async controller shares with this one (the URLs the mock answers, the JavaScript it
evaluates, the Python-side records and the diagnosis) is ``_mock_records``.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any, overload

from jivo_widget import catalog
from jivo_widget.testing._mock_records import (
    COUNT_AT_LEAST,
    DEFAULT_WAIT_TIMEOUT_MS,
    JIVO_URL,
    LOADER_URL,
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
    from playwright.sync_api import (
        BrowserContext,
        Page,
        Route,
    )

__all__ = [
    "DEFAULT_WAIT_TIMEOUT_MS",
    "JIVO_URL",
    "LOADER_URL",
    "JivoMock",
    "MockRecords",
    "act_payload",
    "problems_listing",
    "unverified_claims",
]

#: How long the waits wait by default, in ms: a page that loads the widget does so in well under


class JivoMock(MockRecords):
    """The mocked Jivo widget of one page: what the page called, and what the visitor does.

    Created by the ``jivo_mock`` fixture, or by hand without pytest (``unittest``, Django's
    ``StaticLiveServerTestCase``): ``with JivoMock(page) as jivo:`` installs it and, when the
    block ends without an exception, fails on contract violations and page errors as the
    fixture does (:meth:`check`). Reads (``calls``, ``violations``...) cover the page's current
    document; violations of earlier documents are kept too, so the check sees them after
    navigations.
    """

    # ------------------------------------------------------------------ setup

    page: Page

    def install(self) -> JivoMock:
        """Install the mock on the page's context: init script, loader routes, reporting.

        Before the page's first navigation. Returns the mock (``jivo = JivoMock(page).install()``).
        """
        context: BrowserContext = self.page.context
        self._note_install(self.page.url)
        context.expose_binding(REPORT_BINDING, self._on_report)
        context.add_init_script(mock_init_script(self.options))
        context.route(JIVO_URL, self._handle_route)
        context.on("weberror", self._on_web_error)
        context.on("console", self._on_console)
        self.page.on("response", self._on_response)
        self.page.on("requestfailed", self._on_request_failed)
        return self

    def __enter__(self) -> JivoMock:
        """``with JivoMock(page) as jivo:`` installs the mock."""
        return self.install()

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        """Checks the page when the block ended normally (see :meth:`check`)."""
        if kind is None:
            self.check()

    def check(self, *, strict: bool = True, allow_page_errors: bool = False) -> None:
        """Raise ``AssertionError`` listing the contract violations (unless ``strict=False``)
        and uncaught page errors (unless ``allow_page_errors``), as the pytest plugin fails a
        test after its body."""
        violations = self.violations if strict else []
        page_errors = [] if allow_page_errors else self.page_errors
        if violations or page_errors:
            raise AssertionError("jivo_mock: " + problems_listing(violations, page_errors))

    def _handle_route(self, route: Route) -> None:
        # A handler that raises leaves the request stalled until goto's timeout: never raise.
        try:
            body = self._loader_body(route.request.url)
            if body is None:
                route.abort("blockedbyclient")
                return
            route.fulfill(
                status=200,
                content_type="application/javascript; charset=utf-8",
                body=body,
                headers={"Cache-Control": "no-store", "Access-Control-Allow-Origin": "*"},
            )
        except Exception:  # see above; the page then sees a failed request
            with contextlib.suppress(Exception):
                route.abort()

    # ------------------------------------------------------------------ reads

    def _read(self, kind: str, frame: Any = None) -> Any:
        text = (frame or self.page).evaluate(READ_RECORDS, kind)
        return None if text is None else json.loads(text)

    @overload
    def calls(self) -> list[tuple[str, list[Any]]]: ...
    @overload
    def calls(self, name: str) -> list[list[Any]]: ...

    def calls(self, name: str | None = None) -> list[tuple[str, list[Any]]] | list[list[Any]]:
        """Recorded calls in order: ``calls("setUserToken") == [["u-42"]]``.

        Without a name: ``[(name, args), ...]`` over every ``jivo_api`` method (known or not)
        and ``jivo_init``/``jivo_destroy``. Arguments are JSON-round-tripped; functions appear
        as ``"[function]"``.
        """
        records = self._read("calls") or []
        if name is None:
            return [(r["name"], r["args"]) for r in records]
        return [r["args"] for r in records if r["name"] == name]

    def results(self, name: str) -> list[Any]:
        """What each call of ``name`` returned, in order (``None`` for no return value)."""
        return [r["result"] for r in self._read("calls") or [] if r["name"] == name]

    @overload
    def callbacks(self) -> list[tuple[str, list[Any]]]: ...
    @overload
    def callbacks(self, name: str) -> list[list[Any]]: ...

    def callbacks(self, name: str | None = None) -> list[tuple[str, list[Any]]] | list[list[Any]]:
        """Callbacks the widget fired, in order, like :meth:`calls` (fired whether or not the
        page defined a handler)."""
        records = self._read("callbacks") or []
        if name is None:
            return [(r["name"], r["args"]) for r in records]
        return [r["args"] for r in records if r["name"] == name]

    def state(self) -> dict[str, Any]:
        """The widget's state: status, widget_id, chat_mode, open, contact, custom_data..."""
        state = self._read("state")
        if state is None:
            raise AssertionError("the Jivo mock is not installed on this page (navigate first)")
        return dict(state)

    @property
    def widget_id(self) -> str | None:
        """The widget id the page's loader asked for (``None`` before the loader ran)."""
        value = self.state()["widget_id"]
        return None if value is None else str(value)

    def visitor_token(self) -> str | None:
        """The user token the page set with ``jivo_api.setUserToken`` (the last one), exactly as
        set; ``None`` when it set none (or ``clearHistory()`` cleared it)."""
        value = self.state()["user_token"]
        return None if value is None else str(value)

    def token_claims(self) -> dict[str, Any]:
        """The claims of :meth:`visitor_token`, decoded but **not verified** (for assertions:
        ``assert jivo_mock.token_claims()["id"] == "42"``); ``AssertionError`` when the page set
        no token or it is not a JWT."""
        return unverified_claims(self.visitor_token())

    @property
    def violations(self) -> list[str]:
        """Contract violations of every document this page showed, oldest first."""
        return self._kept("violation", "violations")

    @property
    def page_errors(self) -> list[str]:
        """Uncaught errors of any page of the context, as ``"Name: message"``, oldest first.

        Includes the errors a page hid from the browser (``window.onerror`` returning true,
        ``preventDefault()``), which the page-side mock records itself.
        """
        return [*self._web_errors, *self._kept("page_error", "pageErrors")]

    def _kept(self, kind: str, list_name: str) -> list[str]:
        per_frame: list[list[dict[str, Any]]] = []
        for frame in self._frames():
            with contextlib.suppress(Exception):  # frames may detach while we read
                per_frame.append(self._read(list_name, frame) or [])
        return self._merge_kept(kind, per_frame)

    def _frames(self) -> list[Any]:
        if self.page.is_closed():
            return []
        return list(self.page.frames)

    # ------------------------------------------------------------------ assertions and waits

    def assert_called(self, name: str, *args: Any) -> None:
        """Assert ``name`` was called, with exactly ``args`` when given."""
        calls = self.calls(name)
        if not calls:
            raise AssertionError(f"jivo_api.{name} was not called; calls: {self.calls()!r}")
        if args and list(args) not in calls:
            raise AssertionError(
                f"jivo_api.{name} was never called with {list(args)!r}; its calls: {calls!r}"
            )

    def assert_not_called(self, name: str) -> None:
        """Assert ``name`` was not called."""
        calls = self.calls(name)
        if calls:
            raise AssertionError(f"jivo_api.{name} was called: {calls!r}")

    def wait_for_load(self, timeout: float | None = None) -> None:
        """Wait until the widget fired ``jivo_onLoadCallback``.

        ``timeout`` in ms, by default :attr:`wait_timeout`. On time-out the assertion says why
        the widget did not load, as far as the page shows it.
        """
        timeout = self.wait_timeout if timeout is None else timeout
        try:
            self.page.wait_for_function(
                "() => !!window.__jivoMock && window.__jivoMock.loaded", timeout=timeout
            )
        except Exception as exc:
            if type(exc).__name__ != "TimeoutError":
                raise
            raise AssertionError(
                f"the Jivo widget did not load within {timeout:g} ms (jivo_onLoadCallback never "
                f"fired). What jivo_mock saw:\n{self._diagnosis()}\n{TIMEOUT_HINT}"
            ) from None

    def wait_for_call(
        self, name: str, count: int = 1, timeout: float | None = None
    ) -> list[list[Any]]:
        """Wait until ``name`` was called ``count`` times (``timeout`` in ms, by default
        :attr:`wait_timeout`); returns its calls."""
        self._wait_count("calls", name, count, timeout)
        return self.calls(name)

    def wait_for_callback(
        self, name: str, count: int = 1, timeout: float | None = None
    ) -> list[list[Any]]:
        """Wait until callback ``name`` fired ``count`` times; returns the args of each firing."""
        self._wait_count("callbacks", name, count, timeout)
        return self.callbacks(name)

    def _wait_count(self, kind: str, name: str, count: int, timeout: float | None) -> None:
        timeout = self.wait_timeout if timeout is None else timeout
        try:
            self.page.wait_for_function(COUNT_AT_LEAST, arg=[kind, name, count], timeout=timeout)
        except Exception as exc:
            if type(exc).__name__ != "TimeoutError":
                raise
            seen = (self.calls if kind == "calls" else self.callbacks)()
            message = (
                f"{name} was recorded fewer than {count} time(s) within {timeout:g} ms; "
                f"{kind} so far: {seen!r}"
            )
            if not self._loaded():
                message += (
                    f"\nthe Jivo widget never loaded. What jivo_mock saw:\n{self._diagnosis()}"
                )
            raise AssertionError(message) from None

    def _loaded(self) -> bool:
        with contextlib.suppress(Exception):
            status = self._read("status")
            return bool(status and status["loaded"])
        return False

    def _diagnosis(self) -> str:
        """Why the widget has not loaded in the current document: one line per finding."""
        status: dict[str, Any] | None = None
        with contextlib.suppress(Exception):
            status = self._read("status")
        csp: list[dict[str, Any]] = []
        with contextlib.suppress(Exception):
            csp = self._read("csp") or []
        page_errors: list[str] = []
        violations: list[str] = []
        with contextlib.suppress(Exception):
            page_errors = self.page_errors
            violations = self.violations
        return self._diagnosis_text(self.page.url, status, csp, page_errors, violations)

    # ------------------------------------------------------------------ actions

    def _act(self, action: str, *args: Any) -> None:
        self.page.evaluate(PERFORM_ACTION, [action, act_payload(args)])

    def fire(self, callback: str, *args: Any) -> None:
        """Fire a Jivo callback as the widget would.

        ``fire("jivo_onCallEnd", {"result": "ok"})`` calls the page's handler, if any. The
        arguments are JSON data and arrive exactly (every key, ``"__proto__"`` included).
        """
        if callback not in catalog.CALLBACKS:
            raise ValueError(
                f"{callback!r} is not a Jivo callback; known: {', '.join(catalog.CALLBACKS)}"
            )
        self._act("fire", callback, *args)

    def visitor_introduces(
        self,
        *,
        name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        description: str | None = None,
    ) -> None:
        """The visitor submits the contact form: contact set, ``jivo_onIntroduction`` fired."""
        contact = {"name": name, "email": email, "phone": phone, "description": description}
        self._act("visitorIntroduces", {k: v for k, v in contact.items() if v is not None})

    def visitor_sends_message(self, text: str) -> None:
        """The visitor writes (opening the chat if needed). The first message fires
        ``jivo_onMessageSent``, and ``jivo_onClientStartChat`` unless an invitation was shown."""
        self._act("visitorSendsMessage", text)

    def visitor_opens_chat(self) -> None:
        """The visitor opens the chat window (``jivo_onOpen``, state change, resize)."""
        self._act("visitorOpensChat")

    def visitor_closes_chat(self) -> None:
        """The visitor minimises the chat window (``jivo_onClose``, state change, resize)."""
        self._act("visitorClosesChat")

    def agent_accepts(self) -> None:
        """An agent accepts the chat (``jivo_onAccept``)."""
        self._act("agentAccepts")

    def agent_sends_message(self, text: str) -> None:
        """An agent writes: ``jivo_onMessageReceived``; unread count grows while closed."""
        self._act("agentSendsMessage", text)

    def call_ends(self) -> None:
        """The call started by ``startCall`` ends normally: ``jivo_onCallEnd({result: "ok"})``.

        Raises (in the page) when no call is in progress.
        """
        self._act("callEnds")

    def set_visitor_number_error(self, error: str | None) -> None:
        """Make ``getVisitorNumber`` call back ``(error, null)``; ``None`` restores the number."""
        if error is not None and not isinstance(error, str):
            raise TypeError(f"error must be a str or None, got {error!r}")
        self._act("setVisitorNumberError", error)

    def set_chat_mode(self, mode: str) -> None:
        """Agents go ``"online"`` or ``"offline"`` (what ``chatMode()`` answers)."""
        if mode not in ("online", "offline"):
            raise ValueError(f"chat mode must be 'online' or 'offline', got {mode!r}")
        self._act("setChatMode", mode)

    def set_callbacks_enabled(self, enabled: bool) -> None:
        """Turn the widget's callback (phone call) feature on or off."""
        self._act("setCallbacksEnabled", bool(enabled))
