"""The compile pipeline: check -> lower -> Transcrypt -> link, cached by content.

:func:`compile_callbacks` is what ``jivo-widget compile`` and (later) ``Widget(callbacks=...)``
call; :class:`CompiledCallbacks` hands out the two forms the toolkit ships: the module
expression the glue fans out, and the standalone classic script.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jivo_widget.transpile import cache, check, link, lower, runner

__all__ = ["CompiledCallbacks", "check_source", "compile_callbacks", "read_source"]


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
    key = cache.cache_key(source, filename)
    if use_cache:
        entry = cache.load(key, cache_dir)
        if entry is not None:
            return CompiledCallbacks(filename, entry.handlers, entry.expression, from_cache=True)
    tree, plan = check.check(source, filename)
    lowered = lower.lower(tree, plan)
    output = runner.run(lowered.source)
    linked = link.link(lowered, output.javascript, filename)
    compiled = CompiledCallbacks(filename, lowered.handlers, linked.expression)
    if use_cache:
        cache.store(key, cache.CacheEntry(linked.expression, lowered.handlers), cache_dir)
    return compiled
