"""The mock cannot be talked out of failing: page code that tampers with it changes nothing.

Each test plays a page that tries to hide a contract violation (or an error) from the test: by
overwriting the report channel, clearing or replacing the mock's records, replacing `jivo_api` or
its methods, changing the catalog or the built-ins the mock uses, or cancelling error events.
The test reads what `jivo_mock` (and so the plugin's strict teardown) sees.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from jivo_widget.testing import JivoMock

pytestmark = pytest.mark.browser

WIDGET_ID = "AbCdEf1234"
LOADER = f"https://code.jivosite.com/widget/{WIDGET_ID}"
NOT_A_METHOD = "jivo_api.makeCoffee(): not a Jivo method"
ELEVEN_FIELDS = "Array.from({length: 11}, (_, i) => ({content: 'c' + i}))"
TOO_MANY = "jivo_api.setCustomData(): 11 fields; Jivo accepts at most 10 (the call was rejected)"


@pytest.fixture
def shop(page: Page, jivo_mock: JivoMock, tmp_path: Path) -> Any:
    """Open a page (real file) whose ``head`` runs before the loader; waits for the widget."""

    def open_page(head: str = "", name: str = "index") -> str:
        target = tmp_path / f"{name}.html"
        target.write_text(
            f'<meta charset="utf-8"><html><head>{head}</head><body>'
            f'<script async src="{LOADER}"></script></body></html>',
            "utf-8",
        )
        page.goto(target.as_uri())
        jivo_mock.wait_for_load()
        return target.as_uri()

    return open_page


def run(page: Page, script: str) -> Any:
    return page.evaluate(f"() => {{ {script} }}")


# ---------------------------------------------------------------------- the mock's records


@pytest.mark.jivo_mock(strict=False)
def test_overwriting_the_report_channel_keeps_violations_after_navigation(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    shop()
    run(
        page,
        "window.__jivoMockReport = () => Promise.resolve(); jivo_api.makeCoffee();"
        "__jivoMock.violations.length = 0;",
    )
    shop(name="next")  # the violating document is gone: only the report channel kept it
    assert jivo_mock.violations == [NOT_A_METHOD]


@pytest.mark.jivo_mock(strict=False)
def test_deleting_the_report_channel_keeps_violations_after_navigation(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    shop()
    run(page, "delete window.__jivoMockReport; jivo_api.makeCoffee();")
    shop(name="next")
    assert jivo_mock.violations == [NOT_A_METHOD]


@pytest.mark.jivo_mock(strict=False)
def test_clearing_the_records_in_the_page_changes_nothing(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    shop()
    run(
        page,
        """jivo_api.makeCoffee();
        for (const list of ["violations", "log", "calls", "callbacks"]) {
            try { __jivoMock[list].length = 0; } catch (e) {}
            try { __jivoMock[list].splice(0); } catch (e) {}
            try { __jivoMock[list] = []; } catch (e) {}
        }""",
    )
    assert jivo_mock.violations == [NOT_A_METHOD]
    assert jivo_mock.calls() == [("makeCoffee", [])]
    assert jivo_mock.callbacks() == [("jivo_onLoadCallback", [])]
    assert page.evaluate("() => __jivoMock.violations.length") == 1


@pytest.mark.jivo_mock(strict=False)
def test_replacing_the_mock_object_changes_nothing(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    shop()
    fake = "{violations: [], calls: [], callbacks: [], log: [], loaded: true, state: () => ({})}"
    outcome = run(
        page,
        f"""jivo_api.makeCoffee();
        const tries = [];
        try {{ window.__jivoMock = {fake}; tries.push("assigned"); }}
        catch (e) {{ tries.push(e.name); }}
        try {{ Object.defineProperty(window, "__jivoMock", {{value: {fake}}}); tries.push("ok"); }}
        catch (e) {{ tries.push(e.name); }}
        try {{ delete window.__jivoMock; }} catch (e) {{ tries.push(e.name); }}
        return [tries, typeof window.__jivoMock.state().status];""",
    )
    assert outcome == [["assigned", "TypeError"], "string"]  # assignment is silently ignored
    assert jivo_mock.violations == [NOT_A_METHOD]
    assert jivo_mock.calls() == [("makeCoffee", [])]


@pytest.mark.jivo_mock(strict=False)
def test_mutating_a_dispatched_record_changes_nothing(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    head = """<script>addEventListener("jivo-mock", (e) => {
        e.detail.message = "nothing to see"; e.detail.name = "open"; e.detail.args = []; });
    </script>"""
    shop(head)
    run(page, "jivo_api.makeCoffee('x');")
    assert jivo_mock.violations == [NOT_A_METHOD]
    assert jivo_mock.calls() == [("makeCoffee", ["x"])]


@pytest.mark.jivo_mock(strict=False)
def test_changing_the_catalog_in_the_page_changes_nothing(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    shop()
    run(
        page,
        f"""__JIVO_CATALOG__.limits.custom_data_max_fields = 100;
        __JIVO_CATALOG__.methods.makeCoffee = {{name: "makeCoffee", params: []}};
        __JIVO_CATALOG__.undocumented.length = 0;
        jivo_api.setCustomData({ELEVEN_FIELDS}); jivo_api.makeCoffee();""",
    )
    assert jivo_mock.violations == [TOO_MANY, NOT_A_METHOD]


# Built-ins the mock's checks and records would use if it looked them up at call time.
SABOTAGE = {
    "Array.prototype.push": "function () { return this.length; }",
    "Array.prototype.forEach": "function () {}",
    "Array.prototype.filter": "function () { return []; }",
    "Array.prototype.some": "function () { return false; }",
    "Array.prototype.indexOf": "function () { return 0; }",
    "Array.prototype.join": "function () { return ''; }",
    "Array.prototype.map": "function () { return []; }",
    "Array.prototype.slice": "function () { return []; }",
    "Array.isArray": "function () { return true; }",
    "RegExp.prototype.test": "function () { return true; }",
    "Number.isInteger": "function () { return true; }",
    "Number.isFinite": "function () { return true; }",
    "Object.keys": "function () { return []; }",
    "Object.prototype.hasOwnProperty": "function () { return true; }",
    "Object.prototype.toJSON": "function () { return 'nothing'; }",
    "JSON.stringify": "function () { return '[]'; }",
    "JSON.parse": "function () { return []; }",
    "window.CustomEvent": "function () { throw new Error('no events'); }",
    "window.setTimeout": "function () {}",
    "window.reportError": "function () {}",
}


@pytest.mark.jivo_mock(strict=False)
def test_replacing_builtins_changes_nothing(page: Page, jivo_mock: JivoMock, shop: Any) -> None:
    shop()
    # Sabotage, misuse the API, then put the built-ins back: Playwright's own evaluate needs
    # them to read the records afterwards; the mock captured its own when it was installed.
    replace = "".join(
        f"var saved_{i} = {name}; {name} = {fn};\n" for i, (name, fn) in enumerate(SABOTAGE.items())
    )
    restore = "\n".join(f"{name} = saved_{i};" for i, name in enumerate(SABOTAGE))
    run(
        page,
        f"""{replace}
        try {{
            jivo_api.setCustomData({ELEVEN_FIELDS});
            jivo_api.setUserToken(42);
            jivo_api.setWidgetColor("red");
            jivo_api.setContactInfo({{client_name: "Ann"}});
            jivo_api.makeCoffee();
        }} finally {{
            {restore}
        }}""",
    )
    assert jivo_mock.violations == [
        TOO_MANY,
        "jivo_api.setUserToken(): argument token must be string, got number",
        'jivo_api.setWidgetColor(): color must be #rrggbb, got string "red"',
        'jivo_api.setContactInfo(): unknown contact key "client_name" (setContactInfo takes '
        "`name`; `client_name` is what getContactInfo returns)",
        NOT_A_METHOD,
    ]
    assert jivo_mock.calls() == [
        ("setCustomData", [[{"content": f"c{i}"} for i in range(11)]]),
        ("setUserToken", [42]),
        ("setWidgetColor", ["red"]),
        ("setContactInfo", [{"client_name": "Ann"}]),
        ("makeCoffee", []),
    ]


# ---------------------------------------------------------------------- jivo_api itself


@pytest.mark.jivo_mock(strict=False)
def test_replacing_a_jivo_api_method_is_recorded_and_calls_still_are(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    shop()
    outcome = run(
        page,
        f"""const original = jivo_api.setCustomData;
        jivo_api.setCustomData = function () {{ return {{result: "ok"}}; }};
        const replaced = jivo_api.setCustomData !== original;
        jivo_api.setCustomData({ELEVEN_FIELDS});
        return replaced;""",
    )
    assert outcome is False
    assert jivo_mock.calls("setCustomData") == [[[{"content": f"c{i}"} for i in range(11)]]]
    assert jivo_mock.violations == [
        "jivo_api.setCustomData: page code tried to replace it (assignment); the mock keeps "
        "Jivo's method so that every call is still checked and recorded",
        TOO_MANY,
    ]


@pytest.mark.jivo_mock(strict=False)
def test_redefining_or_deleting_jivo_api_methods_is_recorded(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    shop()
    outcome = run(
        page,
        """const tries = [];
        try { Object.defineProperty(jivo_api, "setUserToken", {value: () => {}}); }
        catch (e) { tries.push(e.name); }
        try { tries.push(delete jivo_api.open); } catch (e) { tries.push(e.name); }
        try { Object.setPrototypeOf(jivo_api, null); } catch (e) { tries.push(e.name); }
        jivo_api.setUserToken(42);
        return [tries, typeof jivo_api.open];""",
    )
    assert outcome == [["TypeError", False, "TypeError"], "function"]
    assert jivo_mock.violations == [
        "jivo_api.setUserToken: page code tried to replace it (defineProperty); the mock keeps "
        "Jivo's method so that every call is still checked and recorded",
        "jivo_api.open: page code tried to delete it; the mock keeps "
        "Jivo's method so that every call is still checked and recorded",
        "jivo_api: page code tried to change its prototype; the mock keeps it",
        "jivo_api.setUserToken(): argument token must be string, got number",
    ]


@pytest.mark.jivo_mock(strict=False)
def test_replacing_window_jivo_api_is_recorded_and_calls_still_are(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    shop()
    outcome = run(
        page,
        """const original = window.jivo_api;
        window.jivo_api = {setUserToken() {}};
        const same = window.jivo_api === original;
        jivo_api.setUserToken(42);
        return same;""",
    )
    assert outcome is True
    assert jivo_mock.calls("setUserToken") == [[42]]
    assert jivo_mock.violations == [
        "window.jivo_api: page code tried to replace it; the mock keeps Jivo's API object so "
        "that every call is still checked and recorded",
        "jivo_api.setUserToken(): argument token must be string, got number",
    ]


@pytest.mark.jivo_mock(strict=False)
def test_jivo_api_and_the_globals_are_not_configurable(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    shop()
    outcome = run(
        page,
        """const tries = [];
        for (const name of ["jivo_api", "jivo_init", "jivo_destroy"]) {
            try { Object.defineProperty(window, name, {value: {}}); tries.push("ok"); }
            catch (e) { tries.push(e.name); }
            tries.push(delete window[name]);
            window[name] = function () {};
        }
        jivo_destroy();
        return [tries, typeof jivo_api.open];""",
    )
    assert outcome == [["TypeError", False] * 3, "function"]
    assert jivo_mock.calls() == [("jivo_destroy", [])]
    assert [v.split(":")[0] for v in jivo_mock.violations] == [
        "window.jivo_api",
        "window.jivo_init",
        "window.jivo_destroy",
    ]


@pytest.mark.jivo_mock(strict=False)
def test_prototype_methods_are_recorded_as_unknown_methods(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    shop()
    run(
        page,
        """jivo_api.hasOwnProperty("open"); jivo_api.valueOf(); jivo_api.toString();
        jivo_api.isPrototypeOf({}); jivo_api.propertyIsEnumerable("open");
        jivo_api.toLocaleString(); jivo_api.constructor();""",
    )
    names = [
        "hasOwnProperty",
        "valueOf",
        "toString",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toLocaleString",
        "constructor",
    ]
    assert [name for name, _ in jivo_mock.calls()] == names
    assert jivo_mock.violations == [f"jivo_api.{name}(): not a Jivo method" for name in names]
    # What the language and Playwright probe is still answered, and not recorded.
    assert page.evaluate("async () => (await jivo_api) === jivo_api")
    assert page.evaluate("() => Object.prototype.hasOwnProperty.call(jivo_api, 'open')")
    assert page.evaluate("() => Object.getPrototypeOf(jivo_api) === Object.prototype")
    assert page.evaluate("() => JSON.stringify(jivo_api)") == "{}"
    assert len(jivo_mock.calls()) == len(names)


# ---------------------------------------------------------------------- arguments


HOSTILE_KEYS = '{"__proto__": {"polluted": 1}, "constructor": "c", "toString": "t", "content": "x"}'


def test_proto_and_constructor_keys_survive_the_trip_to_python(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    shop()
    run(
        page,
        f"""jivo_api.setRules(JSON.parse('{HOSTILE_KEYS}'));
        jivo_api.setClientAttributes(JSON.parse('{{"__proto__": "a", "constructor": 2}}'));""",
    )
    hostile = {"__proto__": {"polluted": 1}, "constructor": "c", "toString": "t", "content": "x"}
    assert jivo_mock.calls("setRules") == [[hostile]]
    state = jivo_mock.state()
    assert state["rules"] == hostile
    assert state["client_attributes"] == {"__proto__": "a", "constructor": 2}
    assert page.evaluate("() => ({}).polluted") is None  # nothing leaked into prototypes


def test_proto_keys_survive_the_trip_from_python(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    head = """<script>window.jivo_onCallEnd = (res) => {
        const plain = Object.getPrototypeOf(res) === Object.prototype;
        window.got = [Object.keys(res), JSON.stringify(res), plain];
    };</script>"""
    shop(head)
    res = {"__proto__": {"result": "fail"}, "constructor": "c", "result": "ok"}
    jivo_mock.fire("jivo_onCallEnd", res)
    keys, text, plain = page.evaluate("() => window.got")
    assert sorted(keys) == ["__proto__", "constructor", "result"]
    assert plain is True
    assert jivo_mock.callbacks("jivo_onCallEnd") == [[res]]
    assert json.loads(text) == res


def test_fire_takes_json_data_only(page: Page, jivo_mock: JivoMock, shop: Any) -> None:
    shop()
    for bad in (float("nan"), float("inf"), {1, 2}, object()):
        with pytest.raises(TypeError, match="arguments must be JSON data"):
            jivo_mock.fire("jivo_onCallEnd", bad)
    assert jivo_mock.callbacks("jivo_onCallEnd") == []


def test_a_page_that_declares_jivo_api_itself_still_gets_the_mock(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    # `var jivo_api;` makes a global the mock cannot lock; it assigns it, as Jivo's loader does.
    shop(
        "<script>var jivo_api; window.jivo_onLoadCallback = () => jivo_api.setUserToken('u');"
        "</script>"
    )
    assert jivo_mock.calls("setUserToken") == [["u"]]


# ---------------------------------------------------------------------- uncaught errors


HANDLER_THROWS = "<script>window.jivo_onOpen = () => { throw new TypeError('broken handler'); };"


@pytest.mark.parametrize(
    "hide",
    [
        "window.onerror = () => true;",
        "addEventListener('error', (e) => e.preventDefault());",
        "addEventListener('error', (e) => { e.preventDefault(); e.stopPropagation(); }, true);",
        "window.reportError = () => {};",
    ],
)
@pytest.mark.jivo_mock(allow_page_errors=True)
def test_a_page_cannot_hide_uncaught_errors(
    page: Page, jivo_mock: JivoMock, shop: Any, hide: str
) -> None:
    shop(f"{HANDLER_THROWS}{hide}</script>")
    page.evaluate("() => jivo_api.open()")
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 0))")  # let it land
    assert len(jivo_mock.page_errors) == 1
    assert jivo_mock.page_errors[0].startswith("TypeError: broken handler")


@pytest.mark.jivo_mock(allow_page_errors=True)
def test_a_page_cannot_hide_unhandled_rejections(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    shop("<script>addEventListener('unhandledrejection', (e) => e.preventDefault());</script>")
    page.evaluate("() => { Promise.reject(new RangeError('lost promise')); }")
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 10))")
    assert len(jivo_mock.page_errors) == 1
    assert jivo_mock.page_errors[0].startswith("RangeError: lost promise")


@pytest.mark.jivo_mock(allow_page_errors=True)
def test_hidden_errors_are_kept_after_navigation(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    shop(f"{HANDLER_THROWS}window.onerror = () => true;</script>")
    page.evaluate("() => jivo_api.open()")
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 10))")
    shop(name="next")
    assert len(jivo_mock.page_errors) == 1
    assert jivo_mock.page_errors[0].startswith("TypeError: broken handler")


@pytest.mark.jivo_mock(allow_page_errors=True)
def test_report_error_called_by_the_page_is_a_page_error(
    page: Page, jivo_mock: JivoMock, shop: Any
) -> None:
    # What the glue does with an error thrown by a handler: reportError.
    shop()
    page.evaluate("() => reportError(new TypeError('from a handler'))")
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 10))")
    assert jivo_mock.page_errors == ["TypeError: from a handler"]
