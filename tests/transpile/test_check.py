"""The checker: every refused construct, with file:line:col, the construct and the way out.

Transcrypt compiles many of these silently wrong (transcrypt.md §4); each must be refused
before it reaches Transcrypt, with a message a user can act on.
"""

# ruff: noqa: E501 (one refused construct per line)

from __future__ import annotations

import textwrap
import threading

import pytest

from jivo_widget.transpile import CallbackSourceError, check_source

IMPORT = "from jivo_widget.browser import jivo_api, window, document, console, on\n"


def problems(body: str, *, wrap: bool = True) -> list[str]:
    """The checker's messages for ``body`` (inside a jivo_onLoadCallback unless wrap=False)."""
    source = IMPORT + (
        "def jivo_onLoadCallback():\n" + textwrap.indent(textwrap.dedent(body), "    ")
        if wrap
        else textwrap.dedent(body)
    )
    try:
        check_source(source, "cb.py")
    except CallbackSourceError as exc:
        return [str(p) for p in exc.problems]
    return []


# (id, body, expected "cb.py:line:col: message" prefix, wrap in a callback)
REFUSED = [
    (
        "match",
        "match x:\n    case 1:\n        pass\n",
        "cb.py:3:5: a match statement is not supported in browser callbacks; use if/elif/else",
        True,
    ),
    (
        "walrus",
        "if (n := 3) > 2:\n    pass\n",
        "cb.py:3:9: the walrus operator := is not supported in browser callbacks; assign on its own line first",
        True,
    ),
    ("class", "class A:\n    pass\n", "cb.py:2:1: a module-level a class is not supported", False),
    (
        "nested class",
        "class A:\n    pass\n",
        "cb.py:3:5: a class is not supported in browser callbacks; use functions and dicts",
        True,
    ),
    (
        "star args in call",
        "console.log(*[1, 2])\n",
        "cb.py:3:17: *args in a call is not supported in browser callbacks; pass the arguments one by one",
        True,
    ),
    (
        "star params",
        "def f(*args):\n    pass\n",
        "cb.py:3:12: *args parameters is not supported in browser callbacks; take a list or a dict argument instead",
        True,
    ),
    (
        "kwargs params",
        "def f(**kw):\n    pass\n",
        "cb.py:3:13: **kw parameters is not supported",
        True,
    ),
    (
        "keyword-only params",
        "def f(a, *, b=1):\n    pass\n",
        "cb.py:3:17: keyword-only parameters is not supported",
        True,
    ),
    (
        "keyword to jivo_api",
        'jivo_api.open(start="chat")\n',
        "cb.py:3:19: keyword arguments is not supported in browser callbacks; pass arguments by position",
        True,
    ),
    (
        "keyword to own function",
        "def f(a=1):\n    return a\nf(a=2)\n",
        "cb.py:5:7: keyword arguments is not supported",
        True,
    ),
    (
        "format spec",
        'x = f"{1.5:.2f}"\n',
        "cb.py:3:9: a format spec in an f-string is not supported in browser callbacks; format the value first",
        True,
    ),
    (
        "conversion",
        'x = f"{1!r}"\n',
        "cb.py:3:9: the !r conversion in an f-string is not supported in browser callbacks; use str(x) inside the braces",
        True,
    ),
    (
        "percent formatting",
        'x = "%s" % 1\n',
        "cb.py:3:9: %-formatting is not supported in browser callbacks; use an f-string",
        True,
    ),
    (
        "str.format",
        'x = "{}".format(1)\n',
        "cb.py:3:9: the .format() method is not supported in browser callbacks; use an f-string",
        True,
    ),
    (
        "import",
        "import json\n",
        "cb.py:2:1: import json is not supported in browser callbacks; import only browser names",
        False,
    ),
    (
        "from import",
        "from os import path\n",
        "cb.py:2:1: from os import ... is not supported in browser callbacks; import only browser names",
        False,
    ),
    (
        "import inside",
        "import json\n",
        "cb.py:3:5: import is not supported in browser callbacks",
        True,
    ),
    (
        "unknown browser name",
        "from jivo_widget.browser import navigator\n",
        "cb.py:2:33: jivo_widget.browser has no 'navigator' a callback may use",
        False,
    ),
    ("unknown global", "x = print\n", "cb.py:3:9: unknown name 'print'", True),
    ("undefined name", "x = locaton\n", "cb.py:3:9: unknown name 'locaton'", True),
    (
        "global of nothing",
        "global counter\ncounter = 1\n",
        "cb.py:3:5: global counter: there is no module-level counter",
        True,
    ),
    (
        "generator",
        "def gen():\n    yield 1\n",
        "cb.py:4:9: yield (generators) is not supported in browser callbacks; build and return a list",
        True,
    ),
    (
        "generator expression as value",
        "g = (x for x in [1])\n",
        "cb.py:3:9: a generator expression here is not supported in browser callbacks; use a list comprehension",
        True,
    ),
    (
        "in a generator",
        "x = 1 in (y for y in [1])\n",
        "cb.py:3:14: a generator expression here is not supported",
        True,
    ),
    (
        "startswith a generator",
        'x = "a".startswith(y for y in ["a"])\n',
        "cb.py:3:23: a generator expression here is not supported",
        True,
    ),
    (
        "lambda in a comprehension",
        "fs = [lambda: i for i in range(3)]\n",
        "cb.py:3:11: a lambda reading the comprehension's variable is not supported in browser "
        "callbacks; build the list with a for loop",
        True,
    ),
    (
        "any with a generator",
        "any(x for x in [1])\n",
        "cb.py:3:8: a generator expression in any() is not supported",
        True,
    ),
    ("other decorator", "import functools\n", "cb.py:2:1: import functools", False),
    (
        "decorator",
        "def deco(f):\n    return f\n@deco\ndef jivo_onOpen():\n    pass\n",
        'cb.py:4:2: this decorator is not supported in browser callbacks; only @on("callback")',
        False,
    ),
    (
        "misspelled callback",
        "def jivo_onIntroduce():\n    pass\n",
        "cb.py:2:1: jivo_onIntroduce is not a Jivo callback; did you mean jivo_onIntroduction?",
        False,
    ),
    (
        "unknown on() name",
        '@on("introduce")\ndef f():\n    pass\n',
        "cb.py:2:2: @on('introduce'): not a Jivo callback; did you mean 'Introduction'?",
        False,
    ),
    (
        "unknown widget.on() name",
        '@widget.on("introduce")\ndef f():\n    pass\n',
        "cb.py:2:2: @widget.on('introduce'): not a Jivo callback; did you mean 'Introduction'?",
        False,
    ),
    (
        "widget.on() without a name",
        "@widget.on(callback)\ndef f():\n    pass\n",
        'cb.py:2:2: write @widget.on("introduction"): one callback name as a string',
        False,
    ),
    (
        "unknown jivo_api method",
        'jivo_api.showInvitation("hi")\n',
        "cb.py:3:5: jivo_api.showInvitation is not a Jivo method; did you mean showProactiveInvitation?",
        True,
    ),
    (
        "jivo_api arity",
        "jivo_api.setUserToken()\n",
        "cb.py:3:5: jivo_api.setUserToken(token) takes 1 argument(s), 0 given",
        True,
    ),
    (
        "jivo_api too many",
        'jivo_api.close("now")\n',
        "cb.py:3:5: jivo_api.close() takes 0 argument(s), 1 given",
        True,
    ),
    (
        "jivo_api argument shape",
        'jivo_api.setCustomData({"content": "x"})\n',
        "cb.py:3:28: jivo_api.setCustomData: fields must be array [{content, title?, link?, key?}], got a dict",
        True,
    ),
    (
        "jivo_api string for object",
        'jivo_api.setContactInfo("Ann")\n',
        "cb.py:3:29: jivo_api.setContactInfo: info must be object",
        True,
    ),
    (
        "window.jivo_api shape",
        "window.jivo_api.setUserToken(42)\n",
        "cb.py:3:34: jivo_api.setUserToken: token must be string, got an int",
        True,
    ),
    (
        "callback arity",
        "def jivo_onChangeState():\n    pass\n",
        "cb.py:2:1: jivo_onChangeState handles jivo_onChangeState, which Jivo calls with (state)",
        False,
    ),
    (
        "optional callback argument",
        "def jivo_onCallEnd(res):\n    pass\n",
        "cb.py:2:1: jivo_onCallEnd handles jivo_onCallEnd, which Jivo calls with (res=None)",
        False,
    ),
    (
        "own function arity",
        "def f(a, b):\n    return a\ndef jivo_onOpen():\n    f(1)\n",
        "cb.py:5:5: f() takes 2 argument(s), 1 given",
        False,
    ),
    (
        "tuple",
        "t = (1, 2)\n",
        "cb.py:3:9: a tuple is not supported in browser callbacks; use a list",
        True,
    ),
    (
        "set",
        "s = {1, 2}\n",
        "cb.py:3:9: a set is not supported in browser callbacks; use a list or a dict",
        True,
    ),
    (
        "is with a value",
        "x = 1 is 1\n",
        "cb.py:3:9: 'is' with anything but None, True or False is not supported",
        True,
    ),
    (
        "power",
        "x = 2 ** 3\n",
        "cb.py:3:9: the ** operator is not supported in browser callbacks; multiply",
        True,
    ),
    (
        "bitwise",
        "x = 6 & 3\n",
        "cb.py:3:9: the & operator is not supported in browser callbacks; bitwise operators work on 32-bit integers",
        True,
    ),
    ("big integer", "x = 2**60\n", "cb.py:3:9: the ** operator", True),
    (
        "big literal",
        "x = 9007199254740993\n",
        "cb.py:3:9: the integer 9007199254740993 is beyond JavaScript's exact range",
        True,
    ),
    (
        "with",
        "with x:\n    pass\n",
        "cb.py:3:5: a with statement is not supported in browser callbacks; call the functions directly",
        True,
    ),
    (
        "del",
        "x = [1]\ndel x[0]\n",
        "cb.py:4:5: del is not supported in browser callbacks; assign None, or d.pop(key)",
        True,
    ),
    ("assert", "assert True\n", "cb.py:3:5: assert is not supported", True),
    (
        "for else",
        "for x in [1]:\n    pass\nelse:\n    pass\n",
        "cb.py:6:9: for ... else is not supported",
        True,
    ),
    (
        "while else",
        "while False:\n    pass\nelse:\n    pass\n",
        "cb.py:6:9: while ... else is not supported",
        True,
    ),
    (
        "try else",
        "try:\n    pass\nexcept Exception:\n    pass\nelse:\n    pass\n",
        "cb.py:8:9: try ... else is not supported",
        True,
    ),
    (
        "except unknown",
        "try:\n    pass\nexcept OSError:\n    pass\n",
        "cb.py:5:12: except OSError is not supported in browser callbacks; catch one of",
        True,
    ),
    (
        "raise from",
        "raise ValueError('x') from None\n",
        "cb.py:3:5: raise ... from ... is not supported",
        True,
    ),
    (
        "raise other",
        "raise 'x'\n",
        "cb.py:3:11: raise 'x' is not supported in browser callbacks; raise one of",
        True,
    ),
    (
        "list.sort",
        "xs = [2, 1]\nxs.sort()\n",
        "cb.py:4:5: the .sort() method is not supported in browser callbacks; use sorted(xs)",
        True,
    ),
    (
        "items as a value",
        "d = {}\nx = d.items()\n",
        "cb.py:4:9: .items() as a value is not supported in browser callbacks; iterate it",
        True,
    ),
    (
        "keys as a value",
        "d = {}\nx = d.keys()\n",
        "cb.py:4:9: .keys() as a value is not supported in browser callbacks; iterate it",
        True,
    ),
    (
        "pairs into one name",
        "for p in {}.items():\n    pass\n",
        "cb.py:3:9: iterating pairs into one name is not supported",
        True,
    ),
    (
        "zip as a value",
        "z = zip([1], [2])\n",
        "cb.py:3:9: zip() outside a for loop is not supported",
        True,
    ),
    (
        "range as a value",
        "r = range(3)\n",
        "cb.py:3:9: range() as a value is not supported in browser callbacks; use it in a for loop, or list(range(...))",
        True,
    ),
    (
        "mutable default",
        "def f(xs=[]):\n    return xs\n",
        "cb.py:3:14: a default value that is not a constant is not supported",
        True,
    ),
    ("integer-like key", 'd = {"1": 2}\n', "cb.py:3:10: dict key '1' looks like an integer", True),
    (
        "non-str key",
        "d = {1: 2}\n",
        "cb.py:3:10: dict key 1: keys are str in browser callbacks",
        True,
    ),
    ("dict unpacking", "d = {**{}}\n", "cb.py:3:12: **unpacking in a dict is not supported", True),
    (
        "reserved name",
        "new = 1\n",
        "cb.py:2:1: the name 'new' means something else in JavaScript; rename it",
        True,
    ),
    (
        "compiler name",
        "_jw_x = 1\n",
        "cb.py:2:1: the name '_jw_x' is reserved for the compiler",
        True,
    ),
    (
        "shadowing",
        "len = 3\n",
        "cb.py:2:1: assigning to 'len' hides a builtin or browser name",
        True,
    ),
    (
        "dunder attribute",
        "x = window.__proto__\n",
        "cb.py:3:9: the attribute .__proto__ is not supported",
        True,
    ),
    (
        "module code",
        "console.log(1)\n",
        "cb.py:2:1: a module-level expression statement is not supported in browser callbacks; a callbacks module holds only imports, constants and functions",
        False,
    ),
    (
        "module constant call",
        "X = len([1])\n",
        "cb.py:2:5: a call in a module-level constant is not supported",
        False,
    ),
    (
        "await outside async",
        "await x\n",
        "cb.py:3:5: await outside an async def is not supported",
        True,
    ),
    (
        "chained compare with a call",
        "x = 1 < len([]) < 3\n",
        "cb.py:3:13: a computed value in the middle of a chained comparison is not supported",
        True,
    ),
    (
        "augmented computed item",
        "xs = [[1]]\nxs[0][0] += 1\n",
        "cb.py:4:5: augmented assignment to a computed item is not supported",
        True,
    ),
    (
        "slice assignment",
        "xs = [1]\nxs[0:1] = [2]\n",
        "cb.py:4:5: assignment to a slice is not supported",
        True,
    ),
    (
        "min with key",
        "m = min([1], key=len)\n",
        "cb.py:3:18: keyword arguments is not supported",
        True,
    ),
    (
        "exception as value",
        "e = ValueError\n",
        "cb.py:3:9: ValueError as a value is not supported",
        True,
    ),
    (
        "builtin as value",
        "f = sorted\n",
        "cb.py:3:9: sorted as a value is not supported in browser callbacks; call it",
        True,
    ),
    ("syntax error", "def (:\n", "cb.py:2:5: syntax error", False),
    ("lambda star", "f = lambda *a: a\n", "cb.py:3:17: *a parameters is not supported", True),
    (
        "float isinstance set",
        "isinstance(1, set)\n",
        "cb.py:3:19: isinstance(..., set) is not supported",
        True,
    ),
]


