"""The compiled output: one classic script, runtime-free, tree-shaken, deterministic, safe."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from jivo_widget.transpile import (
    CompiledCallbacks,
    TranscryptFailed,
    compile_callbacks,
    helpers,
    jsast,
    link,
    lower,
    runner,
    subset,
)
from jivo_widget.transpile import check as checker

# Every name Transcrypt's runtime exports (read from a real compile's import line).
RUNTIME_IMPORT = "from './org.transcrypt.__runtime__.js'"


def compile_fresh(source: str, name: str = "cb.py") -> CompiledCallbacks:
    return compile_callbacks(source, name, use_cache=False)


def runtime_names() -> set[str]:
    tree, plan = checker.check("def jivo_onOpen():\n    pass\n", "x.py")
    javascript = runner.run(lower.lower(tree, plan).source).javascript
    line = next(line for line in javascript.splitlines() if RUNTIME_IMPORT in line)
    return {name.strip() for name in line.split("{", 1)[1].split("}", 1)[0].split(",")}


def identifiers(javascript: str, kinds: tuple[str, ...] = ("identifier",)) -> set[str]:
    return {
        jsast.text(node)
        for node in jsast.walk(jsast.parse(javascript).root_node)
        if node.type in kinds
    }


def declared(javascript: str) -> set[str]:
    """Names the script declares itself (variables, parameters, functions)."""
    names: set[str] = set()
    for node in jsast.walk(jsast.parse(javascript).root_node):
        if node.type in ("variable_declarator", "function_declaration"):
            name = node.child_by_field_name("name")
            names.add(jsast.text(name))
        elif node.type == "formal_parameters":
            names |= {jsast.text(c) for c in node.children if c.type == "identifier"}
    return names


@pytest.fixture(scope="module")
def example_source(issue_example: Path) -> str:
    return issue_example.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def example(example_source: str) -> CompiledCallbacks:
    return compile_fresh(example_source, "jivo_callbacks.py")


def test_the_standalone_script_is_one_classic_script(example: CompiledCallbacks) -> None:
    for script in (example.standalone_script(), example.standalone_script(minify=False)):
        tree = jsast.parse(script)
        assert not tree.root_node.has_error
        kinds = {node.type for node in jsast.walk(tree.root_node)}
        assert "import_statement" not in kinds and "export_statement" not in kinds
        assert "import(" not in script and "sourceMappingURL" not in script
    if shutil.which("node"):  # Node is optional on users' machines; here it double-checks
        for script in (example.standalone_script(), example.standalone_script(minify=False)):
            done = subprocess.run(["node", "--check"], input=script, text=True, capture_output=True)
            assert done.returncode == 0, done.stderr


def test_no_transcrypt_runtime_in_any_corpus_program(corpus: list[Any]) -> None:
    from jivo_widget.transpile import compile_many

    names = runtime_names()
    assert len(names) > 100  # the import line really was read
    # Builtin names the lowering replaces with helpers: the output must not use them either.
    builtins = set(subset.BUILTIN_CALLS) | {"repr", "round", "map", "filter", "set", "object"}
    banned = names - {"print", "input", "property", "tuple", "bytes", "chr", "ord", "pow"}
    banned |= builtins
    for program, compiled in zip(
        corpus, compile_many([(p.source, "c.py") for p in corpus]), strict=True
    ):
        assert isinstance(compiled, CompiledCallbacks)
        used = identifiers(compiled.expression)
        # Runtime-only names (py_*, __class__, __getslice__...) never appear; builtin names
        # that the program does not define itself never appear either.
        properties = identifiers(compiled.expression, ("property_identifier",))
        assert not {n for n in used | properties if n.startswith("py_")}, program.name
        assert not (used - declared(compiled.expression)) & banned, program.name
        assert not {"len", "str", "sorted", "isinstance", "range"} & used, program.name
        assert "__class__" not in compiled.expression and ".format" not in compiled.expression


def test_only_the_helpers_a_module_uses_are_shipped() -> None:
    small = compile_fresh(
        "def jivo_onOpen():\n    jivo_api.close()\n".replace(
            "def", "from jivo_widget.browser import jivo_api\ndef", 1
        )
    )
    names = {
        h.name for h in helpers.library().values() if f"function {h.name}(" in small.expression
    }
    assert names == {"_jw_guard", "_jw_where", "_jw_report"}
    indexed = compile_fresh("def jivo_onOpen():\n    x = [1]\n    return x[-1]\n")
    assert "function _jw_getitem(" in indexed.expression
    assert "function _jw_sorted(" not in indexed.expression
    assert len(indexed.expression) < len(helpers.library_source())


def test_helper_dependencies_are_closed() -> None:
    library = helpers.library()
    for helper in library.values():
        assert helper.uses <= set(library), helper.name
    chosen = {h.name for h in helpers.select(["_jw_m_remove"])}
    assert {"_jw_m_remove", "_jw_m_index", "_jw_eq", "_jw_err", "_jw_native"} <= chosen


def test_output_is_deterministic(example: CompiledCallbacks, example_source: str) -> None:
    again = compile_fresh(example_source, "jivo_callbacks.py")
    assert again.expression == example.expression
    assert "Transcrypt'ed" not in example.expression  # Transcrypt's dated header is dropped


def test_every_string_goes_through_the_script_safe_serializer() -> None:
    hostile = "</script><!--<script>\u2028'\"&"
    source = (
        "from jivo_widget.browser import console\n"
        f"def jivo_onOpen():\n    console.log({hostile!r}, {{{hostile!r}: 1}})\n"
    )
    compiled = compile_fresh(source)
    script = compiled.standalone_script()
    assert "</script" not in script.lower() and "<!--" not in script and "\u2028" not in script
    assert '\\u003c/script\\u003e\\u003c!--\\u003cscript\\u003e\\u2028\\u0027\\"\\u0026' in script


def test_aliased_attribute_names_stay_as_written() -> None:
    source = (
        "from jivo_widget.browser import window\n"
        "def jivo_onOpen():\n"
        "    e = window.event\n"
        "    return [e.name, e.type, e.default, e.selector, e.keys, e.items]\n"
    )
    expression = compile_fresh(source).expression
    for attribute in ("e.name", "e.type", "e.default", "e.selector", "e.keys", "e.items"):
        assert attribute in expression
    assert "py_" not in expression


def test_the_linker_refuses_output_that_needs_the_runtime() -> None:
    tree, plan = checker.check("def jivo_onOpen():\n    return 1\n", "x.py")
    lowered = lower.lower(tree, plan)
    good = runner.run(lowered.source).javascript
    with pytest.raises(TranscryptFailed, match=r"needs Transcrypt's runtime \(len\)"):
        link.link(lowered, good.replace("return 1;", "return len ([1]);"), "x.py")
    with pytest.raises(TranscryptFailed, match=r"runtime property \.py_get"):
        link.link(lowered, good.replace("return 1;", "return window.py_get;"), "x.py")
    with pytest.raises(TranscryptFailed, match="does not parse"):
        link.link(lowered, good.replace("return 1;", "return (1;"), "x.py")


def test_the_issue_example_is_small(example: CompiledCallbacks) -> None:
    import gzip

    size = len(gzip.compress(example.standalone_script().encode(), 9))
    assert size <= 1536, size  # issue 8: <= 1.5 KB gzip (benchmarks report the ratio)
