"""What the sync and async ``JivoMock`` share: the URLs the mock answers, the JavaScript they
evaluate in the page, and :class:`MockRecords`, everything kept on the Python side (the
requests answered and aborted, the reports of the page-side mock, the "why did the widget not
load" diagnosis). Nothing here talks to the page; both controllers import it, neither imports
the other.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any
from urllib.parse import unquote

import jwt

from jivo_widget import catalog
from jivo_widget.testing.scripts import MockOptions, mock_loader_script

__all__ = [
    "COUNT_AT_LEAST",
    "DEFAULT_WAIT_TIMEOUT_MS",
    "JIVO_URL",
    "LOADER_URL",
    "PERFORM_ACTION",
    "READ_RECORDS",
    "REPORT_BINDING",
    "TIMEOUT_HINT",
    "MockRecords",
    "act_payload",
    "problems_listing",
    "unverified_claims",
]

#: a second here (the loader is answered locally); a broken one should fail fast and say why.
DEFAULT_WAIT_TIMEOUT_MS = 5000

# Enough lines of each kind to see a pattern; a diagnosis is not a log.
_MAX_LINES = 5

# Legacy hosts (code-ya.jivosite.com) are never emitted but still appear in old pages.
_LOADER_HOSTS = "|".join(
    re.escape(host) for host in (*catalog.LOADER_HOSTS, *catalog.LEGACY_LOADER_HOSTS)
)

#: Every loader URL form on every loader host, legacy ones included (http or https):
#: ``/widget/{id}``, ``/script/widget/{id}`` (also ``?plugin=wp``), ``/widget.js`` (id from
#: ``data-jv-id``).
LOADER_URL = re.compile(
    rf"^https?://(?:{_LOADER_HOSTS})(?::\d+)?/"
    r"(?:widget/(?P<id>[^/?#]*)|script/widget/(?P<legacy_id>[^/?#]*)|(?P<widget_js>widget\.js))"
    r"(?:[?#].*)?$"
)

#: Any Jivo host (loader hosts, CDN, telemetry, bundles...): routed so tests never reach Jivo.
JIVO_URL = re.compile(
    r"^[a-z]+://(?:[^/?#@]*\.)?(?:jivosite\.(?:com|ru)|jivo\.ru|jivochat\.[a-z]{2,}(?:\.[a-z]{2,})?)"
    r"(?::\d+)?(?:[/?#]|$)"
)

REPORT_BINDING = "__jivoMockReport"

TIMEOUT_HINT = (
    "(the wait: wait_for_load(timeout=ms), @pytest.mark.jivo_mock(wait_timeout=ms), "
    "--jivo-mock-wait-timeout=ms or the jivo_mock_wait_timeout ini key)"
)

# The page-side mock answers in JSON text it serialises itself (immune to a page's toJSON or
# prototype tricks, and every key, even "__proto__", arrives); one evaluate per read.
READ_RECORDS = """(kind) => {
  const m = window.__jivoMock;
  return m ? m.read(kind) : null;
}"""

PERFORM_ACTION = """([action, argsJson]) => {
  const m = window.__jivoMock;
  if (!m) throw new Error("the Jivo mock is not installed on this page (navigate first)");
  m.perform(action, argsJson);
}"""

COUNT_AT_LEAST = """([kind, name, count]) => {
  const m = window.__jivoMock;
  return !!m && m.count(kind, name) >= count;
}"""


class MockRecords:
    """What the mock keeps on the Python side, shared by :class:`JivoMock` (Playwright's sync
    API) and :class:`~jivo_widget.testing.async_controller.AsyncJivoMock` (its async API):
    the loader requests it answered, the Jivo requests it aborted, the records the page-side mock
    reported, and what a diagnosis needs. Nothing here talks to the page."""

    def __init__(
        self,
        page: Any,
        options: MockOptions | None = None,
        *,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT_MS,
    ) -> None:
        self.page = page
        self.options = options or MockOptions()
        #: Default timeout of the waits, in ms (the marker's ``wait_timeout``, the option...).
        self.wait_timeout = wait_timeout
        #: Loader URLs the page requested (answered by the mock), in order.
        self.loader_requests: list[str] = []
        #: Other Jivo URLs the page requested (aborted), in order.
        self.blocked_requests: list[str] = []
        # Uncaught errors Playwright saw, as "Name: message".
        self._web_errors: list[str] = []
        # Records the page-side mock reported through the binding, by kind then id: they
        # outlive the document that made them.
        self._reported: dict[str, dict[str, str]] = {"violation": {}, "page_error": {}}
        # For the "why did the widget not load" diagnosis:
        self._navigated_before: str | None = None  # the page's URL when the mock was installed
        self._document: tuple[str, int, str] | None = None  # last main-frame response
        self._navigation_failures: list[str] = []
        self._console_csp: list[str] = []

    def _note_install(self, url: str) -> None:
        if url not in ("", "about:blank"):
            # The fixture-ordering trap: this document (and its Jivo requests) predates the mock.
            self._navigated_before = url

    def _on_report(self, source: Any, text: str) -> None:
        try:
            record = json.loads(text)
            kept = self._reported[record["kind"]]
            kept.setdefault(str(record["id"]), str(record["message"]))
        except (TypeError, ValueError, KeyError):
            # Only the mock holds the binding's reference; anything else calling the global
            # name cannot remove records, so it is ignored.
            return

    def _on_web_error(self, web_error: Any) -> None:  # sync or async API's WebError
        error = web_error.error
        self._web_errors.append(f"{error.name}: {error.message}")

    def _on_console(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self._console_csp.append(message.text)

    def _on_response(self, response: Any) -> None:
        with contextlib.suppress(Exception):  # the frame may be gone already
            if response.request.is_navigation_request() and response.frame == self.page.main_frame:
                self._document = (response.url, response.status, response.status_text)

    def _on_request_failed(self, request: Any) -> None:
        with contextlib.suppress(Exception):
            if request.is_navigation_request() and request.frame == self.page.main_frame:
                self._navigation_failures.append(f"{request.url}: {request.failure}")

    def _loader_body(self, url: str) -> str | None:
        """The mock's answer to a routed Jivo URL: a loader's script, or ``None`` (abort)."""
        match = LOADER_URL.match(url)
        if match is None:
            self.blocked_requests.append(url)
            return None
        raw_id = match.group("id")
        if raw_id is None:
            raw_id = match.group("legacy_id")
        widget_id = None if raw_id is None else unquote(raw_id)
        self.loader_requests.append(url)
        return mock_loader_script(widget_id, self.options)

    def _merge_kept(self, kind: str, per_frame: list[list[dict[str, Any]]]) -> list[str]:
        messages = dict(self._reported[kind])
        for records in per_frame:
            for record in records:
                messages.setdefault(str(record["id"]), str(record["message"]))
        return list(messages.values())

    def _diagnosis_text(
        self,
        url: str,
        status: dict[str, Any] | None,
        csp: list[dict[str, Any]],
        page_errors: list[str],
        violations: list[str],
    ) -> str:
        """Why the widget has not loaded in the current document: one line per finding."""
        lines: list[str] = []
        if self._navigated_before:
            lines.append(
                f"the page already showed {self._navigated_before} when the jivo_mock fixture was "
                "set up: a document loaded before the fixture has no mock and its Jivo requests "
                "are not answered; request jivo_mock before any fixture that navigates (e.g. "
                "`def shop(page, jivo_mock): ...`), or navigate again after it"
            )
        if url in ("", "about:blank"):
            lines.append("the page has not navigated yet (it is about:blank): call page.goto(...)")
        elif status is None:
            lines.append(f"this document ({url}) has no Jivo mock")
        if self._document and self._document[1] >= 400:
            doc_url, code, text = self._document
            lines.append(f"the page answered HTTP {code} ({text}) for {doc_url}")
        lines += [f"navigation failed: {failure}" for failure in self._navigation_failures]
        if self.loader_requests:
            lines.append(f"Jivo loader URLs requested: {', '.join(self.loader_requests)}")
        elif url not in ("", "about:blank"):
            lines.append(
                "no Jivo loader URL was requested (is the glue in this page, is the widget "
                "enabled, did a script before it fail?)"
            )
        if self.blocked_requests:
            lines.append(
                "Jivo URLs that are not a loader were aborted: "
                + ", ".join(self.blocked_requests[:_MAX_LINES])
            )
        for event in csp[:_MAX_LINES]:
            mode = "" if event["disposition"] == "enforce" else " (report-only: not blocked)"
            lines.append(
                f"Content Security Policy blocked {event['blocked']} ({event['directive']}){mode}"
            )
        lines += [f"console: {text}" for text in self._console_csp[:_MAX_LINES]]
        if page_errors:
            lines.append("uncaught page errors: " + "; ".join(page_errors[:_MAX_LINES]))
        if violations:
            lines.append("Jivo contract violations: " + "; ".join(violations[:_MAX_LINES]))
        if status is not None and status["loaderRuns"]:
            if status["status"] == "destroyed":
                lines.append(
                    "the page destroyed the widget (jivo_destroy()) and did not call jivo_init()"
                )
            elif status["status"] == "loading":
                lines.append(
                    "the loader ran, but jivo_onLoadCallback waits for the document to be parsed "
                    f"(document.readyState is {status['readyState']!r})"
                )
        return "\n".join(f"  - {line}" for line in lines or ["nothing unusual"])


def act_payload(args: tuple[Any, ...]) -> str:
    """The arguments of an action as JSON text (Playwright's own argument passing drops
    ``"__proto__"`` keys); a ``TypeError`` for anything that is not JSON data."""
    try:
        return json.dumps(list(args), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            "jivo_mock: arguments must be JSON data (dict, list, str, int, finite float, "
            f"bool, None), as Jivo passes: {exc}"
        ) from None


def unverified_claims(token: object) -> dict[str, Any]:
    """The payload of a JWT user token, decoded without checking its signature or times (the
    test has no need of the secret: compare the claims, or verify the token with
    :class:`~jivo_widget.identity.UserTokens` where the test holds it). ``AssertionError`` when
    there is no token or it is not a JWT (it does not show the token)."""
    if token is None:
        raise AssertionError(
            "the page set no user token (no jivo_api.setUserToken call, or clearHistory() "
            "cleared it)"
        )
    try:
        claims = jwt.decode(str(token), options={"verify_signature": False})
    except jwt.DecodeError:
        raise AssertionError(
            "the user token the page set is not a JWT (a plain id? render(visitor_id=…) with "
            "the Widget's identity_secret signs one)"
        ) from None
    return dict(claims)


def problems_listing(violations: list[str], page_errors: list[str]) -> str:
    """The violations and page errors as the failure text lists them."""
    lines: list[str] = []
    if violations:
        lines.append(f"{len(violations)} Jivo contract violation(s):")
        lines += [f"  - {v}" for v in violations]
    if page_errors:
        lines.append(f"{len(page_errors)} page error(s):")
        lines += [f"  - {e}" for e in page_errors]
    return "\n".join(lines)
