"""Fixtures of the compiler's tests: the differential harness, the corpus, the fuzzer.

- ``harness``: one callbacks program run twice -- in CPython against fake_browser, compiled in
  Chromium against the mocked widget -- observing the same things on both sides: every jivo_api
  call with its arguments and result (in order), the callbacks the widget fired, console output
  (values JSON-round-tripped), window.dataLayer, the body's classes and the names of the errors
  handlers raised (window.onerror in the page).
- ``corpus_program`` (parametrized) / ``corpus``: the programs of ``data/corpus.toml``, which
  cover every construct the compiler supports; ``corpus_pages``: one browser page per set of
  mock options, shared by the corpus (a new browser context per program cost more than the
  program).
- ``fuzz_regressions``: the programs of ``data/fuzz_regressions.toml``, on which the fuzzer once
  found Chromium and CPython disagreeing.
- ``fuzzer``: the random program generator and the two evaluators of test_compiler_fuzz.py.
"""

# ruff: noqa: E501 (the generator's program templates read better one per line)

from __future__ import annotations

import json
import random
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jivo_widget.testing import JivoMock
from jivo_widget.testing.fake_browser import FakeBrowser, normalize
from jivo_widget.testing.scripts import MockOptions
from jivo_widget.transpile import CompiledCallbacks

DATA = Path(__file__).resolve().parent / "data"

# ---------------------------------------------------------------------- the corpus and regressions


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


def _load(name: str) -> dict[str, Any]:
    with (DATA / name).open("rb") as file:
        return tomllib.load(file)


CORPUS = [
    Program(
        name=entry["name"],
        source=entry["source"],
        actions=tuple(tuple(action) for action in entry.get("actions", [])),
        mock=dict(entry.get("mock", {})),
        allow_errors=entry.get("allow_errors", False),
    )
    for entry in _load("corpus.toml")["program"]
]
REGRESSIONS = [entry["source"] for entry in _load("fuzz_regressions.toml")["regression"]]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``corpus_program``: each corpus program, as its own test (named by the program)."""
    if "corpus_program" in metafunc.fixturenames:
        metafunc.parametrize("corpus_program", CORPUS, ids=[p.name for p in CORPUS])


@pytest.fixture(scope="session")
def corpus() -> list[Program]:
    """Every corpus program (data/corpus.toml)."""
    return CORPUS


@pytest.fixture(scope="session")
def fuzz_regressions() -> list[str]:
    """Every program on which the fuzzer once found a mismatch (data/fuzz_regressions.toml)."""
    return REGRESSIONS


# ---------------------------------------------------------------------- the differential harness

WIDGET_ID = "AbCdEf1234"

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
  calls: window.__jivoMock.calls,
  violations: window.__jivoMock.violations.map((v) => v.message),
  hiddenErrors: window.__jivoMock.pageErrors.map((e) => e.message),
})"""

# Two macrotask turns: timers queued with setTimeout(0) by the last action (getVisitorNumber's
# answer, the program's own setTimeout(fn, 0)) and the promises they settle have run.
_FLUSH = """() => new Promise((done) => setTimeout(() => setTimeout(done, 0), 0))"""


class Harness:
    """Runs a :class:`Program` on both sides (see the module docstring)."""

    #: Jivo's loader URL for the test widget (the mock answers it).
    LOADER = f"https://code.jivosite.com/widget/{WIDGET_ID}"
    RECORDER = RECORDER

    def page_html(self, script_url: str, head: str = "") -> str:
        return (
            '<!doctype html><html><head><meta charset="utf-8"><title>corpus</title>'
            f"{RECORDER}{head}</head><body>"
            f'<script src="{script_url}"></script><script async src="{self.LOADER}"></script>'
            "</body></html>"
        )

    def serve(self, live_server: Any, compiled: CompiledCallbacks, path: str) -> str:
        """Serve the compiled script and the page; return the page URL."""
        script = live_server.add(
            "/jivo-callbacks.js", compiled.standalone_script(), "text/javascript"
        )
        route = path.split("?", 1)[0]
        live_server.add(route, self.page_html(script))
        return str(live_server.url + path)

    def run_python(self, program: Program, url: str) -> dict[str, Any]:
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

    def run_browser(self, program: Program, mock: JivoMock, url: str) -> dict[str, Any]:
        """The compiled program in Chromium against the mock (the page is already served).

        Also returned: ``violations`` and ``hiddenErrors``, what the mock recorded for this
        document (a strict jivo_mock test fails on them).
        """
        page = mock.page
        page.goto(url)
        mock.wait_for_load()
        page.evaluate(_FLUSH)
        for action, *args in program.actions:
            if action == "fire":
                mock.fire(args[0], *args[1:])
            elif action == "visitor_introduces":
                mock.visitor_introduces(**args[0])
            else:
                getattr(mock, action)(*args)
            page.evaluate(_FLUSH)
        observed = page.evaluate(_OBSERVE)
        records = observed.pop("calls")
        return {
            **observed,
            "calls": [[r["name"], r["args"], r["result"]] for r in records],
            "callbacks": [[name, args] for name, args in mock.callbacks()],
        }


