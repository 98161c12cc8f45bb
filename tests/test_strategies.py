"""The loading-strategy registry (jivo_widget.strategies): a site's own strategies, checked
like handlers, and built-ins that cannot be replaced by accident."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jivo_widget import JivoConfigError, Widget
from jivo_widget.strategies import STRATEGIES, register_strategy

ID = "AbCdEf1234"


def test_strategy_sources_are_checked_like_handlers() -> None:
    with pytest.raises(JivoConfigError) as info:
        register_strategy("test-broken", source="w.addEventListener('click', load")
    assert str(info.value).startswith("strategy 'test-broken': source line 1, column 1:")
    with pytest.raises(JivoConfigError, match="must not contain NUL"):
        register_strategy("test-nul", source="load('\x00')")
    assert "test-broken" not in STRATEGIES and "test-nul" not in STRATEGIES


@pytest.fixture
def click_strategy() -> Iterator[str]:

    register_strategy("test-click", source='d.addEventListener("click", load);', doc="first click")
    yield "test-click"
    from jivo_widget import strategies

    del strategies._registry["test-click"]


def test_a_site_registers_a_strategy_as_js_source(click_strategy: str) -> None:

    assert STRATEGIES[click_strategy].doc == "first click"
    boot = Widget(widget_id=ID, strategy=click_strategy).renderer.bootstrap
    assert boot.endswith(',function(load,w,d){\nd.addEventListener("click", load);\n})')


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of template or source"),
        ({"template": "x.j2", "source": "load();"}, "exactly one of template or source"),
        ({"source": "load()</script>"}, "must not contain '</script'"),
    ],
)
def test_bad_strategy_registrations(kwargs: dict[str, Any], message: str) -> None:

    with pytest.raises(JivoConfigError, match=message):
        register_strategy("test-bad", **kwargs)
    assert "test-bad" not in STRATEGIES


@pytest.fixture
def restore_registry() -> Iterator[None]:
    from jivo_widget import strategies

    saved = dict(strategies._registry)
    yield
    strategies._registry.clear()
    strategies._registry.update(saved)


@pytest.mark.parametrize("name", ["eager", "onload"])
@pytest.mark.usefixtures("restore_registry")
def test_a_built_in_strategy_is_not_replaced_by_accident(name: str) -> None:
    before = STRATEGIES[name]
    with pytest.raises(JivoConfigError) as info:
        register_strategy(name, source="load();")
    assert str(info.value) == (f"strategy {name!r} is a built-in; pass replace=True to replace it")
    assert STRATEGIES[name] is before
    replaced = register_strategy(name, source="load();", replace=True)
    assert STRATEGIES[name] is replaced
    assert Widget(widget_id=ID, strategy=name).renderer.bootstrap.endswith(
        ",function(load,w,d){\nload();\n})"
    )


@pytest.mark.usefixtures("restore_registry")
def test_a_site_strategy_is_not_replaced_by_accident_either() -> None:
    register_strategy("test-mine", source="load();")
    with pytest.raises(JivoConfigError, match="'test-mine' is already registered"):
        register_strategy("test-mine", source="w.setTimeout(load, 1000);")
    register_strategy("test-mine", source="w.setTimeout(load, 1000);", replace=True)
    assert STRATEGIES["test-mine"].source == "w.setTimeout(load, 1000);"
