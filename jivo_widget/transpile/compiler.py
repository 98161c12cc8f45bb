"""The compile pipeline: check -> lower -> Transcrypt -> link, cached by content.

:func:`compile_callbacks` is what ``jivo-widget compile`` and ``Widget(callbacks=...)`` call;
:class:`CompiledCallbacks` hands out the two forms the toolkit ships: the module expression the
glue fans out, and the standalone classic script. :func:`select_functions` cuts a module down to
some of its functions, for callbacks written among other code.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jivo_widget.transpile import cache, check, link, lower, runner
from jivo_widget.transpile.errors import CallbackSourceError, Problem

__all__ = [
    "CompiledCallbacks",
    "check_source",
    "compile_callbacks",
    "compile_many",
    "read_source",
    "select_functions",
]


@dataclass(frozen=True)
class CompiledCallbacks:
    """A compiled callbacks module.

    ``handlers``: callback name -> the Python functions handling it, in source order.
    ``expression``: readable JavaScript evaluating to ``{"jivo_onX": [function, ...]}`` (each
    function already names the Python location in its errors). The glue joins these functions
    to its fan-out: ``var P = <expression>; (P.jivo_onX || []).forEach(...)``.
    """

    filename: str
    handlers: dict[str, list[str]]
    expression: str
    from_cache: bool = field(default=False, compare=False)

    @property
    def callback_names(self) -> list[str]:
        """The ``jivo_on*`` callbacks this module handles."""
        return list(self.handlers)

    def standalone_script(self, *, minify: bool = True) -> str:
        """One classic script that installs the callbacks on any page (see ``link``)."""
        module = link.LinkedModule(self.expression, ())
        script = link.standalone_script(module, self.filename)
        if not minify:
            return script
        return _minify(script) + "\n"

    def minified_expression(self) -> str:
        """:attr:`expression` minified (for inlining into the glue)."""
        return _minify(self.expression)


def _minify(javascript: str) -> str:
    # rjsmin (a well-kept minifier) removes comments and whitespace only: names and code stay
    # exactly as linked. It ships no type hints, hence the untyped import.
    module: Any = importlib.import_module("rjsmin")
    return str(module.jsmin(javascript))


def read_source(path: str | os.PathLike[str]) -> str:
    """A callbacks file's text (UTF-8)."""
    return Path(path).read_text(encoding="utf-8")


# A line with its end, as Python's tokenizer counts lines (splitlines() also splits at \f...).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def select_functions(source: str, filename: str, names: Sequence[str]) -> str:
    """``source`` cut down to the named top-level functions (decorators included) and its
    ``from jivo_widget.browser import ...`` lines; every other line is left empty, so the
    checker's ``file:line:col`` are still the user's.

    This is how callbacks written among other code (a web app's module, with its own imports
    and statements) are compiled alone. Raises :class:`CallbackSourceError` for a syntax error
    or a name that is not a top-level ``def``/``async def`` of the module.
    """
    tree = check.parse(source, filename)
    keep: set[int] = set()  # line numbers, from 1
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            if node.module in ("jivo_widget.browser", "__future__"):
                keep.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in names:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            keep.update(range(first, (node.end_lineno or node.lineno) + 1))
            found.add(node.name)
    missing = [name for name in names if name not in found]
    if missing:
        raise CallbackSourceError(
            [
                Problem(filename, 1, 1, f"no top-level function {name!r} (def or async def)")
                for name in missing
            ]
        )
    lines = _LINE.findall(source)
    return "".join(line if number in keep else "\n" for number, line in enumerate(lines, start=1))


def check_source(source: str, filename: str = "<callbacks>") -> dict[str, list[str]]:
    """Check only: raise :class:`CallbackSourceError`, or return the handlers per callback."""
    _, plan = check.check(source, filename)
    return plan.handlers


def compile_callbacks(
    source: str,
    filename: str = "<callbacks>",
    *,
    use_cache: bool = True,
    cache_dir: Path | None = None,
) -> CompiledCallbacks:
    """Compile a callbacks module's source; ``filename`` is what errors and messages show.

    Raises :class:`CallbackSourceError` (the checker's refusals), :class:`TranscryptMissing`
    or :class:`TranscryptFailed`.
    """
    result = compile_many([(source, filename)], use_cache=use_cache, cache_dir=cache_dir)[0]
    if isinstance(result, CallbackSourceError):
        raise result
    return result


def compile_many(
    modules: list[tuple[str, str]],
    *,
    use_cache: bool = True,
    cache_dir: Path | None = None,
) -> list[CompiledCallbacks | CallbackSourceError]:
    """Compile several ``(source, filename)`` modules with one Transcrypt run.

    Each result is the compiled module or the checker's refusal of it; Transcrypt failures
    raise. Cached modules are not recompiled.
    """
    runner.ensure_available()  # before the cache: it lives in the callbacks extra too
    results: list[CompiledCallbacks | CallbackSourceError | None] = [None] * len(modules)
    pending: list[tuple[int, str, lower.LoweredModule]] = []
    for index, (source, filename) in enumerate(modules):
        key = cache.cache_key(source, filename)
        entry = cache.load(key, cache_dir) if use_cache else None
        if entry is not None:
            results[index] = CompiledCallbacks(filename, entry.handlers, entry.expression, True)
            continue
        try:
            tree, plan = check.check(source, filename)
        except CallbackSourceError as exc:
            results[index] = exc
            continue
        pending.append((index, key, lower.lower(tree, plan)))
    outputs = runner.run_many([lowered.source for _, _, lowered in pending]) if pending else []
    for (index, key, lowered), output in zip(pending, outputs, strict=True):
        filename = modules[index][1]
        linked = link.link(lowered, output.javascript, filename)
        results[index] = CompiledCallbacks(filename, lowered.handlers, linked.expression)
        if use_cache:
            cache.store(key, cache.CacheEntry(linked.expression, lowered.handlers), cache_dir)
    return [r for r in results if r is not None]
