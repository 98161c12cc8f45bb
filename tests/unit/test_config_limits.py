"""Issue 6 item 18 (config parts): deeply nested rules, and an empty contact.

Deep nesting from any source (Python, a JSON rules file, TOML, ``model_validate_json``) is a
:class:`JivoConfigError` naming the field, never a ``RecursionError``; an empty contact sends no
``setContactInfo({})``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jivo_widget import JivoConfigError, Widget
from jivo_widget.config import RULES_MAX_DEPTH, Contact

ID = "AbCdEf1234"


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
