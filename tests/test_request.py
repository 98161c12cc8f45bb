"""One request's data (jivo_widget._request): lenient pages, strict tests, values users pass.

Lenient (the default for pages): an invalid per-request part is dropped, the rest of the glue
renders, and one WARNING names each dropped part and its rule, never its value. Strict (test
suites, development, ``strict=True``): :class:`JivoConfigError` as before. What is dropped is the
smallest part that is wrong: a contact field, a custom data item (or only its bad optional key),
the fields past the tenth, one client attribute, a scalar argument. A lenient page still works
in a real browser.

Values users actually pass: ``user_token=request.user.pk`` (an int, or a UUID) and django-csp's
``request.csp_nonce`` (a ``SimpleLazyObject``) are accepted; so is any object whose class
defines ``__str__`` where a string is expected (Django's ``lazy``/``gettext_lazy``, a plain
class). Everything else is refused, naming the field.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.utils.functional import SimpleLazyObject, lazy
from playwright.sync_api import Page

from jivo_widget import JivoConfigError, Widget
from jivo_widget.config import STRICT_ENV, Contact, CustomField
from jivo_widget.testing import JivoMock

ID = "AbCdEf1234"
SECRET = "ann.secret@example.com"  # personal data: must never reach a log line
LOGGER = "jivo_widget"


@pytest.fixture(autouse=True)
def _no_strict_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The jivo_mock plugin makes test sessions strict by default; these tests choose themselves.
    monkeypatch.delenv(STRICT_ENV, raising=False)


def calls_of(html: str) -> list[Any]:
    data = str(html).split("data-jivo='", 1)[1].split("'", 1)[0]
    return json.loads(unescape(data))  # type: ignore[no-any-return]


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(LOGGER) and r.levelno == logging.WARNING
    ]


# (request, calls rendered leniently, parts named in the warning)
CASES: list[tuple[str, dict[str, Any], list[Any], list[str]]] = [
    (
        "an empty plan string (empty content) drops that item",
        {"custom_data": [{"title": "Plan", "content": ""}, {"content": "ok", "title": SECRET}]},
        [["setCustomData", [[{"content": "ok", "title": SECRET}]]]],
        ["custom_data[0].content"],
    ),
    (
        "11 custom fields: the first 10 are sent",
        {"custom_data": [{"content": f"line {i}"} for i in range(11)]},
        [["setCustomData", [[{"content": f"line {i}"} for i in range(10)]]]],
        ["custom_data[10]"],
    ),
    (
        "a relative link drops only the link",
        {"custom_data": [{"content": "Plan", "link": f"/crm/{SECRET}"}]},
        [["setCustomData", [[{"content": "Plan"}]]]],
        ["custom_data[0].link"],
    ),
    (
        "empty strings where Jivo allows them are sent",
        {"user_token": "u-1", "client_attributes": {"plan": ""}, "page_title": ""},
        [
            ["setUserToken", ["u-1"]],
            ["setClientAttributes", [{"plan": ""}]],
            ["sendPageTitle", ["", True]],
        ],
        [],
    ),
    (
        "a wrong-typed contact field drops that field",
        {"contact": {"name": SECRET, "phone": 5551234, "nmae": "x"}},
        [["setContactInfo", [{"name": SECRET}]]],
        ["contact.phone", "contact.nmae"],
    ),
    (
        "a contact that is not a mapping is dropped",
        {"user_token": "u-1", "contact": SECRET},
        [["setUserToken", ["u-1"]]],
        ["contact"],
    ),
    (
        "an empty token is dropped",
        {"user_token": "", "contact": {"name": "Ann"}},
        [["setContactInfo", [{"name": "Ann"}]]],
        ["user_token"],
    ),
    (
        "a token of a wrong type is dropped",
        {"user_token": [SECRET], "page_title": "Cart"},
        [["sendPageTitle", ["Cart", True]]],
        ["user_token"],
    ),
    (
        "custom_data that is not a list is dropped",
        {"custom_data": {"content": SECRET}, "user_token": "u"},
        [["setUserToken", ["u"]]],
        ["custom_data"],
    ),
    (
        "an item that is not a mapping is dropped",
        {"custom_data": [SECRET, {"content": "b"}]},
        [["setCustomData", [[{"content": "b"}]]]],
        ["custom_data[0]"],
    ),
    (
        "a bad title or unknown key drops only that key",
        {"custom_data": [{"content": "a", "title": 5, "url": SECRET, "key": "k"}]},
        [["setCustomData", [[{"content": "a", "key": "k"}]]]],
        ["custom_data[0].title", "custom_data[0].url"],
    ),
    (
        "every item invalid: no setCustomData at all",
        {"custom_data": [{"content": ""}, {"title": SECRET}], "user_token": "u"},
        [["setUserToken", ["u"]]],
        ["custom_data[0].content", "custom_data[1].content"],
    ),
    (
        "a bad client attribute drops that attribute",
        {"client_attributes": {"vip": True, "plan": "pro", "score": float("nan"), 1: "x"}},
        [["setClientAttributes", [{"plan": "pro"}]]],
        ["client_attributes.vip", "client_attributes.score", "client_attributes[1] (key)"],
    ),
    (
        "client_attributes that is not a mapping is dropped",
        {"client_attributes": [SECRET]},
        [],
        ["client_attributes"],
    ),
    (
        "a bad page_url drops only the url",
        {"page_title": "Cart", "page_url": f"javascript:alert('{SECRET}')"},
        [["sendPageTitle", ["Cart", True]]],
        ["page_url"],
    ),
    (
        "page_url without page_title is dropped",
        {"page_url": "https://shop.example/cart", "user_token": "u"},
        [["setUserToken", ["u"]]],
        ["page_url"],
    ),
    (
        "a bad page_title drops the title and its url",
        {"page_title": 7, "page_url": "https://shop.example/cart"},
        [],
        ["page_title"],
    ),
    (
        "clear_history that is not a bool is dropped",
        {"clear_history": "yes", "user_token": "u"},
        [["setUserToken", ["u"]]],
        ["clear_history"],
    ),
    (
        "everything wrong at once",
        {
            "user_token": 1.5,
            "contact": {"email": 1},
            "custom_data": [{"content": ""}] * 12,
            "client_attributes": {"a": None},
            "page_title": b"t",
            "clear_history": 1,
        },
        [],
        ["user_token", "contact.email", "custom_data[0].content", "client_attributes.a"],
    ),
]


@pytest.mark.parametrize(
    ("name", "request_data", "calls", "named"), CASES, ids=[c[0] for c in CASES]
)
def test_lenient_renders_the_rest_and_warns_naming_the_part_not_the_value(
    caplog: pytest.LogCaptureFixture,
    name: str,
    request_data: dict[str, Any],
    calls: list[Any],
    named: list[str],
) -> None:
    widget = Widget(widget_id=ID, color="#112233")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        html = widget.render(**request_data, nonce="n0nce")
    assert calls_of(html) == [*calls, ["setWidgetColor", ["#112233"]]]
    assert ' nonce="n0nce"' in html and widget.renderer.bootstrap in html
    logged = warnings_of(caplog)
    if not named:
        assert logged == []
        return
    assert len(logged) == 1  # one line per render, listing every dropped part
    for part in named:
        assert f"{part}: " in logged[0], logged[0]
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert record.exc_info is None


@pytest.mark.parametrize(
    ("name", "request_data", "calls", "named"), CASES, ids=[c[0] for c in CASES]
)
def test_strict_raises_naming_the_field(
    name: str, request_data: dict[str, Any], calls: list[Any], named: list[str]
) -> None:
    widget = Widget(widget_id=ID)
    if not named:
        widget.render(**request_data, strict=True)
        return
    with pytest.raises(JivoConfigError) as info:
        widget.render(**request_data, strict=True)
    message = str(info.value)
    assert named[0].split("[", 1)[0].split(".", 1)[0] in message
    assert SECRET not in message  # the error may be logged by the site: no personal data


@pytest.mark.parametrize(
    ("name", "request_data", "calls", "named"), CASES, ids=[c[0] for c in CASES]
)
def test_render_data_follows_the_same_rule(
    caplog: pytest.LogCaptureFixture,
    name: str,
    request_data: dict[str, Any],
    calls: list[Any],
    named: list[str],
) -> None:
    widget = Widget(widget_id=ID)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert json.loads(widget.render_data(**request_data)) == calls
    assert len(warnings_of(caplog)) == (1 if named else 0)
    if named:
        with pytest.raises(JivoConfigError):
            widget.render_data(**request_data, strict=True)


@pytest.mark.parametrize(
    "nonce", ['n0nce" onload="alert(1)', "", "a b", "x" * 300, "abc\n", 12345, None]
)
def test_a_bad_nonce_is_dropped_and_the_attribute_stays_whole(
    caplog: pytest.LogCaptureFixture, nonce: Any
) -> None:
    widget = Widget(widget_id=ID)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        html = str(widget.render(user_token="u", nonce=nonce))
    tag = html.split(">", 1)[0]
    assert tag.startswith("<script ") and "nonce" not in tag and "onload" not in html
    assert calls_of(html) == [["setUserToken", ["u"]]]
    if nonce is None:
        assert warnings_of(caplog) == []
    else:
        (line,) = warnings_of(caplog)
        rule = "must be a base64 CSP nonce" if isinstance(nonce, str) else "Input should be a"
        assert f"nonce: {rule}" in line
        with pytest.raises(JivoConfigError, match=r"^nonce: "):
            widget.render(user_token="u", nonce=nonce, strict=True)


def test_the_users_data_is_never_modified() -> None:
    contact = {"name": "Ann", "phone": 1}
    custom = [{"content": "a", "link": "/x"}, {"content": ""}]
    attributes = {"a": True, "b": "ok"}
    snapshot = json.dumps([contact, custom, attributes])
    Widget(widget_id=ID).render(contact=contact, custom_data=custom, client_attributes=attributes)
    assert json.dumps([contact, custom, attributes]) == snapshot


# ------------------------------------------------------------------ choosing strict or lenient


def _bad(widget: Widget, **override: Any) -> str:
    return str(widget.render(custom_data=[{"content": ""}], **override))


def test_lenient_is_the_default(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert "setCustomData" not in _bad(Widget(widget_id=ID))
    assert len(warnings_of(caplog)) == 1


@pytest.mark.parametrize(
    ("value", "strict"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_the_environment_variable_sets_the_default(
    monkeypatch: pytest.MonkeyPatch, value: str, strict: bool
) -> None:
    monkeypatch.setenv(STRICT_ENV, value)
    widget = Widget(widget_id=ID)
    if strict:
        with pytest.raises(JivoConfigError, match=r"custom_data\[0\]\.content"):
            _bad(widget)
    else:
        _bad(widget)


def test_the_environment_is_read_per_render(monkeypatch: pytest.MonkeyPatch) -> None:
    widget = Widget(widget_id=ID)  # built before the test session switches strict on
    _bad(widget)
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(JivoConfigError):
        _bad(widget)


def test_widget_strict_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STRICT_ENV, "1")
    _bad(Widget(widget_id=ID, strict=False))
    monkeypatch.setenv(STRICT_ENV, "0")
    with pytest.raises(JivoConfigError):
        _bad(Widget(widget_id=ID, strict=True))


def test_the_call_beats_the_widget() -> None:
    with pytest.raises(JivoConfigError):
        _bad(Widget(widget_id=ID, strict=False), strict=True)
    _bad(Widget(widget_id=ID, strict=True), strict=False)


def test_strict_in_a_toml_config(tmp_path: Any) -> None:
    path = tmp_path / "jivo.toml"
    path.write_text(f'widget_id = "{ID}"\nstrict = true\n')
    with pytest.raises(JivoConfigError):
        _bad(Widget.from_file(path))


def test_strict_must_be_a_bool() -> None:
    with pytest.raises(JivoConfigError, match=r"^strict: Input should be a valid boolean"):
        Widget(widget_id=ID, strict="yes")
    with pytest.raises(JivoConfigError, match=r"^strict: must be True, False or None"):
        Widget(widget_id=ID).render(strict="yes")  # type: ignore[arg-type]


def test_a_disabled_widget_is_lenient_too(caplog: pytest.LogCaptureFixture) -> None:
    disabled = Widget(widget_id=ID, enabled=False)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert disabled.render(custom_data=[{"content": ""}]) == ""
    assert len(warnings_of(caplog)) == 1
    with pytest.raises(JivoConfigError):
        disabled.render(custom_data=[{"content": ""}], strict=True)


def test_the_jivo_mock_plugin_makes_test_sessions_strict(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # End to end: a site's own test session, with nothing but the installed plugin.
    pytester.makepyfile(
        """
        import os
        import pytest
        from jivo_widget import JivoConfigError, Widget

        def test_strict():
            assert os.environ["JIVO_WIDGET_STRICT"] == "1"
            with pytest.raises(JivoConfigError):
                Widget(widget_id="AbCdEf1234").render(custom_data=[{"content": ""}])
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize(("before", "after"), [(None, "1"), ("0", "0"), ("1", "1")])
def test_the_plugin_keeps_a_value_the_site_set(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, before: str | None, after: str
) -> None:
    if before is not None:
        monkeypatch.setenv(STRICT_ENV, before)
    pytester.parseconfigure()  # runs the plugin's pytest_configure
    assert os.environ[STRICT_ENV] == after