@pytest.mark.parametrize(
    ("body", "expected", "wrap"), [pytest.param(b, e, w, id=i) for i, b, e, w in REFUSED]
)
def test_refused_with_location_construct_and_alternative(
    body: str, expected: str, wrap: bool
) -> None:
    found = problems(body, wrap=wrap)
    assert any(p.startswith(expected) for p in found), found


def test_every_problem_is_reported_at_once_in_source_order() -> None:
    found = problems("t = (1, 2)\nwhile False:\n    pass\nelse:\n    pass\nx = 2 ** 3\n")
    assert [p.split(": ", 1)[0] for p in found] == ["cb.py:3:9", "cb.py:7:9", "cb.py:8:9"]


def test_the_error_is_a_config_error_and_lists_problems() -> None:
    from jivo_widget.errors import JivoConfigError

    with pytest.raises(JivoConfigError) as caught:
        check_source(
            "def jivo_onOpen():\n    match 1:\n        case _:\n            pass\n", "x.py"
        )
    assert str(caught.value).startswith("x.py:2:5: a match statement")
    assert isinstance(caught.value, CallbackSourceError)


def test_a_lambda_run_within_its_item_may_read_the_comprehension_variable() -> None:
    assert problems("xs = [(lambda q: q + i)(1) for i in [1]]\n") == []
    assert problems("xs = [sorted([1], key=lambda q: q * i) for i in [1]]\n") == []


