"""jivo_widget.browser: typed stubs kept equal to the catalog, and usable with mypy --strict."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import pytest

from jivo_widget import browser, catalog
from jivo_widget.transpile import subset

# Catalog JS types -> the Python annotation a stub parameter must have (optional: | None).
SIMPLE = {"string": str, "integer": int, "number": float, "boolean": bool}


def stub_methods(protocol: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


def matches(js_type: str, annotation: Any) -> bool:
    if js_type in SIMPLE:
        return annotation is SIMPLE[js_type]
    origin = get_origin(annotation)
    if js_type == "array":
        return origin is list
    if js_type == "object":
        return origin is dict or typing.is_typeddict(annotation)
    if js_type == "function":
        return origin is not None and "Callable" in repr(annotation)
    return js_type == "any"


def test_jivo_api_stubs_are_the_catalog() -> None:
    methods = stub_methods(browser.JivoApi)
    assert set(methods) == set(catalog.METHODS)
    for name, method in catalog.METHODS.items():
        parameters = list(methods[name].parameters.values())[1:]
        hints = get_type_hints(getattr(browser.JivoApi, name))
        assert [p.name for p in parameters] == [p.name for p in method.params], name
        for parameter, param in zip(parameters, method.params, strict=True):
            annotation = hints[parameter.name]
            if param.optional:
                assert parameter.default is None, (name, param.name)
                non_none = [a for a in get_args(annotation) if a is not type(None)]
                assert type(None) in get_args(annotation), (name, param.name)
                annotation = non_none[0]
            else:
                assert parameter.default is inspect.Parameter.empty, (name, param.name)
            assert matches(param.type, annotation), (name, param.name, annotation)


def test_return_shapes_are_the_documented_ones() -> None:
    hints = {
        name: get_type_hints(getattr(browser.JivoApi, name))["return"] for name in catalog.METHODS
    }
    assert hints["getContactInfo"] is browser.ContactInfo
    assert list(get_type_hints(browser.ContactInfo)) == list(catalog.CONTACT_INFO_RESULT_FIELDS)
    assert hints["getUtm"] is browser.Utm
    assert list(get_type_hints(browser.Utm)) == list(catalog.UTM_FIELDS)
    assert hints["sendOfflineMessage"] is browser.OfflineResult  # `error`, not `reason`
    assert "error" in get_type_hints(browser.OfflineResult)
    assert "reason" in get_type_hints(browser.Result)
    assert hints["getUnreadMessagesCount"] is int and hints["chatMode"] is str
    for name in ("open", "close", "startCall"):
        assert hints[name] is browser.Result
    assert list(get_type_hints(browser.ContactFields)) == list(catalog.CONTACT_FIELDS)
    assert list(get_type_hints(browser.OfflineMessage)) == list(catalog.OFFLINE_MESSAGE_FIELDS)
    assert list(get_type_hints(browser.CustomDataField)) == list(catalog.CUSTOM_DATA_FIELD_KEYS)
    start = get_type_hints(browser.OpenParams)["start"]
    assert get_args(start) == catalog.OPEN_START_VALUES


def test_callback_signatures_are_the_catalog() -> None:
    methods = stub_methods(browser.JivoCallbacks)
    assert list(methods) == list(catalog.CALLBACKS)
    for name, callback in catalog.CALLBACKS.items():
        parameters = list(methods[name].parameters.values())[1:]
        assert [p.name for p in parameters] == [p.name for p in callback.params]
        for parameter, param in zip(parameters, callback.params, strict=True):
            assert (parameter.default is None) == param.optional


def test_the_globals_are_the_ones_the_compiler_allows() -> None:
    assert set(catalog.GLOBALS) <= set(browser.GLOBALS)
    assert set(browser.GLOBALS) == subset.BROWSER_NAMES
    for name in browser.GLOBALS:
        assert hasattr(browser, name)
        assert name in browser.__all__


def test_outside_the_browser_the_stubs_point_to_fake_browser() -> None:
    with pytest.raises(RuntimeError, match=r"exists only in the browser.*fake_browser"):
        browser.jivo_api.getContactInfo()
    with pytest.raises(RuntimeError, match=r"jivo_widget\.browser\.setTimeout exists only"):
        browser.setTimeout(lambda: None, 0)


def mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    module = tmp_path / "jivo_callbacks.py"
    module.write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(module)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )


def test_the_issue_example_passes_mypy_strict_and_mistakes_do_not(
    tmp_path: Path, issue_example: Path
) -> None:
    source = issue_example.read_text()
    result = mypy(tmp_path, source)
    assert result.returncode == 0, result.stdout
    mistakes = source.replace("info.client_name", "info.name").replace(
        'jivo_api.showProactiveInvitation("Questions about plans?")',
        'jivo_api.setCustomData({"content": "x"})',
    )
    result = mypy(tmp_path, mistakes)
    assert result.returncode == 1
    assert '"ContactInfo" has no attribute "name"' in result.stdout
    assert 'Argument 1 to "setCustomData" of "JivoApi" has incompatible type' in result.stdout
