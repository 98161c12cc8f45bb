"""The page core every integration shares: layering, unknown keys, failing resolvers, nonces,
strictness, and the insertion of the glue before </body>."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from markupsafe import Markup

from jivo_widget import JivoConfigError, Widget
from jivo_widget.config import Contact, CustomField
from jivo_widget.integrations._core import (
    LOGGER_NAME,
    Page,
    PageOptions,
    html_charset,
    insert_before_body,
    layered,
    render_page,
    strict_for,
    user_identity,
    widget_from_setting,
)

ID = "AbCdEf1234"


def calls(html: str) -> list[Any]:
    """The per-request calls a rendered glue carries."""
    match = re.search(r"data-jivo='([^']*)'", html)
    assert match, html
    return list(json.loads(match.group(1)))


@pytest.fixture
def widget() -> Widget:
    return Widget(widget_id=ID)


@pytest.fixture
def lenient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages as in production: JIVO_WIDGET_STRICT unset (the jivo_mock plugin sets it)."""
    monkeypatch.delenv("JIVO_WIDGET_STRICT", raising=False)


def test_layers_extend_lists_merge_mappings_replace_the_rest() -> None:
    base = {"custom_data": [{"content": "a"}], "contact": {"name": "Ann"}, "user_token": "1"}
    extra = {"custom_data": [{"content": "b"}], "contact": {"email": "a@b.c"}, "user_token": "2"}
    assert layered(base, extra) == {
        "custom_data": [{"content": "a"}, {"content": "b"}],
        "contact": {"name": "Ann", "email": "a@b.c"},
        "user_token": "2",
    }
    assert base["custom_data"] == [{"content": "a"}]  # inputs untouched


def test_identity_then_view_then_template(widget: Widget) -> None:
    options = PageOptions()
    options.update(custom_data=[{"title": "Order", "content": "#1042"}])
    options.update(custom_data=[{"title": "Total", "content": "$12"}], page_title="Cart")
    page = Page(
        identity=lambda: {"user_token": "42", "custom_data": [{"title": "Plan", "content": "Pro"}]},
        options=options,
        arguments={"page_title": "Checkout", "contact": {"name": "Ann"}},
    )
    assert calls(render_page(widget, page)) == [
        ["setUserToken", ["42"]],
        ["setContactInfo", [{"name": "Ann"}]],
        [
            "setCustomData",
            [
                [
                    {"title": "Plan", "content": "Pro"},
                    {"title": "Order", "content": "#1042"},
                    {"title": "Total", "content": "$12"},
                ]
            ],
        ],
        ["sendPageTitle", ["Checkout", True]],
    ]


def test_typed_models_pass_through_the_layers(widget: Widget) -> None:
    page = Page(
        identity=lambda: {"contact": Contact(name="Ann")},
        arguments={"custom_data": [CustomField(content="x")]},
    )
    assert calls(render_page(widget, page)) == [
        ["setContactInfo", [{"name": "Ann"}]],
        ["setCustomData", [[{"content": "x"}]]],
    ]


def test_a_disabled_page_never_asks_the_identity(widget: Widget) -> None:
    asked: list[int] = []
    page = Page(identity=lambda: asked.append(1) or {}, options=PageOptions(enabled=False))
    assert render_page(widget, page) == ""
    page = Page(identity=lambda: asked.append(1) or {}, path="/admin/x")
    assert render_page(widget.model_copy(update={"exclude_paths": ["/admin/*"]}), page) == ""
    assert render_page(widget.model_copy(update={"enabled": False}), page) == ""
    assert asked == []


def test_clear_history_and_nonce(widget: Widget) -> None:
    html = render_page(widget, Page(clear_history=True, nonce="n0nce"))
    assert calls(html) == [["clearHistory", []]]
    assert html.startswith('<script nonce="n0nce"')
    # the template's nonce wins over the page's
    assert render_page(widget, Page(nonce="a", arguments={"nonce": "b"})).startswith(
        '<script nonce="b"'
    )


def test_an_empty_nonce_is_no_nonce_but_a_lazy_one_is_read(widget: Widget) -> None:
    assert render_page(widget, Page(nonce="")).startswith("<script data-jivo")

    class LazyNonce:  # false until read, like Django 6's LazyNonce and django-csp's
        read = False

        def __bool__(self) -> bool:
            return self.read

        def __str__(self) -> str:
            self.read = True
            return "lazyNonce1"

    lazy = LazyNonce()
    assert render_page(widget, Page(nonce=lazy)).startswith('<script nonce="lazyNonce1"')
    assert lazy.read  # reading it is what puts it into the CSP header