ACCEPTED = """
from jivo_widget.browser import jivo_api, window, document, console, localStorage, setTimeout, on

LIMIT = 3
NAMES = ["a", "b"]
CONFIG = {"key": -1.5, "flag": True, "none": None}
count = 0


def helper(a, b=2, c=None, d="x", e=-1):
    global count
    count += 1
    def inner(v):
        nonlocal a
        a = a + v
        return a
    return inner(b)


@on("change_state")
def track(state):
    if state in ("chat", "chat/min") and not state.startswith("x"):
        document.body.classList.add("open")


def jivo_onCallEnd(res=None):
    if res is not None and res.result == "fail":
        console.log(res.reason)


async def jivo_onLoadCallback():
    xs = [x * 2 for x in range(LIMIT) if x % 2 == 0]
    d = {k: v for k, v in CONFIG.items()}
    for i, name in enumerate(NAMES):
        d[name] = i
    for a, b in zip(xs, NAMES):
        xs.append(a)
    total = sum(xs) + len(d) // 2
    first, second = xs[0], xs[-1]
    try:
        value = int(localStorage.getItem("n") or "0")
    except ValueError as e:
        value = 0
        raise
    finally:
        setTimeout(lambda: console.log(total), 0)
    text = f"{first}-{second}: {value}"
    while total > 0:
        total -= 1
        if total == 2:
            break
        elif total == 5:
            continue
    jivo_api.setCustomData([{"content": text, "title": "t"}])
    jivo_api.open({"start": "chat"})
    window.jivo_api.setUserToken("t-" + str(1 < first <= 9))
    return sorted(NAMES, key=lambda n: n.lower(), reverse=True)
"""


