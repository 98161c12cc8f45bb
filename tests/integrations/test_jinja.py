"""The Jinja extension: {% jivo_widget %} and {{ jivo_widget(...) }} in any environment."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import jinja2
import pytest

from jivo_widget import JivoConfigError, Widget
from jivo_widget.identity import UserTokens
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


# ------------------------------------------------------------------ verified identity

SECRET = "tye64d8818007570e9fd4e9736da383b0ee124e91e4d44ce852432456df0e986"


def test_visitor_id_in_the_tag_and_the_global_is_signed(env: jinja2.Environment) -> None:
    env.jivo_widget_config = Widget(widget_id=ID, identity_secret=SECRET)  # type: ignore[attr-defined]
    tokens = UserTokens(SECRET)
    for source in ("{% jivo_widget visitor_id=user.id %}", "{{ jivo_widget(visitor_id=user.id) }}"):
        ((name, (token,)),) = calls(env.from_string(source).render(user={"id": 7}))
        assert name == "setUserToken"
        assert tokens.verify(token).visitor_id == "7"


def test_visitor_id_without_a_secret_in_a_strict_session_raises(env: jinja2.Environment) -> None:
    with pytest.raises(JivoConfigError, match=r"^visitor_id: needs the Widget's identity_secret"):
        env.from_string("{% jivo_widget visitor_id='7' %}").render()


def test_a_static_site_names_the_file_static_js_writes(tmp_path: Any) -> None:
    """A static site generator: the strategy, its options and the facade pass through the
    Widget; the page names, with its integrity, the very file ``jivo-widget static-js`` writes
    into the site's output."""
    import base64
    import hashlib

    from click.testing import CliRunner

    from jivo_widget.cli.static_js import static_js

    config = tmp_path / "jivo.toml"
    config.write_text(
        f'widget_id = "{ID}"\nstrategy = "visible"\nstatic_url = "/assets/jivo/"\nfacade = true\n'
        '[strategy_options]\nselector = "#contact"\n'
    )
    environment = jinja2.Environment(
        extensions=["jivo_widget.integrations.jinja.JivoExtension"], autoescape=True
    )
    environment.jivo_widget_config = Widget.from_file(config)  # type: ignore[attr-defined]
    html = environment.from_string("{% jivo_widget %}").render()
    assert 'id="jivo-facade"' in html
    match = re.search(r'<script src="/assets/jivo/([^"]+)" integrity="sha256-([^"]+)"', html)
    assert match, html
    result = CliRunner().invoke(
        static_js, [str(tmp_path / "site" / "assets" / "jivo"), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    written = (tmp_path / "site" / "assets" / "jivo" / match.group(1)).read_bytes()
    assert base64.b64encode(hashlib.sha256(written).digest()).decode() == match.group(2)
    assert '"#contact"' in written.decode()  # the strategy's options are in the file