# ------------------------------------------------------------------ lenient and strict


def test_unknown_identity_keys_are_dropped_with_a_warning(
    widget: Widget, lenient: None, caplog: pytest.LogCaptureFixture
) -> None:
    page = Page(identity=lambda: {"user_token": "7", "plan": "Pro"}, where="identity_loader")
    with caplog.at_level(logging.WARNING, LOGGER_NAME):
        assert calls(render_page(widget, page)) == [["setUserToken", ["7"]]]
    (record,) = caplog.records
    assert "identity_loader: unknown render() argument(s) plan; accepted:" in record.message
    assert "user_token" in record.message


def test_unknown_identity_keys_raise_when_strict(widget: Widget) -> None:
    page = Page(identity=lambda: {"plan": "Pro"}, strict=True)
    with pytest.raises(JivoConfigError, match=r"identity: unknown render\(\) argument\(s\) plan"):
        render_page(widget, page)


class Boom(RuntimeError):
    pass


def _raise() -> Mapping[str, Any]:
    raise Boom("database down: ann@example.com")


def test_a_failing_resolver_leaves_only_the_identity_out(
    widget: Widget, lenient: None, caplog: pytest.LogCaptureFixture
) -> None:
    page = Page(identity=_raise, arguments={"page_title": "Home"}, where="JIVO_WIDGET_IDENTITY")
    with caplog.at_level(logging.WARNING, LOGGER_NAME):
        assert calls(render_page(widget, page)) == [["sendPageTitle", ["Home", True]]]
    (record,) = caplog.records
    assert record.getMessage().startswith("jivo-widget: JIVO_WIDGET_IDENTITY raised Boom (left out")
    assert "ann@example.com" not in record.getMessage()  # the message may be personal
    assert record.exc_info is not None  # ...but the traceback is not hidden


def test_a_failing_resolver_raises_itself_when_strict(widget: Widget) -> None:
    with pytest.raises(Boom):
        render_page(widget, Page(identity=_raise, strict=True))


@pytest.mark.parametrize("returned", [["user_token", "1"], "u-1", 42])
def test_a_resolver_must_return_a_mapping(
    widget: Widget, lenient: None, returned: object, caplog: pytest.LogCaptureFixture
) -> None:
    page = Page(identity=lambda: returned)  # type: ignore[arg-type,return-value]
    with caplog.at_level(logging.WARNING, LOGGER_NAME):
        assert calls(render_page(widget, page)) == []
    assert f"must return a dict of render() arguments or None, got {type(returned).__name__}" in (
        caplog.text
    )
    with pytest.raises(JivoConfigError, match="must return a dict"):
        render_page(widget, Page(identity=lambda: returned, strict=True))  # type: ignore[arg-type,return-value]


def test_invalid_identity_data_is_dropped_field_by_field(
    widget: Widget, lenient: None, caplog: pytest.LogCaptureFixture
) -> None:
    page = Page(identity=lambda: {"user_token": "9", "contact": {"email": b"x", "name": "Ann"}})
    assert calls(render_page(widget, page)) == [
        ["setUserToken", ["9"]],
        ["setContactInfo", [{"name": "Ann"}]],
    ]
    assert "contact.email" in caplog.text


