"""JavaScript a site writes into the glue: handler bodies and strategy fragments.

Such code becomes the body of a function in the inline ``<script>`` (:func:`function_expression`
is the one place that says how), so before a :class:`~jivo_widget.Widget` is built it must pass
:func:`check_body`:

- no character the page would change: the HTML parser turns NUL into U+FFFD (the browser would
  run and hash other text than the renderer did), and a lone surrogate cannot be encoded at all;
- nothing that ends or re-modes the ``<script>`` element (``</script``, ``<script``, ``<!--``);
- valid JavaScript *as the body of that function*: parsed by tree-sitter's JavaScript grammar
  (modern syntax: optional chaining, class fields, async arrows...), so ``return`` is legal
  and a stray ``}`` that would close the function early is an error, with its line.

Line ends are normalised to ``\\n`` (:func:`normalize`): the HTML parser turns ``\\r\\n`` and a
lone ``\\r`` into ``\\n`` before the browser hashes the script, so code saved with Windows line
ends would otherwise break the CSP hash. JavaScript reads all three as one line end.

tree-sitter's grammar is made for editors and is more lenient than the language in a few
places; those are checked on the tree it builds: an elision (``f(a,,b)``, ``{a: 1,,}``) where
only arrays allow one, an anonymous ``function``/``class`` statement, a ``try`` without ``catch``
or ``finally``, ``await``/``yield`` outside an async function/generator, ``import``/``export``
declarations. tests/test_jscode.py holds the corpus on which the verdicts equal V8's. Not
checked: the language's other "early errors" (a ``let`` declared twice, ``break`` outside a
loop, strict-mode-only rules); those still fail in the browser.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Language, Node

__all__ = ["SCRIPT_BREAKERS", "check_body", "function_expression", "normalize"]

#: Text that would end the inline <script> element or switch its parser mode.
SCRIPT_BREAKERS = re.compile(r"</script|<!--|<script", re.IGNORECASE)
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_END = re.compile(r"\r\n?")
# Lists whose grammar rule in tree-sitter accepts elisions (holes) that only arrays may have.
_NO_HOLES = frozenset({"arguments", "object", "object_pattern", "formal_parameters"})
# Anonymous forms a statement cannot start with (`function () {}` needs a name there).
_NAMELESS_STATEMENTS = {
    "function_expression": "function",
    "generator_function": "function",
    "class": "class",
}
# Node types of functions: `await` and `yield` belong to the nearest one.
_FUNCTIONS = frozenset(
    {
        "function_expression",
        "function_declaration",
        "generator_function",
        "generator_function_declaration",
        "arrow_function",
        "method_definition",
    }
)
_SNIPPET = 30  # characters of code quoted in a message


def function_expression(params: Sequence[str], body: str) -> str:
    """The function a body becomes in the glue: ``function(a,b){\\n<body>\\n}``.

    The body sits on lines of its own, so a trailing ``// comment`` cannot swallow the ``}``.
    """
    return "function(" + ",".join(params) + "){\n" + body + "\n}"


def normalize(code: str) -> str:
    """``code`` with ``\\r\\n`` and lone ``\\r`` line ends as ``\\n`` (as the page will have it)."""
    return _LINE_END.sub("\n", code) if "\r" in code else code


def check_body(params: Sequence[str], body: str) -> str | None:
    """Why ``body`` cannot be the body of ``function(params)`` in the glue, or None.

    The message names the line (and column) where it can; ``body`` is expected normalised.
    """
    if "\x00" in body:
        line = body.count("\n", 0, body.index("\x00")) + 1
        return f"line {line}: must not contain NUL (U+0000): the page would run other code"
    if match := _SURROGATE.search(body):
        line = body.count("\n", 0, match.start()) + 1
        return f"line {line}: a lone surrogate (U+{ord(match.group()):04X}) is not valid text"
    if match := SCRIPT_BREAKERS.search(body):
        line = body.count("\n", 0, match.start()) + 1
        return (
            f"line {line}: must not contain '</script', '<script' or '<!--' "
            "(the code is inlined in a <script>; write '<\\/script')"
        )
    return _syntax_problem(params, body)


# --------------------------------------------------------------------------- the parser


@functools.cache
def _language() -> Language:
    # Imported on first use: importing jivo_widget (say, for webhooks only) does not pay for it.
    import tree_sitter_javascript
    from tree_sitter import Language

    return Language(tree_sitter_javascript.language())


def _syntax_problem(params: Sequence[str], body: str) -> str | None:
    # Parsed as an expression, exactly as it will sit in the glue: `(function(...){\n...\n})`.
    source = ("(" + function_expression(params, body) + ")").encode("utf-8")
    from tree_sitter import Parser

    # A parser per check: parsers are not thread-safe, and creating one costs microseconds.
    root = Parser(_language()).parse(source).root_node
    position = _Positions(source)
    function = _wrapper_function(root)
    closing = len(source) - 2  # the wrapper's own `}`
    if function is None or _end_of_body(function) != closing + 1 or len(root.named_children) > 1:
        where = _early_close(function)
        if where is not None:
            return f"{position(where)}: this '}}' closes the handler's function early"
        return "JavaScript syntax error: the code does not stay inside its function"
    if root.has_error:
        node = next(_errors(root))
        if node.start_byte >= closing:
            expected = f" (missing {node.type!r})" if node.is_missing else ""
            return f"line {position.last_line}: JavaScript syntax error at the end{expected}"
        if node.is_missing:
            return f"{position(node)}: JavaScript syntax error: missing {node.type!r}"
        text = node.text.decode("utf-8", "replace") if node.text else ""
        snippet = text.split("\n", 1)[0][:_SNIPPET]
        return f"{position(node)}: JavaScript syntax error: cannot parse {snippet!r}"
    return _tree_problem(function, position)


def _wrapper_function(root: Node) -> Node | None:
    statement = root.named_children[0] if root.named_children else None
    group = statement.named_children[0] if statement and statement.named_children else None
    if group is None or group.type != "parenthesized_expression" or not group.named_children:
        return None
    function = group.named_children[0]
    return function if function.type == "function_expression" else None


def _end_of_body(function: Node) -> int:
    body = function.child_by_field_name("body")
    return body.end_byte if body is not None else -1


def _early_close(function: Node | None) -> Node | None:
    """The ``}`` that closed the function before the wrapper's own (a stray one in the body)."""
    body = function.child_by_field_name("body") if function is not None else None
    if body is None or not body.children or body.children[-1].type != "}":
        return None
    return body.children[-1]


