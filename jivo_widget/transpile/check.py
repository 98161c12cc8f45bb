"""The allow-list checker: what a callbacks module may contain, refused with file:line:col.

Transcrypt compiles much of Python silently wrong (transcrypt.md §4), so nothing reaches it
that this module has not accepted. Every refusal names the construct and what to write instead;
callback names, ``jivo_api`` methods, their arity and argument shapes come from the catalog.
:func:`check` returns the module's :class:`Plan` (which functions handle which callbacks).

This module holds the entry point and the module-level rules (imports, constants, callback
functions and their decorators and signatures). The walk below them is one class built in
layers, each a module of the rules of one kind, each deriving from the one before:
``_check_scopes`` (names and scopes) -> ``_check_calls`` (builtins, methods, ``jivo_api``) ->
``_check_expressions`` -> ``_check_statements``; ``_check_messages`` holds the words.
"""

from __future__ import annotations

import ast
import difflib
import threading

from jivo_widget import catalog
from jivo_widget.transpile import subset
from jivo_widget.transpile._check_messages import describe
from jivo_widget.transpile._check_scopes import Plan, args_names
from jivo_widget.transpile._check_statements import StatementRules
from jivo_widget.transpile.errors import CallbackSourceError, Problem

__all__ = ["Plan", "check", "parse", "resolve_callback_name"]


# CPython 3.11 keeps the counter of its C-to-Python AST converter per interpreter, not per
# thread: when the garbage collector runs a finalizer in the middle of one parse, another thread
# can parse meanwhile, and the first one fails with "SystemError: AST constructor recursion depth
# mismatch". Widgets (and so their callbacks) may be built in several threads at once.
_PARSE_LOCK = threading.Lock()


def parse(source: str, filename: str) -> ast.Module:
    """Parse ``source``; a syntax error becomes a :class:`CallbackSourceError` at its line."""
    try:
        with _PARSE_LOCK:
            return ast.parse(source, filename=filename, type_comments=False)
    except SyntaxError as exc:
        raise CallbackSourceError(
            [Problem(filename, exc.lineno or 1, exc.offset or 0, f"syntax error: {exc.msg}")]
        ) from None


def resolve_callback_name(name: str) -> str | None:
    """``"introduction"``/``"change_state"``/``"jivo_onIntroduction"`` -> the catalog name."""
    wanted = name.replace("_", "").lower()
    for full in catalog.CALLBACKS:
        if wanted in (full.replace("_", "").lower(), full[len("jivo_on") :].lower()):
            return full
    return None


def check(source: str, filename: str = "<callbacks>") -> tuple[ast.Module, Plan]:
    """Check a callbacks module; raise :class:`CallbackSourceError` listing every problem."""
    tree = parse(source, filename)
    checker = _Checker(filename)
    plan = checker.run(tree)
    if checker.problems:
        raise CallbackSourceError(checker.problems)
    return tree, plan