@pytest.fixture(scope="session")
def harness() -> Harness:
    """The differential harness (see the module docstring)."""
    return Harness()


class CorpusPages:
    """One page with the mocked widget per set of mock options, each in its own context.

    A program navigates the page of its options to its own URL: a new document, so a new mock,
    with the mock's records of that document only. Each test serves its pages from its own
    ``live_server`` (a new port: a new origin, so no storage is shared between programs).
    """

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self._mocks: dict[str, JivoMock] = {}
        self._contexts: list[Any] = []
        #: Uncaught page errors per options key, as the plugin's strict mode sees them.
        self.errors: dict[str, list[str]] = {}

    def mock_for(self, options: dict[str, Any]) -> tuple[JivoMock, list[str]]:
        """The mock (and its page) for ``options``, and the list collecting its page errors;
        the list is emptied for the caller."""
        key = json.dumps(options, sort_keys=True)
        if key not in self._mocks:
            context = self._browser.new_context()
            self._contexts.append(context)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))
            mock = JivoMock(page, MockOptions(**options))
            mock.install()
            self._mocks[key], self.errors[key] = mock, errors
        self.errors[key].clear()
        return self._mocks[key], self.errors[key]

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture(scope="module")
def corpus_pages(browser: Any) -> Iterator[CorpusPages]:
    """Browser pages with the mocked widget shared by a module's corpus tests."""
    pages = CorpusPages(browser)
    yield pages
    pages.close()


# ---------------------------------------------------------------------- the fuzzer
#
# Programs are typed as they are generated (int, float, str, bool, list of int/str, dict of
# str -> int, None), so they stay inside the subset's meaning: no str() of a float (float
# formatting is the documented difference), small ints (the number range is the other),
# loops that end, names used only where Python has bound them. They still raise -- IndexError,
# KeyError, ZeroDivisionError, TypeError, ValueError -- and the error's name is compared too.
#
# Each program is one ``jivo_onLoadCallback`` that appends what it computes to ``out`` and
# returns it. The browser side evaluates a whole batch in one page.

INT, FLOAT, STR, BOOL, NONE, LIST_INT, LIST_STR, DICT = (
    "int", "float", "str", "bool", "none", "list_int", "list_str", "dict",
)  # fmt: skip
VALUE_TYPES = (INT, FLOAT, STR, BOOL, LIST_INT, LIST_STR, DICT)
STRINGS = ["", "a", "b", "Ab", " x ", "a,b", "é", "🎉", "ba", "a b", "xyz", "Z"]
KEYS = ["a", "b", "c", "k", "x"]
FLOATS = ["0.5", "1.25", "-2.75", "0.1", "3.5", "-0.25"]