def test_the_whole_subset_is_accepted() -> None:
    handlers = check_source(ACCEPTED, "ok.py")
    assert handlers == {
        "jivo_onChangeState": ["track"],
        "jivo_onCallEnd": ["jivo_onCallEnd"],
        "jivo_onLoadCallback": ["jivo_onLoadCallback"],
    }


class _Finalized:
    """Garbage whose finalizer runs Python code: when the collector runs it in the middle of
    one thread's parse, another thread gets the interpreter."""

    def __init__(self) -> None:
        self.cycle = self

    def __del__(self) -> None:
        total = 0
        for i in range(300):
            total += i


def test_several_threads_check_at_once() -> None:
    # CPython 3.11's AST converter counts its recursion per interpreter: without the parse lock
    # this failed every time with "SystemError: AST constructor recursion depth mismatch" (a
    # web app building Widgets in threads; the fuzzer compiling two batches at once).
    nested = "[a, {'k': [a, [b, [a, [b, [a, [b]]]]]]}, lambda x: x * 2]"
    source = IMPORT + "".join(f"def f{i}(a, b=1):\n    return {nested}\n" for i in range(40))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(6):
                for _ in range(100):
                    _Finalized()
                check_source(source, "cb.py")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_widget_on_decorates_a_handler() -> None:
    # @<widget>.on(...) (Widget.on): the function is compiled out of its app module, where
    # the widget is not one of the callbacks' names; the decorator itself is not compiled.
    source = IMPORT + '@widget.on("change_state")\ndef track(state):\n    console.log(state)\n'
    assert check_source(source, "cb.py") == {"jivo_onChangeState": ["track"]}
