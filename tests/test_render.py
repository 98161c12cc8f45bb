"""Rendered glue structure: scripts, nonce, CSP hashes, data block, strategies, disabled."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from html import unescape as html_unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup

import jivo_widget
from jivo_widget import Widget, _resources, catalog
from jivo_widget.render import asset
from jivo_widget.strategies import STRATEGIES, register_strategy

ID = "AbCdEf1234"
LOADER = f"https://code.jivosite.com/widget/{ID}"


class Scripts(HTMLParser):
    """Every element in the glue: (tag, attrs, text)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.elements: list[tuple[str, dict[str, str | None], str]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), ""))

    def handle_data(self, data: str) -> None:
        tag, attrs, text = self.elements[-1]
        self.elements[-1] = (tag, attrs, text + data)


def parts(html: str) -> tuple[list[Any], str, list[dict[str, str | None]]]:
    """(the calls in the data attribute, bootstrap source, attributes of every script)."""
    elements = Scripts(html).elements
    assert [tag for tag, _, _ in elements] == ["script"]
    ((_, attrs, boot),) = elements
    data = attrs.get("data-jivo")
    assert data is not None
    return json.loads(html_unescape(data)), boot, [attrs]


def test_structure_and_calls_in_order() -> None:
    widget = Widget(
        widget_id=ID,
        color="#112233",
        rules={"r": 1},
        client_attributes={"plan": "pro"},
        invitation={"text": "Hi", "department_id": 2, "delay": 20},
    )
    html = widget.render(
        clear_history=True,
        user_token="u-1",
        contact={"name": "Ann", "email": None},
        custom_data=[{"content": "c", "link": "https://x.test/a"}],
        client_attributes={"seats": 3},
        page_title="Cart",
    )
    assert isinstance(html, Markup)
    data, _, _ = parts(html)
    assert data == [
        ["clearHistory", []],
        ["setUserToken", ["u-1"]],
        ["setContactInfo", [{"name": "Ann"}]],  # unset fields are not sent
        ["setCustomData", [[{"content": "c", "link": "https://x.test/a"}]]],
        ["setClientAttributes", [{"plan": "pro", "seats": 3}]],
        ["sendPageTitle", ["Cart", True]],
        ["setWidgetColor", ["#112233"]],
        ["setRules", [{"r": 1}]],
        ["showProactiveInvitation", ["Hi", 2], 20.0],
    ]


def test_static_client_attributes_without_request_ones() -> None:
    data, _, _ = parts(Widget(widget_id=ID, client_attributes={"a": 1}).render())
    assert data == [["setClientAttributes", [{"a": 1}]]]


def test_no_calls() -> None:
    data, _, _ = parts(Widget(widget_id=ID).render())
    assert data == []


def test_nonce_on_every_script_tag() -> None:
    _, _, attrs = parts(Widget(widget_id=ID).render(nonce="AbC+/=_-9"))
    assert [a.get("nonce") for a in attrs] == ["AbC+/=_-9"]
    _, _, attrs = parts(Widget(widget_id=ID).render())
    assert all("nonce" not in a for a in attrs)


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def test_csp_hash_matches_the_inline_bootstrap_for_every_request() -> None:
    widget = Widget(widget_id=ID, handlers={"jivo_onOpen": "x()"})
    first = parts(widget.render(user_token="a", nonce="n1"))[1]
    second = parts(widget.render(user_token="b", contact={"name": "B"}, custom_data=[]))[1]
    assert first == second  # per-request data never reaches the executed script
    assert widget.csp_hashes() == (_sha256(first),)


def test_csp_hash_depends_on_the_config_handlers() -> None:
    plain = Widget(widget_id=ID).csp_hashes()
    other = Widget(widget_id="ZyXwVu9876").csp_hashes()
    handled = Widget(widget_id=ID, handlers={"jivo_onOpen": "x()"}).csp_hashes()
    assert plain != other  # the loader URL is part of the static bootstrap
    assert plain != handled
    assert plain == Widget(widget_id=ID).csp_hashes()