# ------------------------------------------------------------------ values users pass
# Rendering is strict here: the values must be accepted, not dropped.

WIDGET = Widget(widget_id=ID, strict=True)


class Name:
    """A plain class whose str() is the value, like many ORM and i18n objects."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    def __str__(self) -> str:
        self.calls += 1
        return self.text


class Broken:
    def __str__(self) -> str:
        raise RuntimeError("translation catalog missing")


def lazy_str(text: str) -> Any:
    return lazy(lambda: text, str)()


@pytest.mark.parametrize(
    ("token", "sent"),
    [
        (42, "42"),
        (0, "0"),
        (-7, "-7"),
        (2**70, str(2**70)),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (SimpleLazyObject(lambda: "u-42"), "u-42"),
        (Name("u-42"), "u-42"),
    ],
)
def test_user_token_accepts_ints_and_str_able_objects(token: Any, sent: str) -> None:
    assert calls_of(WIDGET.render(user_token=token)) == [["setUserToken", [sent]]]


@pytest.mark.parametrize("token", [True, False, 1.5, b"u-42", ["u"], {"id": 1}, object(), Name("")])
def test_user_token_refuses_the_rest(token: Any) -> None:
    with pytest.raises(JivoConfigError, match=r"^user_token: "):
        WIDGET.render(user_token=token)


def test_a_django_csp_lazy_nonce_is_accepted() -> None:
    nonce = SimpleLazyObject(lambda: "r4nd0mN0nce+/=")
    assert isinstance(nonce, str)  # a LazyObject pretends, yet it is no str to pydantic
    html = str(WIDGET.render(nonce=nonce))
    assert html.startswith('<script nonce="r4nd0mN0nce+/="')
    assert WIDGET.render(nonce=lazy_str("abc")).startswith('<script nonce="abc"')


def test_a_lazy_nonce_is_still_checked() -> None:
    with pytest.raises(JivoConfigError, match=r"^nonce: must be a base64 CSP nonce"):
        WIDGET.render(nonce=SimpleLazyObject(lambda: 'x" onload="alert(1)'))


def test_str_able_objects_where_strings_are_expected() -> None:
    html = WIDGET.render(
        contact={"name": lazy_str("Ann"), "email": SimpleLazyObject(lambda: "ann@example.com")},
        custom_data=[
            {
                "title": lazy_str("Plan"),
                "content": Name("Pro"),
                "link": lazy_str("https://crm.example/u/1"),
                "key": Name("plan"),
            }
        ],
        client_attributes={lazy_str("plan"): lazy_str("pro"), "id": uuid.UUID(int=2)},
        page_title=lazy_str("Cart"),
        page_url=Name("https://shop.example/cart"),
    )
    assert calls_of(html) == [
        ["setContactInfo", [{"name": "Ann", "email": "ann@example.com"}]],
        [
            "setCustomData",
            [
                [
                    {
                        "content": "Pro",
                        "title": "Plan",
                        "link": "https://crm.example/u/1",
                        "key": "plan",
                    }
                ]
            ],
        ],
        ["setClientAttributes", [{"plan": "pro", "id": "00000000-0000-0000-0000-000000000002"}]],
        ["sendPageTitle", ["Cart", True, "https://shop.example/cart"]],
    ]


def test_the_typed_models_accept_them_too() -> None:
    assert Contact(name=lazy_str("Ann")).name == "Ann"  # type: ignore[arg-type]
    field = CustomField(content=Name("Pro"), link=lazy_str("https://a.test/"))  # type: ignore[arg-type]
    assert (field.content, field.link) == ("Pro", "https://a.test/")


def test_str_is_called_once_per_value() -> None:
    name = Name("Ann")
    WIDGET.render(contact={"name": name})
    assert name.calls == 1


@pytest.mark.parametrize(
    ("request_data", "message"),
    [
        ({"contact": {"phone": 5551234}}, "contact.phone: Input should be a valid string"),
        ({"contact": {"name": b"Ann"}}, "contact.name: Input should be a valid string"),
        ({"contact": {"name": True}}, "contact.name: Input should be a valid string"),
        ({"custom_data": [{"content": 1.5}]}, "custom_data[0].content: Input should be a valid"),
        ({"custom_data": [{"content": object()}]}, "custom_data[0].content: Input should be"),
        ({"custom_data": [{"content": Name("")}]}, "custom_data[0].content: String should have"),
        ({"custom_data": [{"content": ["a"]}]}, "custom_data[0].content: Input should be"),
        ({"page_title": {"t": 1}}, "page_title: Input should be a valid string"),
        ({"nonce": 12345}, "nonce: "),
        ({"page_title": "t", "page_url": Name("/cart")}, "page_url: must be an absolute http(s)"),
        ({"client_attributes": {"a": [1]}}, "client_attributes.a: must be a string or a finite"),
    ],
)
def test_everything_else_is_refused_naming_the_field(
    request_data: dict[str, Any], message: str
) -> None:
    with pytest.raises(JivoConfigError) as info:
        WIDGET.render(**request_data)
    assert str(info.value).startswith(message), str(info.value)


def test_a_str_that_raises_is_a_bad_value_not_a_crash(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(JivoConfigError, match=r"^contact\.name: str\(\) of a Broken raised"):
        WIDGET.render(contact={"name": Broken(), "email": "e@example.com"})
    lenient = Widget(widget_id=ID, strict=False)
    html = lenient.render(contact={"name": Broken(), "email": "e@example.com"})
    assert calls_of(html) == [["setContactInfo", [{"email": "e@example.com"}]]]
    assert "translation catalog missing" not in caplog.text


def test_decimal_is_a_str_able_value() -> None:
    # Decimal defines __str__: "19.90" is what a shop means, unlike float's repr noise.
    html = WIDGET.render(custom_data=[{"content": Decimal("19.90")}])
    assert calls_of(html) == [["setCustomData", [[{"content": "19.90"}]]]]


def test_custom_data_may_be_any_sequence() -> None:
    # render() is typed Sequence[...]: a tuple (or another sequence) is as good as a list.
    expected = [["setCustomData", [[{"content": "a"}, {"content": "b"}]]]]
    assert calls_of(WIDGET.render(custom_data=({"content": "a"}, {"content": "b"}))) == expected
    from collections import UserList

    assert calls_of(WIDGET.render(custom_data=UserList([{"content": "a"}, {"content": "b"}]))) == (
        expected
    )
    with pytest.raises(JivoConfigError, match=r"^custom_data: Input should be a valid list"):
        WIDGET.render(custom_data="content")  # type: ignore[arg-type]


# ------------------------------------------------------------------ a lenient page in a browser
# The bad parts are dropped and the glue still makes every other call, against the mocked widget
# (the jivo_mock fixture fails the test on any contract violation or page error).

BAD_REQUEST: dict[str, Any] = {
    "user_token": 42,  # accepted: sent as "42"
    "contact": {"name": "Ann", "phone": 5551234, "emial": "typo@example.com"},
    "custom_data": [
        {"title": "Plan", "content": ""},  # the empty plan string
        {"title": "CRM", "content": "card", "link": "/crm/42"},  # relative link
        *({"title": f"Line {i}", "content": f"item {i}"} for i in range(10)),  # 12 in all
    ],
    "client_attributes": {"vip": True, "plan": "pro"},
    "page_title": "Checkout",
    "page_url": "javascript:alert(1)",
    "nonce": 'n0nce" onload="window.__pwned = 1',
}


def page_html(glue: str) -> str:
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>shop</title></head>'
        f"<body><h1>Checkout</h1>{glue}</body></html>"
    )


@pytest.mark.browser
def test_a_lenient_page_with_bad_data_runs_every_other_call(
    page: Page, jivo_mock: JivoMock, live_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    widget = Widget(widget_id=ID, color="#12ab34", invitation={"text": "Hi"})
    with pytest.raises(JivoConfigError):  # what the test session (strict) would say
        widget.render(**BAD_REQUEST, strict=True)
    with caplog.at_level(logging.WARNING, logger="jivo_widget"):
        glue = widget.render(**BAD_REQUEST, strict=False)

    page.goto(live_server.add("/", page_html(str(glue))))
    jivo_mock.wait_for_call("showProactiveInvitation")

    assert page.locator("h1").inner_text() == "Checkout"
    assert page.evaluate("window.__pwned") is None
    assert [[name, *args] for name, args in jivo_mock.calls()] == [
        ["setUserToken", "42"],
        ["setContactInfo", {"name": "Ann"}],
        [
            "setCustomData",
            [{"title": "CRM", "content": "card"}]
            + [{"title": f"Line {i}", "content": f"item {i}"} for i in range(9)],
        ],
        ["setClientAttributes", {"plan": "pro"}],
        ["sendPageTitle", "Checkout", True],
        ["setWidgetColor", "#12ab34"],
        ["showProactiveInvitation", "Hi"],
    ]
    assert jivo_mock.violations == []
    (warning,) = [r.getMessage() for r in caplog.records if r.name.startswith("jivo_widget")]
    for part in (
        "contact.phone",
        "contact.emial",
        "custom_data[0].content",
        "custom_data[1].link",
        "custom_data[10]",
        "client_attributes.vip",
        "page_url",
        "nonce",
    ):
        assert part in warning
    assert "typo@example.com" not in warning and "onload" not in warning
