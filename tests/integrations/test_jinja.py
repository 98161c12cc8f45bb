"""The Jinja extension: {% jivo_widget %} and {{ jivo_widget(...) }} in any environment."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import jinja2
import pytest

from jivo_widget import JivoConfigError, Widget
from jivo_widget.integrations._core import Page, PageOptions

ID = "AbCdEf1234"


def calls(html: str) -> list[Any]:
    match = re.search(r"data-jivo='([^']*)'", html)
    assert match, html
    return list(json.loads(match.group(1)))


@pytest.fixture
def env() -> jinja2.Environment:
    environment = jinja2.Environment(
        extensions=["jivo_widget.integrations.jinja.JivoExtension"], autoescape=True
    )
    environment.jivo_widget_config = Widget(widget_id=ID)  # type: ignore[attr-defined]
    return environment


def test_the_tag_with_and_without_arguments(env: jinja2.Environment) -> None:
    assert calls(env.from_string("{% jivo_widget %}").render()) == []
    html = env.from_string(
        "{% jivo_widget user_token=user.id, contact={'name': user.name} page_title='Shop' %}"
    ).render(user={"id": 7, "name": "O'Brien </script>"})
    assert calls(html) == [
        ["setUserToken", ["7"]],
        ["setContactInfo", [{"name": "O'Brien </script>"}]],
        ["sendPageTitle", ["Shop", True]],
    ]
    assert html.count("</script>") == 1  # the name's </script> is escaped inside the data


def test_the_global_call_and_autoescaping(env: jinja2.Environment) -> None:
    html = env.from_string(
        "<body>{{ jivo_widget(custom_data=[{'content': plan}]) }}</body>"
    ).render(plan="Pro & <b>")
    assert html.startswith("<body><script data-jivo=")  # Markup: not escaped again
    assert calls(html) == [["setCustomData", [[{"content": "Pro & <b>"}]]]]


def test_works_without_autoescape(env: jinja2.Environment) -> None:
    plain = jinja2.Environment(extensions=["jivo_widget.integrations.jinja.JivoExtension"])
    plain.jivo_widget_config = Widget(widget_id=ID)  # type: ignore[attr-defined]
    assert plain.from_string("{% jivo_widget %}").render().startswith("<script data-jivo='[]'")


@pytest.mark.parametrize("nonce", ["abc123", lambda: "abc123"])
def test_csp_nonce_from_the_context_variable(env: jinja2.Environment, nonce: object) -> None:
    html = env.from_string("{{ jivo_widget() }}").render(csp_nonce=nonce)
    assert html.startswith('<script nonce="abc123" data-jivo=')
    assert (
        env.from_string("{% jivo_widget nonce='xyz' %}")
        .render(csp_nonce=nonce)
        .startswith('<script nonce="xyz"')
    )


def test_a_template_variable_cannot_replace_the_tag(env: jinja2.Environment) -> None:
    html = env.from_string("{% jivo_widget %}").render(jivo_widget=lambda **kw: "HIJACKED")
    assert "HIJACKED" not in html and "data-jivo" in html


def test_the_page_hook_of_frameworks(env: jinja2.Environment) -> None:
    seen: list[Any] = []

    def page(context: Any) -> Page:
        seen.append(context.get("request"))
        return Page(identity=lambda: {"user_token": "u-1"}, options=PageOptions(page_title="X"))

    env.jivo_widget_page = page  # type: ignore[attr-defined]
    html = env.from_string("{% jivo_widget contact={'name': 'Ann'} %}").render(request="R")
    assert calls(html) == [
        ["setUserToken", ["u-1"]],
        ["setContactInfo", [{"name": "Ann"}]],
        ["sendPageTitle", ["X", True]],
    ]
    assert seen == ["R"]


def test_a_missing_config_is_a_setup_error() -> None:
    env = jinja2.Environment(extensions=["jivo_widget.integrations.jinja.JivoExtension"])
    with pytest.raises(JivoConfigError, match=r"set env\.jivo_widget_config = Widget"):
        env.from_string("{% jivo_widget %}").render()


def test_bad_tag_syntax_is_a_template_error(env: jinja2.Environment) -> None:
    with pytest.raises(jinja2.TemplateSyntaxError):
        env.from_string("{% jivo_widget user_token %}")


def test_invalid_data_in_a_strict_session_raises(env: jinja2.Environment) -> None:
    # The jivo_mock plugin makes test sessions strict (JIVO_WIDGET_STRICT=1).
    with pytest.raises(JivoConfigError, match="custom_data"):
        env.from_string("{% jivo_widget custom_data=[{'content': ''}] %}").render()


def test_invalid_data_on_a_lenient_page_is_dropped(
    env: jinja2.Environment, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("JIVO_WIDGET_STRICT", raising=False)
    html = env.from_string("{% jivo_widget user_token='1', custom_data=[{'content': ''}] %}")
    assert calls(html.render()) == [["setUserToken", ["1"]]]
    assert "custom_data[0].content" in caplog.text


def test_async_environments(run_async: Callable[[Any], Any]) -> None:
    env = jinja2.Environment(
        extensions=["jivo_widget.integrations.jinja.JivoExtension"], enable_async=True
    )
    env.jivo_widget_config = Widget(widget_id=ID)  # type: ignore[attr-defined]

    async def render() -> tuple[str, str]:
        tag = await env.from_string("{% jivo_widget user_token='a' %}").render_async()
        call = await env.from_string("{{ jivo_widget(user_token='b') }}").render_async()
        return tag, call

    tag, call = run_async(render())
    assert calls(tag) == [["setUserToken", ["a"]]]
    assert calls(call) == [["setUserToken", ["b"]]]