def test_hostile_data_stays_inside_the_data_block() -> None:
    hostile = "</script><script>alert(1)</script><!--<script>"
    html = Widget(widget_id=ID).render(user_token=hostile, contact={"name": hostile})
    data, _, _ = parts(html)  # still exactly one script element
    assert data[0] == ["setUserToken", [hostile]]
    assert html.count("</script>") == 1
    # Single-quoted attribute: the serializer escapes every character that could end it.
    assert "'" not in str(html).split("data-jivo='", 1)[1].split("'>", 1)[0]


def test_handlers_become_functions_with_catalog_parameters() -> None:
    widget = Widget(
        widget_id=ID,
        handlers={
            "jivo_onChangeState": "log(state) // trailing comment",
            "jivo_onCallEnd": "r(res)",
        },
    )
    boot = widget.renderer.bootstrap
    assert "function(state){\nlog(state) // trailing comment\n}" in boot
    assert "function(res){\nr(res)\n}" in boot
    assert [p.name for p in catalog.CALLBACKS["jivo_onChangeState"].params] == ["state"]


def test_the_core_claims_the_load_callback_and_the_configured_callbacks_only() -> None:
    # The core claims the callbacks in its handlers object (and those a page registers with
    # jivoWidget.on): jivo_onLoadCallback always, the configured ones, no list of Jivo's names.
    boot = Widget(widget_id=ID).renderer.bootstrap
    assert f'(window,document,"{ID}","{LOADER}",{{"jivo_onLoadCallback":[]}},' in boot
    assert [name for name in catalog.CALLBACKS if name in boot] == ["jivo_onLoadCallback"]
    handled = Widget(
        widget_id=ID, handlers={"jivo_onOpen": "x()", "jivo_onLoadCallback": ["y()", "z()"]}
    ).renderer.bootstrap
    assert (
        ',{"jivo_onLoadCallback":[function(){\ny()\n},function(){\nz()\n}],'
        '"jivo_onOpen":[function(){\nx()\n}]},'
    ) in handled


def test_disabled_widget_renders_nothing() -> None:
    widget = Widget(widget_id=ID, enabled=False)
    assert widget.render(user_token="u", nonce="n") == Markup("")
    assert widget.csp_hashes() == ()


def test_disabled_widget_still_validates_its_config() -> None:
    with pytest.raises(ValueError, match="color"):
        Widget(widget_id=ID, enabled=False, color="red")


#: Options each built-in strategy with a model can be given (its required ones included).
EXAMPLE_OPTIONS: dict[str, dict[str, Any]] = {
    "click": {"selector": ".chat"},
    "visible": {"selector": "#contact", "margin": "100px"},
    "consent": {"cookie": "cmp", "cookie_value": "yes"},
    "idle": {"timeout": 2},
}


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_each_strategy_renders_its_function(strategy: str) -> None:
    registered = STRATEGIES[strategy]
    options = EXAMPLE_OPTIONS.get(strategy)
    boot = Widget(widget_id=ID, strategy=strategy, strategy_options=options).renderer.bootstrap
    function = asset(str(registered.asset))
    if registered.options is None:
        assert options is None
        assert boot.endswith(f",{function})")  # the core's last argument
    else:  # a factory, called with its validated options
        arguments = registered.options.model_validate(options).js_arguments()
        assert boot.endswith(f",({function})({arguments}))")


def test_eager_and_onload_differ() -> None:
    eager = Widget(widget_id=ID).renderer.bootstrap
    onload = Widget(widget_id=ID, strategy="onload").renderer.bootstrap
    assert 'addEventListener("load",' in onload
    assert 'addEventListener("load",' not in eager


