"""Run one callbacks program twice -- in CPython against fake_browser, compiled in Chromium
against the jivo_mock widget -- and observe the same things on both sides.

What is observed: every jivo_api call with its arguments and result (in order), the callbacks
the widget fired, console output (values JSON-round-tripped), window.dataLayer, the body's
classes and the names of the errors handlers raised (window.onerror in the page).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jivo_widget.testing import JivoMock
from jivo_widget.testing.fake_browser import FakeBrowser, normalize
from jivo_widget.transpile import CompiledCallbacks

WIDGET_ID = "AbCdEf1234"
LOADER = f"https://code.jivosite.com/widget/{WIDGET_ID}"

# Installed before anything else on the page: records console calls and reported errors.
RECORDER = """<script>
window.__log = [];
["log", "info", "warn", "error"].forEach(function (level) {
  var original = console[level];
  console[level] = function () {
    var args = Array.prototype.slice.call(arguments);
    window.__log.push([level, JSON.parse(JSON.stringify(args, function (k, v) {
      return typeof v === "function" ? "[function]" : v === undefined ? null : v;
    }))]);
    return original.apply(console, arguments);
  };
});
window.__errors = [];
window.addEventListener("error", function (event) {
  window.__errors.push(event.error && event.error.name ? event.error.name : "Error");
});
window.dataLayer = [];
</script>"""

_OBSERVE = """() => ({
  log: window.__log,
  errors: window.__errors,
  dataLayer: JSON.parse(JSON.stringify(window.dataLayer)),
  bodyClass: document.body.className,
})"""

# Two macrotask turns: timers queued with setTimeout(0) by the last action (getVisitorNumber's
# answer, the program's own setTimeout(fn, 0)) and the promises they settle have run.
_FLUSH = """() => new Promise((done) => setTimeout(() => setTimeout(done, 0), 0))"""


@dataclass(frozen=True)
class Program:
    """A callbacks module and what happens to the page after it loads."""

    name: str
    source: str
    #: (action, *args) run after jivo_onLoadCallback: "fire" or a visitor/agent action.
    actions: tuple[tuple[Any, ...], ...] = ()
    path: str = "/shop/pricing?utm_source=news"
    mock: dict[str, Any] = field(default_factory=dict)
    #: The program's handlers raise on purpose (the page reports the errors).
    allow_errors: bool = False


def page_html(script_url: str, head: str = "") -> str:
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>corpus</title>'
        f"{RECORDER}{head}</head><body>"
        f'<script src="{script_url}"></script><script async src="{LOADER}"></script>'
        "</body></html>"
    )


def run_python(program: Program, url: str) -> dict[str, Any]:
    """The program in CPython against fake_browser."""
    browser = FakeBrowser(url=url, title="corpus", page={"dataLayer": []}, **program.mock)
    browser.load_source(program.source, "corpus.py")
    browser.fire("jivo_onLoadCallback", raise_errors=False)
    for action, *args in program.actions:
        if action == "fire":
            browser.fire(args[0], *args[1:], raise_errors=False)
        elif action == "visitor_introduces":
            browser.visitor_introduces(**args[0])
        else:
            getattr(browser, action)(*args)
        browser.run_timers()
    return {
        "calls": [[r["name"], r["args"], r["result"]] for r in browser.records],
        "callbacks": [[name, args] for name, args in browser.fired],
        "log": [[level, values] for level, values in browser.console.records],
        "errors": [type(e).__name__ for e in browser.errors],
        "dataLayer": normalize(browser.window.dataLayer),
        "bodyClass": browser.document.body.className,
    }


def run_browser(program: Program, page: Any, jivo_mock: JivoMock, url: str) -> dict[str, Any]:
    """The compiled program in Chromium against the mock (the page is already served)."""
    page.goto(url)
    jivo_mock.wait_for_load()
    page.evaluate(_FLUSH)
    for action, *args in program.actions:
        if action == "fire":
            jivo_mock.fire(args[0], *args[1:])
        elif action == "visitor_introduces":
            jivo_mock.visitor_introduces(**args[0])
        else:
            getattr(jivo_mock, action)(*args)
        page.evaluate(_FLUSH)
    observed = page.evaluate(_OBSERVE)
    records = page.evaluate("() => window.__jivoMock.calls")
    return {
        "calls": [[r["name"], r["args"], r["result"]] for r in records],
        "callbacks": [[name, args] for name, args in jivo_mock.callbacks()],
        "log": observed["log"],
        "errors": observed["errors"],
        "dataLayer": observed["dataLayer"],
        "bodyClass": observed["bodyClass"],
    }


def serve(live_server: Any, compiled: CompiledCallbacks, path: str) -> str:
    """Serve the compiled script and the page; return the page URL."""
    script = live_server.add("/jivo-callbacks.js", compiled.standalone_script(), "text/javascript")
    route = path.split("?", 1)[0]
    live_server.add(route, page_html(script))
    return live_server.url + path
