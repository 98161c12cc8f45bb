"""The helper library (``helpers.js``) and tree shaking: only the helpers a module uses ship.

``helpers.js`` is split at its ``// @helper NAME`` markers; each block's dependencies are the
``_jw_*`` helper names its code mentions (found by the JavaScript parser, not by text search).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from jivo_widget.transpile import jsast

__all__ = ["Helper", "library", "library_source", "select"]

_MARKER = re.compile(r"^// @helper (_jw_\w+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Helper:
    """One helper: its name, its JavaScript (with its comment) and the helpers it uses."""

    name: str
    code: str
    uses: frozenset[str]


@functools.cache
def library_source() -> str:
    """The text of ``helpers.js``."""
    return resources.files("jivo_widget.transpile").joinpath("helpers.js").read_text("utf-8")


@functools.cache
def library() -> dict[str, Helper]:
    """Every helper by name, in the file's order."""
    source = library_source()
    matches = list(_MARKER.finditer(source))
    names = {m.group(1) for m in matches}
    helpers: dict[str, Helper] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(source)
        code = source[match.end() : end].strip() + "\n"
        mentioned = {
            jsast.text(node)
            for node in jsast.walk(jsast.parse(code).root_node)
            if node.type == "identifier"
        }
        helpers[match.group(1)] = Helper(
            match.group(1), code, frozenset(mentioned & names - {match.group(1)})
        )
    return helpers


def select(names: Iterable[str]) -> list[Helper]:
    """The helpers ``names`` need (transitively), in the library's order."""
    available = library()
    wanted: set[str] = set()
    stack = [n for n in names if n in available]
    while stack:
        name = stack.pop()
        if name not in wanted:
            wanted.add(name)
            stack.extend(available[name].uses)
    return [helper for name, helper in available.items() if name in wanted]