class ProgramGenerator:
    """Draws one program with ``draw`` (hypothesis's ``data.draw``)."""

    def __init__(self, rng: random.Random) -> None:
        # One Random seeded by hypothesis per program: uniform choices (hypothesis's own draws
        # lean towards the simplest value, which made most programs one line long) and cheap.
        self.rng = rng
        self.scope: dict[str, str] = {}
        self.frozen: set[str] = set()
        self.counter = 0
        self.loop_depth = 0

    # ------------------------------------------------------------------ choices

    def pick(self, options: list[Any]) -> Any:
        return self.rng.choice(options)

    def number(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def fresh(self) -> str:
        self.counter += 1
        return f"v{self.counter}"

    def var(self, kind: str, mutable: bool = False) -> str | None:
        names = [
            n for n, k in self.scope.items() if k == kind and not (mutable and n in self.frozen)
        ]
        return self.pick(sorted(names)) if names else None

    # ------------------------------------------------------------------ expressions

    def expr(self, kind: str, depth: int = 0) -> str:
        leaf = depth >= 2 or self.number(0, 3) == 0  # depth 9: a leaf for f-string parts
        name = self.var(kind)
        if name is not None and self.number(0, 2) == 0:
            return name
        if kind == INT:
            if leaf:
                return str(self.number(-12, 12))
            a, b = self.expr(INT, depth + 1), self.expr(INT, depth + 1)
            return self.pick(
                [
                    f"({a} + {b})", f"({a} - {b})", f"({a} * {b})", f"({a} // {b})",
                    f"({a} % {b})", f"(-{a})", f"len({self.expr(self.pick([STR, LIST_INT, LIST_STR, DICT]), depth + 1)})",
                    f"int({self.expr(FLOAT, depth + 1)})", f"{self.expr(LIST_INT, depth + 1)}[{a}]",
                    f"min({self.expr(LIST_INT, depth + 1)})", f"max({a}, {b})", f"sum({self.expr(LIST_INT, depth + 1)})",
                    f"abs({a})", f"{self.expr(LIST_INT, depth + 1)}.count({a})",
                    f"{self.expr(LIST_INT, depth + 1)}.index({a})", f"{self.expr(STR, depth + 1)}.find({self.expr(STR, depth + 1)})",
                    f"{self.expr(DICT, depth + 1)}.get({self.key(depth)}, {a})", f"{self.expr(DICT, depth + 1)}[{self.key(depth)}]",
                    f"({a} if {self.expr(BOOL, depth + 1)} else {b})", f"int({self.expr(STR, depth + 1)})",
                    f"({self.expr(LIST_INT, depth + 1)} or [{a}])[0]",
                    f"(lambda q, r=2: q * r - {b})({a})",
                    f"sorted({self.expr(LIST_INT, depth + 1)}, key=lambda q: -q)[0]",
                    f"{self.expr(STR, depth + 1)}.count({self.expr(STR, depth + 1)})",
                ]
            )  # fmt: skip
        if kind == FLOAT:
            if leaf:
                return self.pick(FLOATS)
            a, b = self.expr(FLOAT, depth + 1), self.expr(self.pick([FLOAT, INT]), depth + 1)
            return self.pick(
                [f"({a} + {b})", f"({a} - {b})", f"({a} * {b})", f"({a} / {b})", f"({a} // {b})",
                 f"({a} % {b})", f"float({self.expr(INT, depth + 1)})", f"(-{a})", f"abs({a})"]
            )  # fmt: skip
        if kind == STR:
            if leaf:
                return json.dumps(self.pick(STRINGS), ensure_ascii=False)
            a, b = self.expr(STR, depth + 1), self.expr(STR, depth + 1)
            i, j = self.expr(INT, depth + 1), self.expr(INT, depth + 1)
            return self.pick(
                [
                    f"({a} + {b})", f"({a} * {self.number(0, 3)})", f"{a}.upper()", f"{a}.lower()",
                    f"{a}.strip()", f"{a}.replace({b}, {self.expr(STR, depth + 1)})", f"{a}[{i}]",
                    f"{a}[{i}:{j}]", f"{a}[::{self.pick(['-1', '2', '-2'])}]",
                    f"str({self.expr(self.pick([INT, BOOL, NONE, LIST_INT, LIST_STR, DICT, STR]), depth + 1)})",
                    f"f'<{{{self.expr(INT, 9)}}}|{{{self.expr(STR, 9)}}}|{{{self.expr(BOOL, 9)}}}>'",
                    f"{json.dumps(self.pick([',', '', '-', ' ']))}.join({self.expr(LIST_STR, depth + 1)})",
                    f"({a} if {self.expr(BOOL, depth + 1)} else {b})", f"({a} or {b})",
                    f"min({a}, {b})", f"sorted({self.expr(LIST_STR, depth + 1)})[0]",
                    f"{a}.rstrip()", f"{a}.lstrip({json.dumps(self.pick(['a', ' ', 'xz']))})",
                    f"{a}.split({json.dumps(self.pick([',', ' ']))}, 1)[-1]",
                    f"({a} + {b})[1:]",
                ]
            )  # fmt: skip
        if kind == BOOL:
            if leaf:
                return self.pick(["True", "False"])
            t = self.pick([INT, STR, LIST_INT])
            a, b = self.expr(t, depth + 1), self.expr(t, depth + 1)
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
            return self.pick(
                [
                    f"({a} {op} {b})", f"({self.expr(INT, depth + 1)} in {self.expr(LIST_INT, depth + 1)})",
                    f"({self.expr(STR, depth + 1)} in {self.expr(STR, depth + 1)})",
                    f"({self.key(depth)} not in {self.expr(DICT, depth + 1)})",
                    f"(not {self.expr(self.pick(VALUE_TYPES), depth + 1)})",
                    f"({self.expr(BOOL, depth + 1)} and {self.expr(BOOL, depth + 1)})",
                    f"({self.expr(BOOL, depth + 1)} or {self.expr(BOOL, depth + 1)})",
                    f"bool({self.expr(self.pick(VALUE_TYPES), depth + 1)})",
                    f"isinstance({self.expr(self.pick([INT, STR, BOOL, LIST_INT, DICT, NONE]), depth + 1)}, "
                    f"{self.pick(['int', 'str', 'bool', 'list', 'dict', '(int, str)'])})",
                    f"any({self.expr(LIST_INT, depth + 1)})", f"all({self.expr(LIST_STR, depth + 1)})",
                    f"{self.expr(STR, depth + 1)}.startswith({self.expr(STR, depth + 1)})",
                    f"({self.expr(self.pick([LIST_INT, DICT, FLOAT]), depth + 1)} == "
                    f"{self.expr(self.pick([LIST_INT, DICT, INT]), depth + 1)})",
                    f"({self.var(self.pick(VALUE_TYPES)) or 'None'} is None)",
                    f"({self.expr(INT, depth + 1)} < {self.var(INT) or self.number(-3, 3)} <= {b if t == INT else 0})",
                ]
            )  # fmt: skip
        if kind == NONE:
            return "None"
        if kind == LIST_INT:
            if leaf:
                return (
                    "[" + ", ".join(str(self.number(-9, 9)) for _ in range(self.number(0, 4))) + "]"
                )
            a, b = self.expr(LIST_INT, depth + 1), self.expr(LIST_INT, depth + 1)
            x = self.fresh()
            inner = dict(self.scope)
            self.scope[x] = INT
            try:
                element, condition = self.expr(INT, depth + 1), self.expr(BOOL, depth + 1)
            finally:
                self.scope = inner
            return self.pick(
                [
                    f"({a} + {b})", f"({a} * {self.number(0, 2)})", f"{a}[{self.expr(INT, depth + 1)}:]",
                    f"{a}[::-1]", f"sorted({a})", f"sorted({a}, reverse=True)",
                    f"[{element} for {x} in {a} if {condition}]",
                    f"list(range({self.expr(INT, depth + 1)}, {self.number(-6, 6)}, {self.pick([1, 2, -1, -3])}))",
                    f"[len({x}) for {x} in {self.expr(LIST_STR, depth + 1)}]",
                    f"list({self.expr(DICT, depth + 1)}.values())", f"({a} or {b})",
                ]
            )  # fmt: skip
        if kind == LIST_STR:
            if leaf:
                items = [
                    json.dumps(self.pick(STRINGS), ensure_ascii=False)
                    for _ in range(self.number(0, 3))
                ]
                return "[" + ", ".join(items) + "]"
            s = self.expr(STR, depth + 1)
            return self.pick(
                [
                    f"{s}.split({json.dumps(self.pick([',', ' ', 'a']))})", f"{s}.split()",
                    f"sorted({self.expr(LIST_STR, depth + 1)})", f"list({self.expr(DICT, depth + 1)}.keys())",
                    f"list({s})", f"[{s}] + {self.expr(LIST_STR, depth + 1)}",
                    f"{self.expr(LIST_STR, depth + 1)}[{self.expr(INT, depth + 1)}:]",
                ]
            )  # fmt: skip
        if kind == DICT:
            if leaf:
                keys = sorted({self.pick(KEYS) for _ in range(self.number(0, 3))})
                return "{" + ", ".join(f'"{k}": {self.number(-5, 5)}' for k in keys) + "}"
            x = self.fresh()
            return self.pick(
                [
                    f"{{{x}: len({x}) for {x} in {json.dumps(sorted({self.pick(KEYS), self.pick(KEYS)}))}}}",
                    f'{{"k": {self.expr(INT, depth + 1)}, "z": {self.expr(INT, depth + 1)}}}',
                ]
            )
        raise AssertionError(kind)

    def key(self, depth: int) -> str:
        # Only letters: a digit-only key is the one dict difference (refused loudly in JS).
        return json.dumps(self.pick(KEYS))

    # ------------------------------------------------------------------ statements

    def statements(self, indent: int, count: int) -> list[str]:
        lines: list[str] = []
        for _ in range(count):
            lines += self.statement(indent)
        return lines or [" " * indent + "pass"]

    def statement(self, indent: int) -> list[str]:
        pad = " " * indent
        choice = self.number(0, 12)
        nested = indent < 12
        if choice <= 1:
            kind = self.pick(list(VALUE_TYPES))
            value = self.expr(kind)
            name = self.var(kind, mutable=True) if self.number(0, 2) == 0 else None
            name = name or self.fresh()
            self.scope[name] = kind
            return [f"{pad}{name} = {value}"]
        if choice <= 4:  # out.append: what the program computes is what gets compared
            if self.number(0, 5) == 0:  # `or`/`and` between unlike values: no static type
                a = self.expr(self.pick(list(VALUE_TYPES)))
                b = self.expr(self.pick(list(VALUE_TYPES)))
                return [f"{pad}out.append({a} {self.pick(['or', 'and'])} {b})"]
            if self.number(0, 6) == 0:
                kind = self.pick([INT, STR, LIST_INT])
                first, second = self.var(kind, mutable=True), self.var(kind, mutable=True)
                if first and second:
                    return [f"{pad}{first}, {second} = {second}, {first}"]
            return [f"{pad}out.append({self.expr(self.pick([*VALUE_TYPES, NONE]))})"]
        if choice == 5:
            target = self.var(LIST_INT, mutable=True)
            if target is None:
                return [f"{pad}out.append({self.expr(INT)})"]
            return [
                self.pick(
                    [
                        f"{pad}{target}.append({self.expr(INT)})", f"{pad}{target}.extend({self.expr(LIST_INT)})",
                        f"{pad}{target}.insert({self.expr(INT)}, {self.expr(INT)})",
                        f"{pad}{target}[{self.expr(INT)}] = {self.expr(INT)}", f"{pad}{target} += {self.expr(LIST_INT)}",
                        f"{pad}out.append({target}.pop())", f"{pad}{target}.remove({self.expr(INT)})",
                    ]
                )
            ]  # fmt: skip
        if choice == 6:
            target = self.var(DICT, mutable=True)
            if target is None:
                return [f"{pad}out.append({self.expr(DICT)})"]
            return [
                self.pick(
                    [f"{pad}{target}[{self.key(0)}] = {self.expr(INT)}", f"{pad}{target}.update({self.expr(DICT)})",
                     f"{pad}out.append({target}.pop({self.key(0)}, None))"]
                )
            ]  # fmt: skip
        if choice == 7:
            target = self.var(self.pick([INT, STR]), mutable=True)
            if target is None:
                return [f"{pad}out.append({self.expr(STR)})"]
            kind = self.scope[target]
            op = self.pick(["+=", "-=", "*=", "//=", "%="]) if kind == INT else "+="
            return [f"{pad}{target} {op} {self.expr(kind)}"]
        if choice == 8 and nested:
            saved = dict(self.scope)
            lines = [f"{pad}if {self.expr(BOOL)}:", *self.statements(indent + 4, self.number(1, 3))]
            self.scope = dict(saved)
            if self.number(0, 1):
                lines += [f"{pad}else:", *self.statements(indent + 4, self.number(1, 2))]
            self.scope = saved
            return lines
        if choice == 9 and nested:
            saved, frozen = dict(self.scope), set(self.frozen)
            x = self.fresh()
            source_kind = self.pick([LIST_INT, LIST_STR, STR, DICT])
            iterable = self.expr(source_kind)
            if iterable in self.scope:
                # A copy: the body may grow an alias of the list, and the loop must end.
                iterable = f"list({iterable})"
            self.scope[x] = {LIST_INT: INT, LIST_STR: STR, STR: STR, DICT: STR}[source_kind]
            self.loop_depth += 1
            body = self.statements(indent + 4, self.number(1, 3))
            self.loop_depth -= 1
            self.scope, self.frozen = saved, frozen
            return [f"{pad}for {x} in {iterable}:", *body]
        if choice == 10 and nested:
            saved = dict(self.scope)
            i = self.fresh()
            self.loop_depth += 1
            body = self.statements(indent + 4, self.number(1, 3))
            self.loop_depth -= 1
            self.scope = saved
            return [
                f"{pad}{i} = 0",
                f"{pad}while {i} < {self.number(0, 4)}:",
                f"{pad}    {i} += 1",
                *body,
            ]
        if choice == 12 and nested:
            return _closure(self, indent)
        if choice == 11 and nested and self.number(0, 1):
            return _pair_loop(self, indent)
        if choice == 11 and self.loop_depth and self.number(0, 1):
            return [f"{pad}if {self.expr(BOOL)}:", f"{pad}    {self.pick(['break', 'continue'])}"]
        if nested:
            saved = dict(self.scope)
            body = self.statements(indent + 4, self.number(1, 2))
            self.scope = saved
            kinds = self.pick(
                [
                    "Exception",
                    "(IndexError, KeyError)",
                    "ZeroDivisionError",
                    "ValueError",
                    "TypeError",
                ]
            )
            return [
                f"{pad}try:", *body, f"{pad}except {kinds} as e:",
                f"{pad}    out.append(\"caught\")", f"{pad}finally:", f"{pad}    out.append(\"finally\")",
            ]  # fmt: skip
        return [f"{pad}out.append({self.expr(INT)})"]


def _pair_loop(self: ProgramGenerator, indent: int) -> list[str]:
    """for i, x in enumerate(...) / for k, v in d.items() / for a, b in zip(...)."""
    pad = " " * indent
    saved = dict(self.scope)
    first, second = self.fresh(), self.fresh()
    form = self.number(0, 2)
    if form == 0:
        header = f"for {first}, {second} in enumerate({self.expr(LIST_STR)}):"
        self.scope.update({first: INT, second: STR})
    elif form == 1:
        header = f"for {first}, {second} in {self.expr(DICT)}.items():"
        self.scope.update({first: STR, second: INT})
    else:
        header = f"for {first}, {second} in zip({self.expr(LIST_INT)}, {self.expr(STR)}):"
        self.scope.update({first: INT, second: STR})
    self.loop_depth += 1
    body = self.statements(indent + 4, self.number(1, 2))
    self.loop_depth -= 1
    self.scope = saved
    return [f"{pad}{header}", *body]


def _closure(self: ProgramGenerator, indent: int) -> list[str]:
    """A nested function with a default argument and a nonlocal counter, called twice."""
    pad = " " * indent
    name, count, a, b = self.fresh(), self.fresh(), self.fresh(), self.fresh()
    saved = dict(self.scope)
    self.scope.update({a: INT, b: INT})
    result = self.expr(INT, 1)
    self.scope = saved
    default = self.number(-3, 3)
    return [
        f"{pad}{count} = 0",
        f"{pad}def {name}({a}, {b}={default}):",
        f"{pad}    nonlocal {count}" if indent > 4 else f"{pad}    pass",
        *([f"{pad}    {count} += 1"] if indent > 4 else []),
        f"{pad}    return {result}",
        f"{pad}out.append([{name}({self.expr(INT, 1)}), {name}({self.expr(INT, 1)}, {self.expr(INT, 1)}), {count}])",
    ]


def program_from(rng: random.Random) -> str:
    """One random program in the accepted subset."""
    generator = ProgramGenerator(rng)
    body = generator.statements(4, generator.number(3, 9))
    lines = ["def jivo_onLoadCallback():", "    out = []", *body, "    return out", ""]
    return "\n".join(lines)


_RUN = """
const run = (make) => {
  try {
    const value = make().jivo_onLoadCallback[0]();
    return {ok: JSON.parse(JSON.stringify(value === undefined ? null : value))};
  } catch (error) {
    return {error: (error && error.name) || String(error)};
  }
};
"""


class Fuzzer:
    """The generator and the two evaluators."""

    @staticmethod
    def program_from(rng: random.Random) -> str:
        """One random program in the accepted subset."""
        return program_from(rng)

    @staticmethod
    def run_in_python(source: str) -> Any:
        """The program's result in CPython: ``{"ok": value}`` or ``{"error": ExceptionName}``."""
        namespace: dict[str, Any] = {}
        try:
            exec(compile(source, "<fuzz>", "exec"), namespace)
            return {"ok": normalize(namespace["jivo_onLoadCallback"]())}
        except Exception as exc:
            return {"error": type(exc).__name__}

    @staticmethod
    def batch_script(compiled: list[CompiledCallbacks]) -> str:
        """One JS expression evaluating every compiled program: the list of their outcomes."""
        runs = ",\n".join(f"run(() => {c.expression})" for c in compiled)
        return f"(() => {{{_RUN}\nreturn [\n{runs}\n];\n}})()"


@pytest.fixture(scope="session")
def fuzzer() -> Fuzzer:
    """The fuzzer's generator and evaluators."""
    return Fuzzer()