def test_csp_hashes_change_with_the_strategy() -> None:
    # The README says so: a site allowing the glue by hash must update the hash when it
    # changes the strategy (the strategy is part of the hashed script).
    hashes = {
        strategy: Widget(widget_id=ID, strategy=strategy).csp_hashes()
        for strategy in ("eager", "onload", "idle", "interaction")
    }
    assert len(set(hashes.values())) == len(hashes)
    for strategy, (source,) in hashes.items():
        bootstrap = Widget(widget_id=ID, strategy=strategy).renderer.bootstrap
        digest = base64.b64encode(hashlib.sha256(bootstrap.encode()).digest()).decode()
        assert source == f"'sha256-{digest}'"


@pytest.fixture
def extra_strategy() -> Iterator[str]:
    register_strategy("test-at-once", source="load();", doc="eager, as a site would write it")
    yield "test-at-once"
    from jivo_widget import strategies

    del strategies._registry["test-at-once"]


def test_new_strategies_need_no_renderer_change(extra_strategy: str) -> None:
    boot = Widget(widget_id=ID, strategy=extra_strategy).renderer.bootstrap
    eager = Widget(widget_id=ID).renderer.bootstrap
    # The same core and configuration; only the strategy function (the last argument) differs.
    assert boot.endswith(",function(load,w,d){\nload();\n})")
    eager_function = asset("strategies/eager.min.js")
    assert boot.rpartition(",function(load,w,d)")[0] == eager.removesuffix(f",{eager_function})")


def test_loader_url_override_is_in_the_bootstrap() -> None:
    _, boot, _ = parts(Widget(widget_id=ID, loader_url="/mock/widget.js").render())
    assert ',"AbCdEf1234","/mock/widget.js",' in boot


def test_templates_are_found_in_the_package_or_the_source_tree() -> None:
    # In this (editable) checkout the package has no templates/ of its own: the top-level one.
    package = Path(jivo_widget.__file__).parent
    assert not (package / "templates").exists()
    glue = _resources.path("templates/jivo_widget/glue.html.j2")
    assert glue == package.parent / "templates" / "jivo_widget" / "glue.html.j2"
    assert glue.is_file()


def test_render_returns_markup_that_jinja_does_not_escape() -> None:
    from jinja2 import Environment

    html = Widget(widget_id=ID).render(user_token="u")
    page = Environment(autoescape=True).from_string("<body>{{ glue }}</body>").render(glue=html)
    assert page == f"<body>{html}</body>"


def test_a_renderer_is_built_from_plain_values_without_a_widget() -> None:
    from jivo_widget.render import Renderer, call

    widget = Widget(
        widget_id=ID,
        handlers={"jivo_onOpen": "x()"},
        color="#112233",
        client_attributes={"plan": "pro"},
    )
    renderer = Renderer(
        widget_id=ID,
        loader_src=widget.loader_src,
        handlers={"jivo_onOpen": ["x()"]},
        client_attributes={"plan": "pro"},
        static_calls=[call("setWidgetColor", "#112233")],
    )
    assert renderer.bootstrap == widget.renderer.bootstrap
    assert renderer.csp_hashes == widget.csp_hashes()
    request = {"user_token": "u", "client_attributes": {"seats": 3}}
    assert renderer.render(request) == widget.render(user_token="u", client_attributes={"seats": 3})


def test_the_renderer_is_prepared_once_per_widget() -> None:
    widget = Widget(widget_id=ID)
    assert widget.renderer is widget.renderer
    copy = widget.model_copy(update={"color": "#112233"})
    assert copy.renderer is not widget.renderer
    assert copy == Widget(widget_id=ID, color="#112233")


# --------------------------------------------------------------------- facade and external


def _style(html: str) -> str:
    return html.split("<style", 1)[1].split(">", 1)[1].split("</style>", 1)[0]


