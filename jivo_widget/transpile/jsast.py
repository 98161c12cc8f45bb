"""A real JavaScript parser (tree-sitter's JavaScript grammar) for the linker and the helpers.

The compiler never edits JavaScript with regular expressions: it parses Transcrypt's output and
the helper library, and edits by the byte ranges of syntax nodes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from jivo_widget.transpile.errors import TranscryptMissing

__all__ = ["Edit", "apply_edits", "has_syntax_error", "parse", "walk"]

Edit = tuple[int, int, str]


@functools.cache
def _parser() -> Any:
    try:
        import tree_sitter
        import tree_sitter_javascript
    except ImportError:  # pragma: no cover - part of the callbacks extra
        raise TranscryptMissing(
            "compiling Python callbacks needs the callbacks extra: "
            "pip install 'jivo-widget[callbacks]'"
        ) from None
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))


def parse(source: str) -> Any:
    """The syntax tree of ``source`` (a ``tree_sitter.Tree``)."""
    return _parser().parse(source.encode("utf-8"))


def walk(node: Any) -> Iterator[Any]:
    """Every node under ``node``, depth first, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def has_syntax_error(source: str) -> bool:
    """True when ``source`` does not parse as JavaScript."""
    return bool(parse(source).root_node.has_error)


def text(node: Any) -> str:
    """The source text of a node."""
    return bytes(node.text).decode("utf-8")


def apply_edits(source: str, edits: list[Edit]) -> str:
    """Replace byte ranges ``(start, end, text)`` of ``source`` (non-overlapping)."""
    data = source.encode("utf-8")
    out: list[bytes] = []
    position = 0
    for start, end, replacement in sorted(edits):
        if start < position:
            raise ValueError("overlapping edits")
        out += [data[position:start], replacement.encode("utf-8")]
        position = end
    out.append(data[position:])
    return b"".join(out).decode("utf-8")
