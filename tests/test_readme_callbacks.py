"""The README's "Callbacks in Python" snippets, run as a user would run them: the callbacks
module is the one the browser tests use, the fake_browser test passes, and the Widget snippets
compile the callbacks into the glue. Read from README.md, so the README cannot drift."""

from __future__ import annotations

import ast
import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jivo_widget import Widget
from jivo_widget.transpile import cache

README = Path(__file__).resolve().parents[1] / "README.md"


def snippet(name: str) -> str:
    """The code block that follows ``<!-- snippet:NAME -->`` in the README."""
    match = re.search(
        rf"<!-- snippet:{re.escape(name)} -->\n```[a-z]*\n(.*?)```", README.read_text("utf-8"), re.S
    )
    assert match, f"README.md has no snippet {name!r}"
    return match.group(1)


@pytest.fixture(autouse=True)
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A site's directory, as the working directory, with the README's callbacks module."""
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "jivo_callbacks.py").write_text(snippet("callbacks-module"))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m == "views" or m.split(".")[0] == "shop"]:
        del sys.modules[name]


def test_the_module_is_the_one_the_browser_tests_run(issue_example: Path) -> None:
    def code(source: str) -> str:
        tree = ast.parse(source)
        if ast.get_docstring(tree):
            tree.body = tree.body[1:]
        for node in tree.body:  # import order aside
            if isinstance(node, ast.ImportFrom):
                node.names.sort(key=lambda alias: alias.name)
        return ast.dump(tree)

    assert code(snippet("callbacks-module")) == code(issue_example.read_text())


def test_the_fake_browser_test_passes() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(snippet("callbacks-fake-browser"), "README.md", "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_")]
    assert len(tests) == 1
    tests[0]()


def test_the_widget_compiles_the_module_into_its_glue() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(snippet("callbacks-widget"), "README.md", "exec"), namespace)
    widget: Widget = namespace["widget"]
    boot = widget.renderer.bootstrap
    for callback in ("jivo_onIntroduction", "jivo_onChangeState", "jivo_onLoadCallback"):
        assert f'"{callback}":[' in boot
    html = str(widget.render(nonce="n0nce"))
    assert boot in html and 'nonce="n0nce"' in html


def test_widget_on_beside_the_apps_views(site: Path) -> None:
    (site / "shop").mkdir()
    (site / "shop" / "__init__.py").write_text("")
    (site / "shop" / "jivo.py").write_text(
        'from jivo_widget import Widget\n\nwidget = Widget(widget_id="AbCdEf1234")\n'
    )
    (site / "views.py").write_text(snippet("callbacks-widget-on"))
    views = importlib.import_module("views")
    widget: Widget = importlib.import_module("shop.jivo").widget
    assert [(m.path.name, m.functions) for m in widget.callbacks] == [("views.py", ("send_lead",))]
    assert '"jivo_onIntroduction":[' in widget.renderer.bootstrap
    assert views.send_lead.__name__ == "send_lead"