@pytest.mark.parametrize(
    ("strategy", "guard"),
    [("idle", True), ("interaction", True), ("click", False), ("manual", False)],
)
def test_the_facade_wraps_the_strategy_and_guards_only_unasked_loading(
    strategy: str, guard: bool
) -> None:
    options = EXAMPLE_OPTIONS.get(strategy)
    plain = Widget(widget_id=ID, strategy=strategy, strategy_options=options)
    faced = Widget(
        widget_id=ID, strategy=strategy, strategy_options=options, facade={"timeout": 2.5}
    )
    function = plain.renderer.bootstrap.removeprefix(
        f"({asset('glue.min.js')})(window,document,"
    ).split(',{"jivo_onLoadCallback":[]},', 1)[1][:-1]
    wrapped = f'({asset("facade.min.js")})({{"timeout":2500,"guard":{str(guard).lower()}}},'
    assert faced.renderer.bootstrap.endswith(f",{wrapped}{function}))")


def test_the_facade_markup_comes_first_with_the_nonce_on_its_style() -> None:
    widget = Widget(widget_id=ID, facade={"label": "Chat <now>"}, color="#ffcc00")
    html = str(widget.render(user_token="u", nonce="n0nce"))
    assert html.startswith('<div id="jivo-facade" role="region" aria-label="Chat"')
    assert '<style nonce="n0nce">' in html and '<script nonce="n0nce"' in html
    assert "Chat &lt;now&gt;" in html  # escaped
    style = _style(html)
    assert style.startswith(asset("facade.min.css"))
    # The Widget's colour, with the text colour that contrasts more (black on yellow).
    assert style.endswith("#jivo-facade{--jivo-facade-bg:#ffcc00;--jivo-facade-fg:#000}")
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert widget.csp_style_hashes() == (f"'sha256-{digest}'",)
    assert str(widget.render_facade(nonce="n0nce")) == html.split("<script", 1)[0]
    assert str(widget.render_facade()) == html.split("<script", 1)[0].replace(' nonce="n0nce"', "")
    assert Widget(widget_id=ID).csp_style_hashes() == ()
    assert str(Widget(widget_id=ID).render_facade()) == ""


def test_the_facades_own_colour_wins() -> None:
    widget = Widget(widget_id=ID, color="#ffcc00", facade={"color": "#0b5fff"})
    assert _style(str(widget.render())).endswith("--jivo-facade-bg:#0b5fff;--jivo-facade-fg:#fff}")


def test_external_mode_inlines_only_the_requests_data() -> None:
    widget = Widget(widget_id=ID, static_url="/static/jivo/", handlers={"jivo_onOpen": "f()"})
    script = widget.static_script
    assert script is not None
    assert script.text == widget.renderer.bootstrap  # the same glue, in a file
    sha = hashlib.sha256(script.text.encode()).hexdigest()[:12]
    assert script.name == f"jivo-widget.{sha}.js" and script.url == f"/static/jivo/{script.name}"
    sri = base64.b64encode(hashlib.sha256(script.text.encode()).digest()).decode()
    assert script.integrity == f"sha256-{sri}"
    assert widget.csp_hashes() == (f"'sha256-{sri}'",)
    html = str(widget.render(user_token="u-'42'", nonce="n0nce"))
    assert html == (
        f'<script src="{script.url}" integrity="{script.integrity}"'
        """ nonce="n0nce" data-jivo='[["setUserToken",["u-\\u002742\\u0027"]]]'></script>"""
    )
    # From another origin (a CDN): a CORS request, which SRI needs there.
    cdn = str(Widget(widget_id=ID, static_url="https://cdn.example/j/").render())
    assert ' integrity="sha256-' in cdn and ' crossorigin="anonymous" data-jivo=' in cdn
    # Another config, another file: a cached old copy can never be used for it.
    other = Widget(widget_id=ID, static_url="/static/jivo/", handlers={"jivo_onOpen": "g()"})
    assert other.static_script is not None and other.static_script.name != script.name
    assert Widget(widget_id=ID).static_script is None


def test_the_static_file_is_written_where_asked(tmp_path: Path) -> None:
    script = Widget(widget_id=ID, static_url="https://cdn.example/j/").static_script
    assert script is not None
    path = script.write(tmp_path / "static")
    assert path == tmp_path / "static" / script.name
    assert path.read_bytes() == script.text.encode("utf-8")
