"""Linking: Transcrypt's ES module becomes one runtime-free classic script.

Transcrypt emits an ES module that imports 131 names from its runtime (which patches
``Array.prototype``...). The lowering left nothing that needs them, and this module proves it:
it parses the output, drops the import, the ``export`` keywords and Transcrypt's comments,
replaces the string placeholders with script-safe JSON (:func:`jivo_widget.serialize.script_json`),
refuses any remaining runtime name, and wraps the result with the helpers it uses into an
expression that evaluates to ``{callback name: [guarded functions]}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jivo_widget.serialize import script_json
from jivo_widget.transpile import helpers, jsast
from jivo_widget.transpile.errors import TranscryptFailed
from jivo_widget.transpile.lower import LoweredModule

__all__ = ["LinkedModule", "link", "standalone_script"]

_PLACEHOLDER = re.compile(r"^_jw_S(\d+)_$")


@dataclass(frozen=True)
class LinkedModule:
    """``expression``: readable JS evaluating to ``{"jivo_onX": [function, ...], ...}``."""

    expression: str
    helpers: tuple[str, ...]


def _fail(message: str, javascript: str) -> TranscryptFailed:
    return TranscryptFailed(f"internal compiler error: {message}", javascript)


def link(lowered: LoweredModule, transcrypt_js: str, filename: str) -> LinkedModule:
    """Link Transcrypt's output for ``lowered`` (see the module docstring)."""
    tree = jsast.parse(transcrypt_js)
    if tree.root_node.has_error:
        raise _fail("Transcrypt produced JavaScript that does not parse", transcrypt_js)
    edits: list[jsast.Edit] = []
    runtime_names: set[str] = set()
    declared: set[str] = set()
    used: list[object] = []
    renamed: set[int] = set()
    import_ranges: list[tuple[int, int]] = []
    for node in jsast.walk(tree.root_node):
        kind = node.type
        if kind == "import_statement":
            import_ranges.append((node.start_byte, node.end_byte))
            for spec in jsast.walk(node):
                if spec.type == "import_specifier":
                    runtime_names.add(jsast.text(spec.children[0]))
            edits.append((node.start_byte, node.end_byte, ""))
        elif kind == "comment":
            edits.append((node.start_byte, node.end_byte, ""))
        elif kind == "export_statement":
            declaration = node.child_by_field_name("declaration")
            if declaration is None:
                raise _fail("unexpected export form", jsast.text(node))
            edits.append((node.start_byte, declaration.start_byte, ""))
        elif kind == "variable_declarator":
            name = node.child_by_field_name("name")
            if name is not None:
                declared.add(jsast.text(name))
                if jsast.text(name) == "__name__":
                    statement = node.parent
                    edits.append((statement.start_byte, statement.end_byte, ""))
        elif kind in ("formal_parameters", "catch_clause"):
            for child in node.children:
                if child.type == "identifier":
                    declared.add(jsast.text(child))
            parameter = node.child_by_field_name("parameter")
            if parameter is not None:
                declared.add(jsast.text(parameter))
        elif kind == "expression_statement" and _is_cause_assignment(node):
            # Transcrypt's `raise` sets __cause__ on the error; a thrown primitive would make
            # that assignment itself throw in strict mode, and Python code never reads it.
            edits.append((node.start_byte, node.end_byte, ";"))
        elif kind == "string":
            match = _PLACEHOLDER.match(jsast.text(node)[1:-1])
            if match:
                edits.append(
                    (
                        node.start_byte,
                        node.end_byte,
                        script_json(lowered.strings[int(match.group(1))]),
                    )
                )
        elif kind == "call_expression":
            function = node.child_by_field_name("function")
            if (
                function is not None
                and function.type == "identifier"
                and jsast.text(function) == "isinstance"
            ):
                # Only `except` clauses produce isinstance() now (user calls were lowered).
                edits.append((function.start_byte, function.end_byte, "_jw_matches"))
                renamed.add(function.start_byte)
        if kind == "identifier" and not any(a <= node.start_byte < b for a, b in import_ranges):
            used.append(node)
        elif kind == "property_identifier":
            name = jsast.text(node)
            if name.startswith("py_") or (name.startswith("__") and name != "__cause__"):
                raise _fail(f"the output uses Transcrypt's runtime property .{name}", transcrypt_js)
    leftovers = sorted(
        {
            jsast.text(n)
            for n in used
            if jsast.text(n) in runtime_names
            and jsast.text(n) not in declared
            and n.start_byte not in renamed  # type: ignore[attr-defined]
        }
    )
    if leftovers:
        raise _fail(
            f"the output needs Transcrypt's runtime ({', '.join(leftovers)})", transcrypt_js
        )
    body = jsast.apply_edits(transcrypt_js, edits)
    body = "\n".join(line.rstrip() for line in body.splitlines() if line.strip()) + "\n"
    if jsast.has_syntax_error(body):
        raise _fail("the linked module does not parse", body)
    # The edits change no identifier except isinstance -> _jw_matches.
    mentioned = {jsast.text(n) for n in used} | ({"_jw_matches"} if renamed else set())
    chosen = helpers.select({*mentioned, "_jw_guard"})
    table = [item for first, last, name in lowered.functions for item in (first, last, name)]
    exports = ", ".join(
        f"{script_json(callback)}: [{', '.join(_guarded(fn) for fn in functions)}]"
        for callback, functions in lowered.handlers.items()
    )
    expression = (
        "(function () {\n"
        '"use strict";\n'
        + "".join(helper.code for helper in chosen)
        + body
        + f"var _jw_file = {script_json(filename)}, _jw_lines = {script_json(table)};\n"
        + f"return {{{exports}}};\n"
        + "})()"
    )
    return LinkedModule(expression, tuple(helper.name for helper in chosen))


def _guarded(function: str) -> str:
    return f"_jw_guard({function}, _jw_file, _jw_lines)"


def _is_cause_assignment(node: object) -> bool:
    text = jsast.text(node)
    return text.endswith("__cause__ = null;") and "\n" not in text


_STANDALONE = """\
/* Jivo callbacks compiled from {source} by jivo-widget. A classic script: include it with
   <script src>, before or after the jivo-widget glue and Jivo's loader. */
(function (handlers) {{
  "use strict";
  // A failing handler is reported like an uncaught error (window.onerror) and the others run.
  function report(error) {{
    if (typeof reportError === "function") reportError(error);
    else setTimeout(function () {{ throw error; }});
  }}
  function run(fn, self, args) {{
    try {{
      fn.apply(self, args);
    }} catch (error) {{
      report(error);
    }}
  }}
  // Jivo calls one global per callback. Keep what the page (or the jivo-widget glue, which
  // then adopts this function into its own fan-out) defined before us, and call it first.
  Object.keys(handlers).forEach(function (name) {{
    var previous = window[name];
    window[name] = function () {{
      if (typeof previous === "function") run(previous, this, arguments);
      for (var i = 0; i < handlers[name].length; i++) run(handlers[name][i], this, arguments);
    }};
  }});
}})({module});
"""


def standalone_script(module: LinkedModule, source_name: str) -> str:
    """The readable classic script ``jivo-widget compile`` writes (minify it to ship)."""
    comment_safe = source_name.replace("*/", "* /")
    script = _STANDALONE.format(source=comment_safe, module=module.expression)
    if jsast.has_syntax_error(script):
        raise _fail("the standalone script does not parse", script)
    return script
