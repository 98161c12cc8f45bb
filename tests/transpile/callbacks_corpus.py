"""The corpus: callback programs covering every construct of issue 8 item 1.

Each program reports what it computes through console.log and the browser APIs; the corpus
test runs it in CPython (fake_browser) and compiled in Chromium (jivo_mock) and compares.
"""

from __future__ import annotations

from callbacks_harness import Program

HEADER = "from jivo_widget.browser import jivo_api, window, document, console, localStorage\n"


def program(
    name: str, body: str, *actions: tuple[object, ...], allow_errors: bool = False, **mock: object
) -> Program:
    return Program(name, HEADER + body, tuple(actions), mock=dict(mock), allow_errors=allow_errors)


CORPUS = [
    program(
        "issue_example",
        """
def jivo_onIntroduction():
    info = jivo_api.getContactInfo()
    window.dataLayer.push({"event": "jivo_lead", "name": info.client_name, "email": info.email})

def jivo_onChangeState(state):
    if state in ("chat", "chat/min"):
        document.body.classList.add("jivo-open")
    else:
        document.body.classList.remove("jivo-open")

def jivo_onLoadCallback():
    if window.location.pathname.startswith("/shop"):
        jivo_api.showProactiveInvitation("Questions about plans?")
""",
        ("visitor_introduces", {"name": "Ann", "email": "ann@example.com"}),
        ("visitor_closes_chat",),
    ),
    program(
        "if_elif_else",
        """
def grade(n):
    if n > 90:
        return "a"
    elif n > 50:
        return "b"
    elif n == 50:
        return "c"
    else:
        return "d"

def jivo_onLoadCallback():
    console.log([grade(n) for n in [95, 60, 50, 10]])
""",
    ),
    program(
        "chained_comparisons",
        """
def jivo_onLoadCallback():
    out = []
    for x in [0, 1, 5, 9, 10]:
        out.append(1 <= x < 9)
        out.append(0 < x <= 9 != x)
    console.log(out, "a" < "b" < "c", [1, 2] < [1, 3], [1] < [1, 0])
""",
    ),
    program(
        "and_or_not_values",
        """
def jivo_onLoadCallback():
    console.log([] or "empty", "x" or "y", 0 and 1, 5 and 0, None or {}, {} or [1])
    console.log(not [], not {}, not "", not 0, not "a", not [0])
    name = None
    console.log(name or "anonymous", (name and name.upper()) or "?")
""",
    ),
    program(
        "for_over_list_and_string",
        """
def jivo_onLoadCallback():
    total = 0
    for n in [3, 4, 5]:
        total += n
    letters = []
    for ch in "héllo":
        letters.append(ch.upper())
    console.log(total, letters)
""",
    ),
    program(
        "for_range",
        """
def jivo_onLoadCallback():
    a = []
    for i in range(4):
        a.append(i)
    for i in range(10, 0, -3):
        a.append(i)
    n = len(a)
    for i in range(1, n, 2):
        a.append(-i)
    for i in range(0):
        a.append("never")
    console.log(a, list(range(2, 8, 2)), 3 in range(5))
""",
    ),
    program(
        "for_dict_items_keys_values",
        """
def jivo_onLoadCallback():
    d = {"b": 1, "a": 2, "c": 3}
    pairs = []
    for k, v in d.items():
        pairs.append(k + "=" + str(v))
    for k in d:
        pairs.append(k)
    console.log(pairs, list(d.keys()), sorted(d.values()), len(d))
""",
    ),
    program(
        "while_break_continue",
        """
def jivo_onLoadCallback():
    i = 0
    seen = []
    while True:
        i += 1
        if i % 2 == 0:
            continue
        if i > 9:
            break
        seen.append(i)
    console.log(seen, i)
""",
    ),
    program(
        "early_return_and_nested_functions",
        """
def first_even(xs):
    for x in xs:
        if x % 2 == 0:
            return x
    return None

def jivo_onLoadCallback():
    def double(v):
        return v * 2
    console.log(first_even([1, 3, 4, 6]), first_even([1]), double(21))
""",
    ),
    program(
        "lambdas_and_closures",
        """
def counter():
    count = 0
    def step():
        nonlocal count
        count += 1
        return count
    return step

def jivo_onLoadCallback():
    step = counter()
    step()
    step()
    square = lambda x: x * x
    add = lambda a, b=10: a + b
    console.log(step(), square(7), add(1), add(1, 2))
""",
    ),
    program(
        "default_arguments",
        """
def label(text, prefix="#", count=1, sep=None):
    if sep is None:
        sep = ":"
    return prefix * count + sep + text

def jivo_onLoadCallback():
    console.log(label("a"), label("b", "!"), label("c", "-", 3), label("d", "", 0, "|"))
""",
    ),
    program(
        "string_concatenation_and_fstrings",
        """
def jivo_onLoadCallback():
    name = "Ann"
    n = 3
    price = 2.5
    s = "Hello, " + name + "!"
    f = f"{name} has {n} items at {price} each: {n * price}; none={None} flag={True}"
    f += f" list={[1, 'a']}"
    console.log(s, f, f"{{literal}}", f"")
""",
    ),
    program(
        "floor_division_and_modulo_negatives",
        """
def jivo_onLoadCallback():
    out = []
    for a in [7, -7, 0, 13]:
        for b in [3, -3, 5]:
            out.append([a // b, a % b])
    console.log(out, 7.5 // 2, -7.5 % 2, 10 / 4, -9 // 2)
""",
    ),
    program(
        "literals",
        """
ITEMS = [1, 2.5, "three", None, True, [4], {"five": 5}]

def jivo_onLoadCallback():
    console.log(ITEMS, {"nested": {"deep": [1, {"x": None}]}}, "", [], {})
""",
    ),
    program(
        "negative_indices_and_slicing",
        """
def jivo_onLoadCallback():
    xs = [10, 20, 30, 40, 50]
    s = "abcdef"
    console.log(xs[-1], xs[-5], s[-2], xs[1:3], xs[:-2], xs[::2], xs[::-1], xs[-2:], xs[10:])
    console.log(s[::-1], s[1:-1], s[-100:2], xs[3:1], xs[4:0:-2])
""",
    ),
    program(
        "index_errors",
        """
def jivo_onLoadCallback():
    xs = [1, 2]
    try:
        console.log(xs[2])
    except IndexError as e:
        console.log("index", str(e))
    try:
        console.log({"a": 1}["b"])
    except KeyError:
        console.log("key")
    try:
        console.log([][-1])
    except LookupError:
        console.log("lookup")
""",
    ),
    program(
        "membership",
        """
def jivo_onLoadCallback():
    xs = [1, [2], "3"]
    d = {"k": 0}
    console.log(1 in xs, [2] in xs, 3 in xs, "3" in xs, "ell" in "hello", "" in "x")
    console.log("k" in d, "v" not in d, 0 not in xs, True in [1], "toString" in d)
""",
    ),
    program(
        "none_and_undefined",
        """
def jivo_onLoadCallback():
    info = jivo_api.getContactInfo()
    missing = window.notDefinedByThePage
    console.log(info.client_name is None, info.unknownField is None, missing is None)
    console.log(missing is not None, window.location is not None, info.email == None)
""",
    ),
    program(
        "truthiness",
        """
def describe(x):
    if x:
        return "yes"
    return "no"

def jivo_onLoadCallback():
    values = [[], {}, "", 0, 0.0, None, [0], {"a": 0}, " ", -1, False, True]
    console.log([describe(v) for v in values])
    n = 0
    while [1][n:]:
        n += 1
    console.log(n, "t" if {} else "f", bool([]), bool({"a": 1}))
""",
    ),
    program(
        "conversions",
        """
def jivo_onLoadCallback():
    console.log(len("héllo"), len([1, 2]), len({"a": 1}), str(42), str(None), str(True))
    console.log(str([1, "x"]))
    console.log(int("  42 "), int(-3.7), int(True), float("1.5"), float(" -2 "), bool(0), bool("0"))
    console.log(str(0.1), str(1.5e-7), str(2.5), str({"a": [1, None]}), str("it's"))
""",
    ),
    program(
        "conversion_errors",
        """
def jivo_onLoadCallback():
    for text in ["12a", "", "1.5", "0x10"]:
        try:
            console.log(int(text))
        except ValueError:
            console.log("bad int", text)
    try:
        float("abc")
    except ValueError as e:
        console.log(str(e))
""",
    ),
    program(
        "min_max_sum_sorted",
        """
def jivo_onLoadCallback():
    xs = [5, 3, 9, 1]
    words = ["pear", "Apple", "fig", "apple"]
    console.log(min(xs), max(xs), min(4, 2, 8), max("a", "b"), sum(xs), sum([0.5, 0.25], 1))
    console.log(sorted(xs), sorted(xs, reverse=True), sorted(words), sorted(words, key=len))
    console.log(sorted(words, key=lambda w: w.lower()), sorted([[2, "b"], [1, "z"], [2, "a"]]))
""",
    ),
    program(
        "any_all",
        """
def jivo_onLoadCallback():
    console.log(any([]), all([]), any([0, "", None]), any([0, 1]), all([1, "a", [0]]), all([1, 0]))
    console.log(any([x > 3 for x in [1, 5]]), all([x % 2 == 1 for x in [1, 3, 5]]))
""",
    ),
    program(
        "enumerate_zip",
        """
def jivo_onLoadCallback():
    out = []
    for i, name in enumerate(["a", "b"]):
        out.append(str(i) + name)
    for i, name in enumerate(["c"], 5):
        out.append(str(i) + name)
    for a, b in zip([1, 2, 3], "xy"):
        out.append(str(a) + b)
    console.log(out, [i * x for i, x in enumerate([3, 4])])
""",
    ),
    program(
        "isinstance_builtins",
        """
def kind(x):
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int):
        return "int"
    if isinstance(x, str):
        return "str"
    if isinstance(x, list):
        return "list"
    if isinstance(x, dict):
        return "dict"
    if isinstance(x, float):
        return "float"
    return "other"

def jivo_onLoadCallback():
    console.log([kind(v) for v in [True, 3, "s", [1], {"a": 1}, 2.5, None]])
    console.log(isinstance(3, (str, int)), isinstance("x", (list, dict)))
""",
    ),
    program(
        "list_methods",
        """
def jivo_onLoadCallback():
    xs = [1, 2, 3]
    xs.append(4)
    xs.extend([5, 6])
    xs.insert(0, 0)
    xs.insert(-1, 55)
    xs.insert(100, 99)
    last = xs.pop()
    first = xs.pop(0)
    xs.remove(55)
    console.log(xs, last, first, xs.index(3), xs.count(2), [1, 1, 2].count(1))
    try:
        xs.index(42)
    except ValueError:
        console.log("not there")
    try:
        [].pop()
    except IndexError as e:
        console.log(str(e))
""",
    ),
    program(
        "string_methods",
        """
def jivo_onLoadCallback():
    s = "  Hello, World  "
    console.log(s.strip(), s.lstrip(), s.rstrip(), "xxhixx".strip("x"), s.lower(), s.upper())
    console.log("a,b,,c".split(","), " a  b c ".split(), "a b c".split(None, 1))
    console.log("a-b-c".split("-", 1), "a b  c ".split(maxsplit=1), "x=y=z".split(sep="="))
    console.log("-".join(["a", "b"]), "".join([]), "aaa".replace("a", "b"))
    console.log("aaa".replace("a", "", 2))
    console.log("hello".startswith("he"), "hello".endswith(("lo", "x")))
    console.log("abc".find("c"), "abc".find("z"))
    console.log("banana".count("an"), "banana".index("n"), "ab".replace("", "-"))
""",
    ),
    program(
        "dict_methods",
        """
def jivo_onLoadCallback():
    d = {"a": 1}
    d["b"] = 2
    d.update({"c": 3, "a": 10})
    console.log(d.get("a"), d.get("z"), d.get("z", 0), d.pop("b"), d.pop("zz", "none"), d)
    keys = []
    for k in d.keys():
        keys.append(k)
    console.log(keys, [v for v in d.values()], "a" in d.keys())
    d.clear()
    console.log(d, len(d))
""",
    ),
    program(
        "try_except_finally_raise",
        """
def risky(n):
    if n < 0:
        raise ValueError("negative: " + str(n))
    return n

def jivo_onLoadCallback():
    log = []
    for n in [1, -2]:
        try:
            log.append(risky(n))
        except ValueError as e:
            log.append("caught " + str(e))
        finally:
            log.append("finally")
    try:
        try:
            raise KeyError("k")
        except KeyError:
            log.append("inner")
            raise
    except Exception as e:
        log.append("outer")
    try:
        1 / 0
    except ZeroDivisionError as e:
        log.append(str(e))
    console.log(log)
""",
    ),
    program(
        "handler_error_reaches_onerror_others_still_run",
        """
from jivo_widget.browser import on

@on("open")
def breaks():
    raise ValueError("boom")

@on("open")
def still_runs():
    console.log("second handler ran")
""",
        ("visitor_opens_chat",),
        allow_errors=True,
    ),
    program(
        "async_await",
        """
async def later(x):
    return x * 2

async def jivo_onLoadCallback():
    a = await later(21)
    console.log("async", a)
""",
    ),
    program(
        "comprehensions",
        """
def jivo_onLoadCallback():
    xs = [1, 2, 3, 4]
    console.log([x * x for x in xs if x % 2 == 0], {"n" + str(x): x > 2 for x in xs})
    console.log([[a, b] for a in "ab" for b in [1, 2] if b != a], [c for c in "xyz"])
    pairs = {"a": 1, "b": 2}
    console.log({k + "!": v * 10 for k, v in pairs.items()}, [k for k in pairs])
""",
    ),
    program(
        "module_constants_and_global",
        """
GREETING = "hi"
LIMITS = {"max": 3}
count = 0

def bump():
    global count
    count += 1
    return count

def jivo_onLoadCallback():
    bump()
    bump()
    console.log(GREETING, LIMITS["max"], bump())
""",
    ),
    program(
        "contact_info_and_identity",
        """
def jivo_onLoadCallback():
    jivo_api.setContactInfo({"name": "Ann", "email": "ann@example.com"})
    info = jivo_api.getContactInfo()
    console.log(info.client_name, info.email, info.phone)
    jivo_api.setUserToken("token-" + info.client_name.lower())
    jivo_api.setCustomData([{"title": "Plan", "content": "pro"}])
""",
    ),
    program(
        "visitor_number_callback",
        """
def got(err, number):
    console.log("number", err, number)

def jivo_onLoadCallback():
    jivo_api.getVisitorNumber(got)
    jivo_api.isCallbackEnabled(lambda res: console.log("enabled", res.result))
""",
    ),
    program(
        "visitor_number_error",
        """
def jivo_onLoadCallback():
    jivo_api.getVisitorNumber(lambda err, n: console.log(err, n is None))
""",
        visitor_number_error="no visitor yet",
    ),
    program(
        "results_with_reason_and_error",
        """
def jivo_onLoadCallback():
    res = jivo_api.startCall("no digits")
    console.log(res.result, res.reason)
    off = jivo_api.sendOfflineMessage({"name": "A", "message": "hi"})
    console.log(off.result, off.error is not None, jivo_api.chatMode())

def jivo_onCallEnd(res=None):
    console.log("call ended", res.result, res.reason)
""",
    ),
    program(
        "open_close_and_state_callbacks",
        """
def jivo_onLoadCallback():
    r = jivo_api.open({"start": "chat"})
    console.log("open", r.result)
    console.log("close", jivo_api.close().result)

def jivo_onChangeState(state):
    console.log("state", state)

def jivo_onOpen():
    console.log("opened")

def jivo_onClose():
    console.log("closed")
""",
    ),
    program(
        "several_handlers_with_on",
        """
from jivo_widget.browser import on

@on("message_sent")
def first():
    console.log("first")

@on("jivo_onMessageSent")
def second():
    console.log("second")

def jivo_onClientStartChat():
    console.log("started")
""",
        ("visitor_sends_message", "hello"),
    ),
    program(
        "location_and_datalayer",
        """
def jivo_onLoadCallback():
    loc = window.location
    console.log(loc.pathname, loc.search, loc.pathname.split("/"), loc.search.startswith("?utm"))
    window.dataLayer.push({"event": "jivo_ready", "path": loc.pathname})
""",
    ),
    program(
        "local_storage",
        """
def jivo_onLoadCallback():
    seen = localStorage.getItem("jw-seen")
    console.log("before", seen)
    localStorage.setItem("jw-seen", "yes")
    console.log("after", localStorage.getItem("jw-seen"))
    localStorage.removeItem("jw-seen")
""",
    ),
    program(
        "set_timeout",
        """
from jivo_widget.browser import setTimeout

def jivo_onLoadCallback():
    console.log("now")
    setTimeout(lambda: console.log("later"), 0)
    console.log("still now")
""",
    ),
    program(
        "json_stringify",
        """
from jivo_widget.browser import JSON

def jivo_onLoadCallback():
    text = JSON.stringify({"a": [1, "x", None], "b": True})
    back = JSON.parse(text)
    console.log(text, back["a"][1], back["b"])
""",
    ),
    program(
        "equality_of_containers",
        """
def jivo_onLoadCallback():
    console.log([1, 2] == [1, 2], [1, 2] == [2, 1], {"a": [1]} == {"a": [1]}, {"a": 1} != {"b": 1})
    console.log(1 == 1.0, True == 1, "1" == 1, None == 0, [None] == [None], [] == {}, "a" != "a")
""",
    ),
    program(
        "augmented_assignment_aliasing",
        """
def jivo_onLoadCallback():
    a = [1]
    b = a
    a += [2]
    c = a
    c = c + [3]
    s = "x"
    s += "y"
    n = 10
    n -= 3
    n *= 2
    n //= 3
    n %= 3
    d = {"k": 1}
    d["k"] += 5
    console.log(a, b, c, s, n, d)
""",
    ),
    program(
        "unpacking_and_swap",
        """
def jivo_onLoadCallback():
    a, b = 1, 2
    a, b = b, a
    first, second = [10, 20]
    x, y = "hi"
    try:
        p, q = [1, 2, 3]
    except ValueError as e:
        console.log(str(e))
    console.log(a, b, first, second, x, y)
""",
    ),
    program(
        "unicode_strings",
        """
def jivo_onLoadCallback():
    s = "a🎉b"
    console.log(len(s), s[1], s[-1], s[::-1], [c for c in s], s.upper(), "🎉" in s, s.find("b"))
    console.log("\\u2028</script>".replace("<", "&lt;"), "é" < "🎉", "\\uffff" < "🎉")
""",
    ),
    program(
        "float_formatting_python_style",
        """
def jivo_onLoadCallback():
    console.log(str(0.1 + 0.2), str(1 / 3), str(1e-5), str(123456.789), str(-0.5), f"{2.5e20}")
""",
    ),
    program(
        "type_errors_like_python",
        """
def jivo_onLoadCallback():
    out = []
    for a, b in [[1, "a"], ["a", 1], [[1], "a"], [None, 1]]:
        try:
            out.append(a + b)
        except TypeError:
            out.append("TypeError")
    try:
        out.append(1 < "a")
    except TypeError:
        out.append("unordered")
    console.log(out, "ab" * 3, [0] * 2, 3 * "x")
""",
    ),
    program(
        "change_state_and_call_end_arguments",
        """
def jivo_onChangeState(state):
    document.body.classList.add("state-" + state.replace("/", "-"))

def jivo_onCallEnd(res=None):
    if res is None:
        console.log("no result")
    else:
        console.log(res.result)
""",
        ("fire", "jivo_onChangeState", "chat/min"),
        ("fire", "jivo_onCallEnd"),
        ("fire", "jivo_onCallEnd", {"result": "ok"}),
    ),
    program(
        "introduction_and_agent",
        """
def jivo_onIntroduction():
    info = jivo_api.getContactInfo()
    jivo_api.setCustomData([{"title": "Name", "content": info.client_name or "?"}])

def jivo_onAccept():
    console.log("accepted", jivo_api.getUnreadMessagesCount())

def jivo_onMessageReceived():
    console.log("unread", jivo_api.getUnreadMessagesCount())
""",
        ("visitor_introduces", {"name": "Bob"}),
        ("agent_accepts",),
        ("agent_sends_message", "hello"),
    ),
    program(
        "attribute_of_none",
        """
def jivo_onLoadCallback():
    try:
        console.log(window.notDefinedByThePage.anything)
    except AttributeError:
        console.log("AttributeError")
    info = jivo_api.getContactInfo()
    try:
        console.log(info.client_name.strip())
    except AttributeError:
        console.log("no name yet")
""",
    ),
    program(
        "utm",
        """
def jivo_onLoadCallback():
    utm = jivo_api.getUtm()
    console.log(utm.source, utm.medium is None)
""",
    ),
]
