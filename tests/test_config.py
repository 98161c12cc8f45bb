"""Widget config and per-request validation: every rule, every bad input and its message."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from jivo_widget import JivoConfigError, Widget, catalog
from jivo_widget.config import RULES_MAX_DEPTH, Contact, CustomField, Invitation, JivoConfigWarning
from jivo_widget.urls import URL_RULE

ID = "AbCdEf1234"


def error_of(**config: Any) -> str:
    with pytest.raises(JivoConfigError) as info:
        Widget(**config)
    return str(info.value)


def render_error(widget: Widget | None = None, **request: Any) -> str:
    with pytest.raises(JivoConfigError) as info:
        (widget or Widget(widget_id=ID)).render(**request, strict=True)
    return str(info.value)


# ------------------------------------------------------------------ widget_id


@pytest.mark.parametrize("widget_id", ["AbCdEf1234", "a_b-C9d0e1", "n5tgRPpmSi"])
def test_valid_widget_ids(widget_id: str) -> None:
    assert Widget(widget_id=widget_id).widget_id == widget_id


@pytest.mark.parametrize(
    "widget_id", ["abc", "x" * 33, "AbC dEf123", "AbCd/Ef123", "Ab<Cd>1234", ""]
)
def test_invalid_widget_id_names_the_field_and_rule(widget_id: str) -> None:
    message = error_of(widget_id=widget_id)
    assert message.startswith("widget_id: must be 4-32 letters, digits, _ and -")
    assert repr(widget_id) in message


def test_widget_id_of_unusual_length_warns_but_works() -> None:
    with pytest.warns(JivoConfigWarning, match=r"'Et2u4i' is 6 characters long"):
        widget = Widget(widget_id="Et2u4i")
    assert "/widget/Et2u4i" in widget.render()


def test_widget_id_must_be_a_string() -> None:
    assert error_of(widget_id=1234567890) == "widget_id: Input should be a valid string"


def test_missing_widget_id() -> None:
    assert error_of() == "widget_id: Field required"


def test_unknown_field_is_named() -> None:
    assert error_of(widget_id=ID, colour="#ffffff") == "colour: unknown field"


# ------------------------------------------------------------------ loader


def test_default_loader_is_the_first_catalog_host() -> None:
    widget = Widget(widget_id=ID)
    assert widget.loader_src == f"https://{catalog.LOADER_HOSTS[0]}/widget/{ID}"


@pytest.mark.parametrize("host", catalog.LOADER_HOSTS)
def test_every_catalog_host_is_accepted(host: str) -> None:
    assert Widget(widget_id=ID, loader_host=host).loader_src == f"https://{host}/widget/{ID}"


def test_unknown_host_lists_the_valid_ones() -> None:
    message = error_of(widget_id=ID, loader_host="evil.example.com")
    assert message.startswith("loader_host: must be one of code.jivosite.com, code.jivo.ru")
    assert "'evil.example.com'" in message


@pytest.mark.parametrize(
    "url", ["/static/jivo-mock.js", "https://cdn.example.com/jivo.js", "/_jivo/mock/widget/x"]
)
def test_loader_url_overrides_the_host(url: str) -> None:
    assert Widget(widget_id=ID, loader_url=url).loader_src == url


@pytest.mark.parametrize(
    "url", ["//cdn.example.com/x.js", "javascript:alert(1)", "ftp://x/y", "x.js"]
)
def test_bad_loader_url(url: str) -> None:
    assert error_of(widget_id=ID, loader_url=url).startswith(
        "loader_url: must be an https URL or a /path"
    )


# ------------------------------------------------------------------ static config


def test_invitation_fields() -> None:
    widget = Widget(widget_id=ID, invitation={"text": "Hi", "department_id": 3, "delay": 20})
    assert widget.invitation == Invitation(text="Hi", department_id=3, delay=20.0)


@pytest.mark.parametrize(
    ("invitation", "message"),
    [
        ({"text": ""}, "invitation.text: String should have at least 1 character"),
        ({"delay": 3}, "invitation.text: Field required"),
        (
            {"text": "Hi", "department_id": "7"},
            "invitation.department_id: Input should be a valid integer",
        ),
        (
            {"text": "Hi", "delay": -1},
            "invitation.delay: Input should be greater than or equal to 0",
        ),
        ({"text": "Hi", "delay": "soon"}, "invitation.delay: Input should be a valid number"),
        ({"text": "Hi", "dept": 1}, "invitation.dept: unknown field"),
    ],
)
def test_bad_invitation(invitation: dict[str, Any], message: str) -> None:
    assert error_of(widget_id=ID, invitation=invitation) == message


@pytest.mark.parametrize("color", ["#12ab34", "#FFFFFF"])
def test_colors(color: str) -> None:
    assert Widget(widget_id=ID, color=color, color2="#000000").color == color


@pytest.mark.parametrize("color", ["red", "#fff", "#12345g", "12ab34", "#12ab34 "])
def test_bad_color(color: str) -> None:
    assert (
        error_of(widget_id=ID, color=color) == f"color: must be a #rrggbb hex colour, got {color!r}"
    )


def test_second_colour_needs_the_first() -> None:
    assert (
        error_of(widget_id=ID, color2="#ffffff") == "color2: a second (gradient) colour needs color"
    )


def test_rules_as_dict_and_as_json_file(tmp_path: Path) -> None:
    rules = {"rules": [{"name": "r"}]}
    (tmp_path / "rules.json").write_text(json.dumps(rules))
    assert Widget(widget_id=ID, rules=rules).rules == rules
    assert Widget(widget_id=ID, rules=tmp_path / "rules.json").rules == rules


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"rules: cannot read .*missing\.json \(No such file or directory\)"),
        ("{", r"rules: .*rules\.json is not valid JSON \(Expecting"),
        ("[1]", r"rules: .*rules\.json must hold a JSON object"),
    ],
)
def test_bad_rules_file(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / ("missing.json" if content is None else "rules.json")
    if content is not None:
        path.write_text(content)
    assert re.match(message, error_of(widget_id=ID, rules=path))


def test_rules_must_be_an_object() -> None:
    assert error_of(widget_id=ID, rules=[1]) == "rules: Input should be a valid dictionary"


def test_client_attributes_are_strings_or_numbers() -> None:
    attrs = {"plan": "pro", "seats": 3, "score": 4.5}
    assert Widget(widget_id=ID, client_attributes=attrs).client_attributes == attrs
    assert error_of(widget_id=ID, client_attributes={"ok": 1, "flag": True, "tags": ["a"]}) == (
        "client_attributes.flag: must be a string or a finite number, got bool; "
        "client_attributes.tags: must be a string or a finite number, got list"
    )


# ------------------------------------------------------------------ handlers, strategy, enabled


def test_handlers_one_or_many_per_callback() -> None:
    widget = Widget(widget_id=ID, handlers={"jivo_onOpen": "a()", "jivo_onClose": ["b()", "c()"]})
    assert widget.handlers == {"jivo_onOpen": ["a()"], "jivo_onClose": ["b()", "c()"]}


def test_unknown_callback_is_rejected_with_the_valid_names() -> None:
    message = error_of(widget_id=ID, handlers={"jivo_onOpened": "x()"})
    assert message == (
        "handlers: unknown callback 'jivo_onOpened'; valid names: " + ", ".join(catalog.CALLBACKS)
    )


@pytest.mark.parametrize("code", ["x('</script>')", "x('</SCRIPT')", "<!-- x", "x('<script>')"])
def test_handler_code_that_would_break_the_script_element(code: str) -> None:
    message = error_of(widget_id=ID, handlers={"jivo_onOpen": code})
    assert message.startswith("handlers: jivo_onOpen[0]: line 1: must not contain '</script'")


def test_handler_code_must_be_strings() -> None:
    assert error_of(widget_id=ID, handlers={"jivo_onOpen": [1]}) == (
        "handlers.jivo_onOpen[0]: Input should be a valid string"
    )


def test_unknown_strategy_lists_the_registered_ones() -> None:
    assert error_of(widget_id=ID, strategy="sometimes") == (
        "strategy: must be one of eager, onload, idle, interaction, click, visible, consent, "
        "manual, got 'sometimes'"
    )


def test_enabled_must_be_a_bool() -> None:
    assert error_of(widget_id=ID, enabled="no") == "enabled: Input should be a valid boolean"


def test_several_errors_are_reported_on_one_line() -> None:
    message = error_of(widget_id="x", color="blue")
    assert "\n" not in message
    assert message.startswith("widget_id: ") and "; color: " in message


# ------------------------------------------------------------------ TOML


def test_from_file_reads_toml_with_a_relative_rules_file(tmp_path: Path) -> None:
    (tmp_path / "rules.json").write_text('{"rules": []}')
    (tmp_path / "jivo.toml").write_text(
        f'widget_id = "{ID}"\nrules = "rules.json"\ncolor = "#112233"\n'
        '[invitation]\ntext = "Hi"\ndelay = 5\n'
        '[handlers]\njivo_onOpen = ["a()", "b()"]\n'
    )
    widget = Widget.from_file(tmp_path / "jivo.toml")
    assert widget.rules == {"rules": []}
    assert widget.invitation == Invitation(text="Hi", delay=5.0)
    assert widget.handlers == {"jivo_onOpen": ["a()", "b()"]}


def test_from_file_errors(tmp_path: Path) -> None:
    with pytest.raises(JivoConfigError, match=r"nope\.toml: cannot read config"):
        Widget.from_file(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text("widget_id = ")
    with pytest.raises(JivoConfigError, match=r"bad\.toml: invalid TOML"):
        Widget.from_file(tmp_path / "bad.toml")
    (tmp_path / "wrong.toml").write_text('widget_id = "AbCdEf1234"\nenabled = "yes"\n')
    with pytest.raises(JivoConfigError, match=r"^enabled: Input should be a valid boolean$"):
        Widget.from_file(tmp_path / "wrong.toml")


def test_the_demo_config_is_valid() -> None:
    demo = Path(__file__).resolve().parents[1] / "examples" / "demo" / "jivo.toml"
    widget = Widget.from_file(demo)
    assert widget.callbacks and widget.invitation and widget.color


# ------------------------------------------------------------------ per-request data


def test_render_accepts_dicts_and_typed_models_alike() -> None:
    widget = Widget(widget_id=ID)
    as_dicts = widget.render(
        user_token="u", contact={"name": "Ann"}, custom_data=[{"content": "c", "title": "t"}]
    )
    as_models = widget.render(
        user_token="u",
        contact=Contact(name="Ann"),
        custom_data=[CustomField(content="c", title="t")],
    )
    assert as_dicts == as_models


def test_custom_data_limit_comes_from_the_catalog() -> None:
    limit = catalog.CUSTOM_DATA_MAX_FIELDS
    Widget(widget_id=ID).render(custom_data=[{"content": str(i)} for i in range(limit)])
    assert render_error(custom_data=[{"content": str(i)} for i in range(limit + 1)]) == (
        f"custom_data[{limit}]: at most {limit} fields allowed (setCustomData limit)"
    )


@pytest.mark.parametrize(
    ("request_data", "message"),
    [
        ({"custom_data": [{"title": "t"}]}, "custom_data[0].content: Field required"),
        (
            {"custom_data": [{"content": "c"}, {"content": "c", "link": "javascript:alert(1)"}]},
            f"custom_data[1].link: {URL_RULE}",
        ),
        (
            {"custom_data": [{"content": "c", "link": "//x.test"}]},
            f"custom_data[0].link: {URL_RULE}",
        ),
        (
            {"custom_data": [{"content": 5}]},
            "custom_data[0].content: Input should be a valid string",
        ),
        ({"custom_data": [{"content": "c", "url": "x"}]}, "custom_data[0].url: unknown field"),
        ({"custom_data": {"content": "c"}}, "custom_data: Input should be a valid list"),
        ({"user_token": True}, "user_token: Input should be a valid string"),
        ({"user_token": ""}, "user_token: String should have at least 1 character"),
        ({"contact": {"nmae": "Ann"}}, "contact.nmae: unknown field"),
        ({"contact": {"client_name": "Ann"}}, "contact.client_name: unknown field"),
        ({"contact": "Ann"}, "contact: Input should be a valid dictionary"),
        ({"contact": {"phone": 5551234}}, "contact.phone: Input should be a valid string"),
        (
            {"client_attributes": {"a": None}},
            "client_attributes.a: must be a string or a finite number, got NoneType",
        ),
        ({"page_title": 1}, "page_title: Input should be a valid string"),
        (
            {"client_attributes": {1: "x"}},
            "client_attributes[1] (key): Input should be a valid string",
        ),
        (
            {"client_attributes": {"vip": True}},
            "client_attributes.vip: must be a string or a finite number, got bool",
        ),
        (
            {"page_url": "https://x.test"},
            "page_url: needs page_title (sendPageTitle(title, true, url))",
        ),
        ({"page_title": "t", "page_url": "data:x"}, f"page_url: {URL_RULE}"),
        ({"clear_history": "yes"}, "clear_history: Input should be a valid boolean"),
        ({"nonce": 'a" onload="x'}, "nonce: must be a base64 CSP nonce (letters, digits, +/_=-)"),
        ({"nonce": ""}, "nonce: must be a base64 CSP nonce (letters, digits, +/_=-)"),
    ],
)
def test_bad_request_data_names_the_field(request_data: dict[str, Any], message: str) -> None:
    assert render_error(**request_data) == message


def test_unknown_render_argument_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Widget(widget_id=ID).render(usertoken="u")  # type: ignore[call-arg]


def test_no_warning_for_ten_character_ids() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Widget(widget_id=ID)


def test_model_copy_validates_and_prepares_again() -> None:
    widget = Widget(widget_id=ID)
    copy = widget.model_copy(update={"loader_url": "/mock/widget.js"})
    assert ',"/mock/widget.js",' in copy.render()
    assert ',"https://code.jivosite.com/widget/' in widget.render()
    with pytest.raises(JivoConfigError, match=r"^color: must be a #rrggbb"):
        widget.model_copy(update={"color": "red"})


def test_model_validate_raises_the_same_error_type() -> None:
    assert Widget.model_validate({"widget_id": ID}).widget_id == ID
    with pytest.raises(JivoConfigError, match=r"^widget_id: must be 4-32"):
        Widget.model_validate({"widget_id": "x"})


def test_request_validator_matches_the_typed_models() -> None:
    # The per-request validator (pydantic-core, for speed) and the public models describe the
    # same shapes; render()'s keywords are exactly the validator's fields.
    import inspect

    from jivo_widget import _request

    assert tuple(Contact.model_fields) == catalog.CONTACT_FIELDS
    assert tuple(CustomField.model_fields) == catalog.CUSTOM_DATA_FIELD_KEYS
    assert [n for n, f in CustomField.model_fields.items() if f.is_required()] == ["content"]
    assert tuple(inspect.signature(Widget.render).parameters)[1:-1] == _request.REQUEST_FIELDS


def test_typed_models_and_dicts_may_be_mixed() -> None:
    widget = Widget(widget_id=ID)
    mixed = widget.render(custom_data=[CustomField(content="a"), {"content": "b", "title": None}])
    assert '["setCustomData",[[{"content":"a"},{"content":"b"}]]]' in mixed


# ------------------------------------------------------------------ review fixes


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"widget_id": "AbCdEf123\n"}, "widget_id"),
        ({"widget_id": ID, "color": "#12ab34\n"}, "color"),
        ({"widget_id": ID, "color": "#12ab34", "color2": "#ffffff\n"}, "color2"),
    ],
)
def test_a_trailing_newline_is_not_accepted(config: dict[str, Any], field: str) -> None:
    # Python's "$" matches before a final "\n": the patterns must match the whole value.
    assert error_of(**config).startswith(f"{field}: must be")


def test_a_trailing_newline_in_the_nonce_is_not_accepted() -> None:
    assert render_error(nonce="abc\n").startswith("nonce: must be a base64 CSP nonce")


def test_the_id_and_colour_rules_are_the_catalog_patterns() -> None:
    assert re.fullmatch(catalog.WIDGET_ID_PATTERN, ID)
    assert error_of(widget_id="a" * 33).startswith("widget_id: must be")
    assert error_of(widget_id=ID, color="#12ab3").startswith("color: must be a #rrggbb")


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_client_attributes_must_be_finite_numbers(number: float) -> None:
    assert render_error(client_attributes={"a": number}) == (
        "client_attributes.a: must be a string or a finite number, got float"
    )
    assert error_of(widget_id=ID, client_attributes={"a": number}) == (
        "client_attributes.a: must be a string or a finite number, got float"
    )


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"a": float("nan")}, "rules: a is nan, not a JSON value"),
        ({"a": [1, {"b": float("inf")}]}, "rules: a[1].b is inf, not a JSON value"),
        ({"a": {1, 2}}, "rules: a is a set, not a JSON value"),
        ({"a": {1: "x"}}, "rules: a has the key 1; JSON keys are strings"),
    ],
)
def test_rules_must_be_json(rules: dict[str, Any], message: str) -> None:
    assert error_of(widget_id=ID, rules=rules) == message


def test_rules_accept_every_json_value() -> None:
    rules = {"a": [None, True, 1, 1.5, "s", {"b": []}], "t": (1, 2)}
    assert Widget(widget_id=ID, rules=rules).rules == rules


def test_nan_in_toml_names_the_field(tmp_path: Path) -> None:
    for body, field in [
        ("client_attributes = { a = nan }", "client_attributes.a"),
        ("rules = { a = nan }", "rules: a is nan"),
        ("[invitation]\ntext = 'x'\ndelay = inf", "invitation.delay"),
    ]:
        path = tmp_path / "jivo.toml"
        path.write_text(f'widget_id = "{ID}"\n{body}\n')
        with pytest.raises(JivoConfigError, match=re.escape(field)):
            Widget.from_file(path)


def test_a_disabled_widget_still_validates_request_data() -> None:
    # Disabled in development, enabled in production: the same bad call must fail in both.
    disabled = Widget(widget_id=ID, enabled=False)
    assert render_error(disabled, custom_data=[{"content": "c"}] * 11).startswith("custom_data[10]")
    with pytest.raises(JivoConfigError, match=r"^custom_data\[0\]\.content"):
        disabled.render_data(custom_data=[{"content": 1}])


def test_render_data_and_csp_hashes_agree_with_render_when_disabled() -> None:
    disabled = Widget(widget_id=ID, enabled=False)
    assert disabled.render(user_token="u") == ""
    assert disabled.render_data(user_token="u") == ""
    assert disabled.csp_hashes() == ()
    enabled = Widget(widget_id=ID)
    assert json.loads(enabled.render_data(user_token="u")) == [["setUserToken", ["u"]]]


def test_render_parameters_are_the_request_fields() -> None:
    # render()/render_data() pass their locals() to the validator: the names must agree.
    import inspect

    from jivo_widget._request import REQUEST_FIELDS

    # The last parameter of both is strict=, which is not request data.
    assert tuple(inspect.signature(Widget.render).parameters)[1:-1] == REQUEST_FIELDS
    assert tuple(inspect.signature(Widget.render_data).parameters)[1:-1] == REQUEST_FIELDS[:-1]
    assert list(inspect.signature(Widget.render).parameters)[-1] == "strict"
    assert list(inspect.signature(Widget.render_data).parameters)[-1] == "strict"


def test_custom_field_content_must_not_be_empty() -> None:
    # Jivo requires content; the mock flags an empty one as a contract violation.
    assert render_error(custom_data=[{"content": ""}]) == (
        "custom_data[0].content: String should have at least 1 character"
    )
    with pytest.raises(ValueError, match=r"content\n  String should have at least 1"):
        CustomField(content="")


def test_widgets_with_the_same_fields_are_equal() -> None:
    assert Widget(widget_id=ID) == Widget(widget_id=ID)
    assert Widget(widget_id=ID, handlers={"jivo_onOpen": "x()"}) == Widget(
        widget_id=ID, handlers={"jivo_onOpen": ["x()"]}
    )
    assert Widget(widget_id=ID) != Widget(widget_id=ID, color="#112233")
    assert Widget(widget_id=ID) != {"widget_id": ID}


def test_model_validate_json_raises_the_same_error_type() -> None:
    assert Widget.model_validate_json(json.dumps({"widget_id": ID})) == Widget(widget_id=ID)
    with pytest.raises(JivoConfigError, match=r"^color: must be a #rrggbb"):
        Widget.model_validate_json(json.dumps({"widget_id": ID, "color": "red"}))
    with pytest.raises(JivoConfigError, match="Invalid JSON"):
        Widget.model_validate_json("{")


def test_the_id_length_warning_points_at_the_callers_line(tmp_path: Path) -> None:
    with pytest.warns(JivoConfigWarning) as caught:
        Widget(widget_id="Et2u4i")
    assert caught[0].filename == __file__
    with pytest.warns(JivoConfigWarning) as caught:
        Widget.model_validate({"widget_id": "Et2u4i"})
    assert caught[0].filename == __file__
    path = tmp_path / "jivo.toml"
    path.write_text('widget_id = "Et2u4i"\n')
    with pytest.warns(JivoConfigWarning) as caught:
        Widget.from_file(path)
    assert caught[0].filename == __file__


@pytest.mark.parametrize(
    "link",
    [
        'https://a b" onclick=x',
        "https://a.test/x y",
        "https://a.test/\n",
        "https://a.test/\x00",
        "https://a.test/\u2028",
        "https://",
        "https:///path",
        "http://[::1",
        "http://[@0",  # found by the property test below
        "https:a.test",
    ],
)
def test_links_are_parsed_not_prefix_matched(link: str) -> None:
    assert render_error(custom_data=[{"content": "c", "link": link}]) == (
        f"custom_data[0].link: {URL_RULE}"
    )
    assert render_error(page_title="t", page_url=link) == f"page_url: {URL_RULE}"
    with pytest.raises(ValueError, match="http"):
        CustomField(content="c", link=link)


@pytest.mark.parametrize(
    "link", ["https://a.test", "HTTP://A.test:8080/p?q=1#f", "https://[::1]/x", "http://x/%20"]
)
def test_good_links(link: str) -> None:
    assert Widget(widget_id=ID).render(custom_data=[{"content": "c", "link": link}])
    assert CustomField(content="c", link=link).link == link


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/x", "http://code.jivosite.com/widget/x", "https://a b/x", "/a b"]
)
def test_loader_url_is_https_or_a_path(url: str) -> None:
    assert error_of(widget_id=ID, loader_url=url).startswith(
        "loader_url: must be an https URL or a /path"
    )


# ------------------------------------------------------------------ limits
# Deep nesting from any source (Python, a JSON rules file, TOML, ``model_validate_json``) is a
# JivoConfigError naming the field, never a RecursionError; an empty contact sends no
# ``setContactInfo({})``.


def nested(depth: int) -> dict[str, Any]:
    """``{"a": {"a": … {"a": 1}}}`` with ``depth`` objects, built without recursion."""
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value  # type: ignore[no-any-return]


def nested_lists(depth: int) -> dict[str, Any]:
    value: Any = 1
    for _ in range(depth - 1):
        value = [value]
    return {"a": value}


@pytest.mark.parametrize("depth", [RULES_MAX_DEPTH + 1, 3000, 100_000])
@pytest.mark.parametrize("build", [nested, nested_lists])
def test_deep_rules_in_python_name_the_field(depth: int, build: Any) -> None:
    with pytest.raises(JivoConfigError, match=rf"^rules: nested deeper than {RULES_MAX_DEPTH}"):
        Widget(widget_id=ID, rules=build(depth))


def test_rules_at_the_depth_limit_render_and_serialize() -> None:
    rules = nested(RULES_MAX_DEPTH)
    widget = Widget(widget_id=ID, rules=rules, strict=True)
    assert widget.rules == rules
    assert "setRules" in widget.render()


@pytest.mark.parametrize("depth", [RULES_MAX_DEPTH + 1, 3000, 100_000])
def test_deep_rules_file_names_the_field(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "rules.json"
    path.write_text('{"a":' * depth + "1" + "}" * depth)
    with pytest.raises(JivoConfigError, match=r"^rules: .*rules\.json.* nested deeper than"):
        Widget(widget_id=ID, rules=path)


@pytest.mark.parametrize("depth", [3000, 100_000])
def test_deep_toml_is_an_error_naming_the_file(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "jivo.toml"
    path.write_text(f'widget_id = "{ID}"\nrules = {{ a = ' + "[" * depth + "]" * depth + " }\n")
    with pytest.raises(JivoConfigError, match=r"jivo\.toml: invalid TOML \(nested too deeply"):
        Widget.from_file(path)


def test_toml_rules_table_deeper_than_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "jivo.toml"
    depth = RULES_MAX_DEPTH + 5
    path.write_text(f'widget_id = "{ID}"\nrules = {{ a = ' + "[" * depth + "]" * depth + " }\n")
    with pytest.raises(JivoConfigError, match=r"^rules: nested deeper than"):
        Widget.from_file(path)


@pytest.mark.parametrize("depth", [3000, 100_000])
def test_deep_json_config_names_the_problem(depth: int) -> None:
    text = json.dumps({"widget_id": ID})[:-1] + ', "rules": ' + '{"a":' * depth + "1" + "}" * depth
    text += "}"
    with pytest.raises(JivoConfigError) as info:
        Widget.model_validate_json(text)
    assert "rules" in str(info.value) or "recursion" in str(info.value).lower()


@pytest.mark.parametrize(
    "contact",
    [{}, {"name": None}, {"name": None, "email": None, "phone": None, "description": None}],
)
def test_an_empty_contact_sends_nothing(contact: dict[str, Any]) -> None:
    widget = Widget(widget_id=ID, strict=True)
    assert json.loads(widget.render_data(contact=contact, user_token="u")) == [
        ["setUserToken", ["u"]]
    ]
    assert json.loads(widget.render_data(contact=Contact())) == []


def test_a_contact_emptied_by_lenient_dropping_sends_nothing() -> None:
    widget = Widget(widget_id=ID, strict=False)
    assert json.loads(widget.render_data(contact={"phone": 5551234})) == []


# --------------------------------------------------------------------------- lazy loading


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"strategy": "click"}, "strategy_options.selector: Field required"),
        (
            {"strategy": "click", "strategy_options": {"selector": ".x", "open": "yes"}},
            "strategy_options.open: Input should be a valid boolean",
        ),
        (
            {"strategy": "visible", "strategy_options": {"selector": ".x", "margin": "1em"}},
            "strategy_options.margin: String should match pattern",
        ),
        (
            {"strategy": "idle", "strategy_options": {"timout": 3}},
            "strategy_options.timout: unknown field",
        ),
        (
            {"strategy": "idle", "strategy_options": {"timeout": 0}},
            "strategy_options.timeout: Input should be greater than 0",
        ),
        (
            {"strategy": "consent"},
            "strategy_options: needs cookie and cookie_value, or predicate (or both)",
        ),
        (
            {"strategy": "consent", "strategy_options": {"predicate": "return ok("}},
            "strategy_options.predicate: line 1",
        ),
        (
            {"strategy": "eager", "strategy_options": {"timeout": 3}},
            "strategy_options: the 'eager' strategy takes no options",
        ),
        ({"facade": {"label": ""}}, "facade.label: String should have at least 1 character"),
        ({"facade": {"position": "top"}}, "facade.position: Input should be 'right' or 'left'"),
        ({"facade": {"fallback_url": "javascript:alert(1)"}}, "facade.fallback_url: " + URL_RULE),
        ({"facade": "yes"}, "facade: Input should be a valid dictionary or instance of Facade"),
        ({"static_url": "/static"}, "static_url: must be a /path/ on this site or an https"),
        ({"static_url": "http://cdn.example/"}, "static_url: must be a /path/"),
        ({"static_url": "//cdn.example/"}, "static_url: must be a /path/"),
    ],
)
def test_lazy_loading_config_errors_name_the_field(config: dict[str, Any], message: str) -> None:
    assert error_of(widget_id=ID, **config).startswith(message)


def test_strategy_options_default_and_facade_switch() -> None:
    widget = Widget(widget_id=ID, strategy="idle", facade=True)
    assert widget.strategy_options is None and widget.facade is not None
    assert widget.facade.label == "Open chat"
    assert Widget(widget_id=ID, facade=False).facade is None
    assert Widget(widget_id=ID, static_url="https://cdn.example/jivo/").static_url


def test_lazy_loading_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "jivo.toml"
    path.write_text(
        'widget_id = "AbCdEf1234"\nstrategy = "click"\nstatic_url = "/static/jivo/"\n'
        '[strategy_options]\nselector = ".chat-now"\n'
        '[facade]\nlabel = "Chat with us"\nfallback_url = "mailto:help@shop.example"\n'
        "timeout = 8\n"
    )
    widget = Widget.from_file(path)
    assert widget.strategy_options == {"selector": ".chat-now"}
    assert widget.facade is not None and widget.facade.timeout == 8.0
    assert widget.static_script is not None
    assert widget.static_script.url.startswith("/static/jivo/jivo-widget.")