def test_an_unexpected_error_leaves_the_glue_out_and_is_logged(
    lenient: None, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(Widget):
        def render(self, **kwargs: Any) -> Markup:  # type: ignore[override]
            raise ZeroDivisionError

    broken = Broken(widget_id=ID)
    with caplog.at_level(logging.ERROR, LOGGER_NAME):
        assert render_page(broken, Page()) == ""
    assert "the widget was left out of the page: ZeroDivisionError" in caplog.text
    with pytest.raises(ZeroDivisionError):
        render_page(broken, Page(strict=True))


def test_strict_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JIVO_WIDGET_STRICT", raising=False)
    plain = Widget(widget_id=ID)
    assert strict_for(plain, debug=True) is True
    assert strict_for(plain, debug=False) is None
    # the Widget's own setting and the environment variable win over the framework's debug
    assert strict_for(Widget(widget_id=ID, strict=False), debug=True) is None
    monkeypatch.setenv("JIVO_WIDGET_STRICT", "0")
    assert strict_for(plain, debug=True) is None


# ------------------------------------------------------------------ visitor_id (issue 10)


class SigningWidget(Widget):
    """Stands for the Widget once it takes ``visitor_id`` (issue 10): a new render() argument."""

    def render(  # type: ignore[override]
        self,
        *,
        visitor_id: str | None = None,
        user_token: str | int | None = None,
        contact: Mapping[str, Any] | None = None,
        custom_data: Sequence[Mapping[str, Any]] | None = None,
        client_attributes: Mapping[str, Any] | None = None,
        page_title: str | None = None,
        page_url: str | None = None,
        clear_history: bool = False,
        nonce: str | None = None,
        strict: bool | None = None,
    ) -> Markup:
        token = f"signed.{visitor_id}" if visitor_id is not None else user_token
        return super().render(
            user_token=token,
            contact=contact,
            custom_data=custom_data,
            client_attributes=client_attributes,
            page_title=page_title,
            page_url=page_url,
            clear_history=clear_history,
            nonce=nonce,
            strict=strict,
        )


def test_a_new_render_argument_passes_straight_through(widget: Widget) -> None:
    page = Page(identity=lambda: {"visitor_id": "42"}, strict=True)
    assert calls(render_page(SigningWidget(widget_id=ID), page)) == [
        ["setUserToken", ["signed.42"]]
    ]
    with pytest.raises(JivoConfigError, match="visitor_id"):  # today's Widget does not take it
        render_page(widget, page)


# ------------------------------------------------------------------ helpers


def test_user_identity_leaves_empty_fields_out() -> None:
    assert user_identity(7) == {"user_token": 7}
    assert user_identity(7, name="", email="a@b.c") == {
        "user_token": 7,
        "contact": {"email": "a@b.c"},
    }
    assert user_identity("u", name="Ann", email=None) == {
        "user_token": "u",
        "contact": {"name": "Ann"},
    }


def test_widget_from_setting(tmp_path: Any) -> None:
    assert widget_from_setting({"widget_id": ID}, name="S").widget_id == ID
    toml = tmp_path / "jivo.toml"
    toml.write_text(f'widget_id = "{ID}"\ncolor = "#000000"\n')
    from_file = widget_from_setting(
        {"config": "jivo.toml", "color": "#ffffff"}, name="S", base_dir=tmp_path
    )
    assert (from_file.widget_id, from_file.color) == (ID, "#ffffff")
    same = Widget(widget_id=ID)
    assert widget_from_setting(same, name="S") is same


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "S: must be a dict of Widget fields or {'config': 'jivo.toml'}, got NoneType"),
        ({"widget_id": "no!"}, "S: widget_id: must be 4-32 letters"),
        ({"config": "missing.toml"}, "S: "),
        ({"config": 3}, "S: config: must be the path of a TOML file, got 3"),
        ({"widget_id": ID, "colour": "#000000"}, "S: colour: unknown field"),
    ],
)
def test_widget_from_setting_errors_name_the_setting(value: object, message: str) -> None:
    with pytest.raises(JivoConfigError) as info:
        widget_from_setting(value, name="S")
    assert str(info.value).startswith(message)
    if value == {"config": "missing.toml"}:
        assert "missing.toml: cannot read config" in str(info.value)


# ------------------------------------------------------------------ insertion


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<html><body>x</body></html>", b"<html><body>xGLUE</body></html>"),
        (b"<BODY>x</BODY >", b"<BODY>xGLUE</BODY >"),
        (
            b"<body><pre>&lt;/body&gt;</pre></body><!-- </body> -->",
            b"<body><pre>&lt;/body&gt;</pre></body><!-- GLUE</body> -->",
        ),
        (b"<p>no body tag</p>", None),
        (b"<body><script data-jivo='[]'>x</script></body>", None),
    ],
)
def test_insert_before_the_last_body_end(body: bytes, expected: bytes | None) -> None:
    assert insert_before_body(body, b"GLUE") == expected


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        ("text/html", "utf-8"),
        ("text/html; charset=UTF-8", "utf-8"),
        ('TEXT/HTML;charset="iso-8859-1"', "iso-8859-1"),
        ("text/html; foo=bar", "utf-8"),
        ("application/xhtml+xml", None),
        ("text/plain", None),
        ("application/json", None),
        ("", None),
    ],
)
def test_html_charset(content_type: str, charset: str | None) -> None:
    assert html_charset(content_type) == charset