class _Checker(StatementRules):
    """The whole walk: a module's top level here, everything below it in the rule layers."""

    def run(self, tree: ast.Module) -> Plan:
        body = tree.body
        first = body[0] if body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            body = body[1:] if isinstance(first.value.value, str) else body  # the docstring
        # First pass: every module-level name, so functions may call ones defined below them.
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self.module_names.add(stmt.name)
                self.plan.functions.add(stmt.name)
                args = stmt.args
                total = len(args.posonlyargs) + len(args.args)
                self.signatures[stmt.name] = (total - len(args.defaults), total)
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.module_names.add(target.id)
                        self.plan.constants.add(target.id)
        for stmt in body:
            self.module_statement(stmt)
        return self.plan

    def module_statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.ImportFrom):
            self.import_from(stmt)
        elif isinstance(stmt, ast.Import):
            self.unsupported(
                stmt,
                f"import {', '.join(a.name for a in stmt.names)}",
                "import only browser names: from jivo_widget.browser import jivo_api, window",
            )
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            self.top_function(stmt)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            self.module_constant(stmt)
        elif isinstance(stmt, ast.Pass):
            pass
        else:
            self.unsupported(
                stmt,
                f"a module-level {describe(stmt)}",
                "a callbacks module holds only imports, constants and functions "
                "(module code runs before the widget loads)",
            )

    def import_from(self, stmt: ast.ImportFrom) -> None:
        if stmt.module == "__future__" and stmt.level == 0:
            return
        if stmt.module != "jivo_widget.browser" or stmt.level:
            self.unsupported(
                stmt,
                f"from {'.' * stmt.level}{stmt.module or ''} import ...",
                "import only browser names: from jivo_widget.browser import jivo_api, window",
            )
            return
        for alias in stmt.names:
            if alias.asname and alias.asname != alias.name:
                self.unsupported(
                    alias, f"import {alias.name} as {alias.asname}", f"import {alias.name}"
                )
            elif alias.name == "on" or alias.name in subset.BROWSER_NAMES:
                self.plan.browser_names.add(alias.name)
            else:
                self.bad(
                    alias,
                    f"jivo_widget.browser has no {alias.name!r} a callback may use; "
                    f"known: {', '.join(sorted(subset.BROWSER_NAMES | {'on'}))}",
                )

    def module_constant(self, stmt: ast.Assign | ast.AnnAssign) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            if not isinstance(target, ast.Name):
                self.unsupported(
                    target, "this module-level assignment", "assign a constant to a plain name"
                )
            else:
                self.bindable(target, target.id)
        if stmt.value is None:
            self.unsupported(stmt, "a declaration without a value", "give the constant a value")
            return
        for node in ast.walk(stmt.value):
            if isinstance(
                node,
                ast.Call
                | ast.Lambda
                | ast.ListComp
                | ast.DictComp
                | ast.GeneratorExp
                | ast.Attribute
                | ast.Subscript,
            ):
                self.unsupported(
                    node,
                    f"{describe(node)} in a module-level constant",
                    "module-level constants are literals (numbers, strings, lists, dicts); "
                    "compute values inside a function",
                )
                return
        self.scopes = []
        self.expr(stmt.value)

    def top_function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        callback = None
        for decorator in fn.decorator_list:
            callback = self.decorator(decorator, fn)
        if fn.name.startswith("jivo_on") and callback is None:
            if fn.name in catalog.CALLBACKS:
                callback = fn.name
            else:
                close = difflib.get_close_matches(fn.name, list(catalog.CALLBACKS), n=1)
                hint = f"did you mean {close[0]}?" if close else "see jivo_widget.catalog.CALLBACKS"
                self.bad(fn, f"{fn.name} is not a Jivo callback; {hint}")
        if callback is not None:
            self.callback_signature(fn, callback)
            self.plan.handlers.setdefault(callback, []).append(fn.name)
        self.function(fn)

    def decorator(self, node: ast.expr, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        # @on("...") from jivo_widget.browser, or @<widget>.on("...") (Widget.on: the function
        # is compiled alone, out of its app module, where <widget> is not a name of the
        # callbacks; the decorator itself is dropped from the output either way).
        if isinstance(node, ast.Call) and (
            (
                isinstance(node.func, ast.Name)
                and node.func.id == "on"
                and "on" in self.plan.browser_names
            )
            or (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "on"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id not in subset.BROWSER_NAMES
            )
        ):
            shown = ast.unparse(node.func)
            if (
                node.keywords
                or len(node.args) != 1
                or not isinstance(node.args[0], ast.Constant)
                or not isinstance(node.args[0].value, str)
            ):
                self.bad(node, f'write @{shown}("introduction"): one callback name as a string')
                return None
            name = node.args[0].value
            resolved = resolve_callback_name(name)
            if resolved is None:
                close = difflib.get_close_matches(name, [c[7:] for c in catalog.CALLBACKS], n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.bad(node, f"@{shown}({name!r}): not a Jivo callback{hint}")
                return None
            if fn.name.startswith("jivo_on") and fn.name != resolved:
                self.bad(fn, f"{fn.name} is decorated with @{shown}({name!r}); name it differently")
            return resolved
        self.unsupported(
            node,
            "this decorator",
            'only @on("callback") from jivo_widget.browser (or @widget.on("callback") of a '
            "Widget) is allowed",
        )
        return None

    def callback_signature(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, callback: str) -> None:
        params = catalog.CALLBACKS[callback].params
        expected = ", ".join(p.name + ("=None" if p.optional else "") for p in params)
        names = args_names(fn.args)
        defaults = fn.args.defaults
        first_default = len(names) - len(defaults)
        ok = len(names) <= len(params)
        for i, param in enumerate(params):
            if i >= len(names):
                ok = ok and param.optional
            elif param.optional and i < first_default:
                ok = False
        if not ok:
            self.bad(fn, f"{fn.name} handles {callback}, which Jivo calls with ({expected}); "
                     f"define it as def {fn.name}({expected})")  # fmt: skip

    # ------------------------------------------------------------------ functions