def _errors(node: Node) -> Iterator[Node]:
    """ERROR and MISSING nodes in source order."""
    if node.is_error or node.is_missing:
        yield node
        return
    for child in node.children:
        if child.has_error or child.is_missing:
            yield from _errors(child)


def _tree_problem(function: Node, position: _Positions) -> str | None:
    """What the grammar let through but JavaScript refuses (see the module docstring)."""
    for node in _walk(function):
        if node.type in _NO_HOLES:
            previous = ""
            for child in node.children:
                if child.type == "," and previous in ("", "(", "{", ","):
                    return f"{position(child)}: JavaScript syntax error: unexpected ','"
                previous = child.type
        if node.type == "expression_statement" and node.named_children:
            kind = _NAMELESS_STATEMENTS.get(node.named_children[0].type)
            if kind is not None and node.named_children[0].start_byte == node.start_byte:
                return f"{position(node)}: a {kind} statement needs a name"
        if node.type == "try_statement" and not (
            node.child_by_field_name("handler") or node.child_by_field_name("finalizer")
        ):
            return f"{position(node)}: 'try' needs 'catch' or 'finally'"
        if node.type in ("import_statement", "export_statement"):
            return f"{position(node)}: {node.type[:6]} declarations are only allowed in modules"
        if node.type in ("await_expression", "yield_expression"):
            owner = _owner(node)
            keyword = node.type.split("_", 1)[0]
            wanted = "async" if keyword == "await" else "*"
            if owner is None or not any(child.type == wanted for child in owner.children):
                kind = "an async function" if keyword == "await" else "a generator"
                hint = " (wrap it: (async () => { ... })())" if keyword == "await" else ""
                return f"{position(node)}: '{keyword}' is only valid in {kind}{hint}"
    return None


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from _walk(child)


def _owner(node: Node) -> Node | None:
    parent = node.parent
    while parent is not None and parent.type not in _FUNCTIONS:
        parent = parent.parent
    return parent


class _Positions:
    """Body-relative ``line L, column C`` (characters, 1-based) of nodes of the wrapped source."""

    def __init__(self, source: bytes) -> None:
        self._lines = source.split(b"\n")
        self.last_line = max(len(self._lines) - 2, 1)  # the body's last line

    def __call__(self, node: Node) -> str:
        row, column = node.start_point
        if row == 0:  # on the wrapper's first line: the body's start
            return "line 1, column 1"
        line = self._lines[row] if row < len(self._lines) else b""
        characters = len(line[:column].decode("utf-8", "replace"))
        return f"line {min(row, self.last_line)}, column {characters + 1}"
