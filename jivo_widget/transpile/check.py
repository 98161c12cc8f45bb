"""The allow-list checker: what a callbacks module may contain, refused with file:line:col.

Transcrypt compiles much of Python silently wrong (transcrypt.md §4), so nothing reaches it
that this module has not accepted. Every refusal names the construct and what to write instead;
callback names, ``jivo_api`` methods, their arity and argument shapes come from the catalog.
:func:`check` returns the module's :class:`Plan` (which functions handle which callbacks).
"""

from __future__ import annotations

import ast
import difflib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from jivo_widget import catalog
from jivo_widget.transpile import subset
from jivo_widget.transpile.errors import CallbackSourceError, Problem

__all__ = ["Plan", "check", "parse", "resolve_callback_name"]

_NOT_SUPPORTED = "is not supported in browser callbacks"
_LIST_INSTEAD = "use a list: [a, b]"


@dataclass
class Plan:
    """What a checked module defines: handlers per callback (in source order)."""

    handlers: dict[str, list[str]] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)
    constants: set[str] = field(default_factory=set)
    browser_names: set[str] = field(default_factory=set)


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


# ---------------------------------------------------------------------- scopes


@dataclass
class _Scope:
    kind: str  # "function", "lambda", "comprehension"
    names: set[str]
    is_async: bool = False
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)


def _bound_names(body: list[ast.stmt]) -> Iterator[str]:
    """Names a function body binds (its locals), without entering nested scopes."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name
            continue
        if isinstance(
            node, ast.Lambda | ast.ListComp | ast.DictComp | ast.GeneratorExp | ast.SetComp
        ):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id
        elif isinstance(node, ast.ExceptHandler) and node.name:
            yield node.name
        stack.extend(ast.iter_child_nodes(node))


def _args_names(args: ast.arguments) -> list[str]:
    return [a.arg for a in (*args.posonlyargs, *args.args)]


def _root(node: ast.expr) -> ast.expr:
    """The object an attribute/subscript/call chain starts from."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _literal_shape(node: ast.expr) -> str | None:
    """The catalog type of a literal argument, or None when not known statically."""
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int):
            return "integer"
        if isinstance(value, float):
            return "number"
        if isinstance(value, str):
            return "string"
    if isinstance(node, ast.JoinedStr):
        return "string"
    if isinstance(node, ast.Dict | ast.DictComp):
        return "object"
    if isinstance(node, ast.List | ast.ListComp):
        return "array"
    if isinstance(node, ast.Lambda):
        return "function"
    return None


_SHAPE_WORDS = {
    "null": "None",
    "boolean": "a bool",
    "integer": "an int",
    "number": "a number",
    "string": "a str",
    "object": "a dict",
    "array": "a list",
    "function": "a function",
}


def _shape_ok(expected: str, got: str) -> bool:
    if expected == "any" or got == expected:
        return True
    return expected == "number" and got == "integer"


def _is_integer_like(key: str) -> bool:
    return (
        key.isascii() and key.isdigit() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1
    )


class _Checker:
    def __init__(self, filename: str) -> None:
        self.file = filename
        self.problems: list[Problem] = []
        self.plan = Plan()
        self.scopes: list[_Scope] = []
        self.module_names: set[str] = set()
        self.signatures: dict[str, tuple[int, int]] = {}
        # Nodes in a position where a tuple / a view / a generator is fine (by id).
        self.allowed: set[int] = set()

    # ------------------------------------------------------------------ reporting

    def bad(self, node: ast.AST, message: str) -> None:
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", -1) + 1
        self.problems.append(Problem(self.file, line, col, message))

    def unsupported(self, node: ast.AST, construct: str, instead: str) -> None:
        self.bad(node, f"{construct} {_NOT_SUPPORTED}; {instead}")

    # ------------------------------------------------------------------ module level

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
                f"a module-level {self.describe(stmt)}",
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
                    f"{self.describe(node)} in a module-level constant",
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
        names = _args_names(fn.args)
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

    def function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if self.scopes and fn.decorator_list:
            self.unsupported(
                fn.decorator_list[0],
                "a decorator on a nested function",
                "call the function directly",
            )
        self.arguments(fn.args, fn)
        names = set(_args_names(fn.args)) | set(_bound_names(fn.body))
        scope = _Scope("function", names, is_async=isinstance(fn, ast.AsyncFunctionDef))
        for stmt in ast.walk(ast.Module(body=fn.body, type_ignores=[])):
            if isinstance(stmt, ast.Global | ast.Nonlocal) and self._directly_in(fn, stmt):
                (scope.globals if isinstance(stmt, ast.Global) else scope.nonlocals).update(
                    stmt.names
                )
        scope.names -= scope.globals | scope.nonlocals
        for name in sorted(scope.names):
            self.bindable(fn, name)
        saved = self.scopes
        self.scopes = [*saved, scope]
        try:
            self.block(fn.body)
        finally:
            self.scopes = saved

    @staticmethod
    def _directly_in(fn: ast.AST, target: ast.AST) -> bool:
        stack = list(ast.iter_child_nodes(fn))
        while stack:
            node = stack.pop()
            if node is target:
                return True
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            stack.extend(ast.iter_child_nodes(node))
        return False

    def arguments(self, args: ast.arguments, where: ast.AST) -> None:
        if args.vararg or args.kwarg:
            star = args.vararg or args.kwarg
            assert star is not None
            prefix = "*" if args.vararg else "**"
            self.unsupported(
                star, f"{prefix}{star.arg} parameters", "take a list or a dict argument instead"
            )
        if args.kwonlyargs:
            self.unsupported(
                args.kwonlyargs[0], "keyword-only parameters", "use positional parameters"
            )
        for default in args.defaults:
            if not self.is_constant(default):
                self.unsupported(
                    default,
                    "a default value that is not a constant",
                    "defaults are None, True/False, numbers or strings (use None, then build the "
                    "list or dict in the body)",
                )
        for arg in (*args.posonlyargs, *args.args):
            self.bindable(arg, arg.arg)

    @staticmethod
    def is_constant(node: ast.expr) -> bool:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            node = node.operand
            return isinstance(node, ast.Constant) and type(node.value) in (int, float)
        return isinstance(node, ast.Constant) and (
            node.value is None or type(node.value) in (bool, int, float, str)
        )

    def bindable(self, node: ast.AST, name: str) -> None:
        if name.startswith("_jw") or name.startswith("__") or name.startswith("py_"):
            self.bad(node, f"the name {name!r} is reserved for the compiler; rename it")
        elif name in subset.JS_RESERVED:
            self.bad(node, f"the name {name!r} means something else in JavaScript; rename it")
        elif (
            name in subset.BUILTIN_CALLS
            or name in subset.BROWSER_NAMES
            or name in subset.EXCEPTIONS
        ):
            self.bad(node, f"assigning to {name!r} hides a builtin or browser name; rename it")

    # ------------------------------------------------------------------ statements

    def block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            self.function(stmt)
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None:
                self.expr(stmt.value)
        elif isinstance(stmt, ast.Assign):
            if len(stmt.targets) > 1 and any(not isinstance(t, ast.Name) for t in stmt.targets):
                self.unsupported(
                    stmt, "chained assignment to non-names", "assign one target per statement"
                )
            tuple_target = any(isinstance(t, ast.Tuple | ast.List) for t in stmt.targets)
            if tuple_target and isinstance(stmt.value, ast.Tuple):
                self.allowed.add(id(stmt.value))
            for target in stmt.targets:
                self.target(target)
            self.expr(stmt.value)
        elif isinstance(stmt, ast.AugAssign):
            self.aug_assign(stmt)
        elif isinstance(stmt, ast.AnnAssign):
            if not isinstance(stmt.target, ast.Name):
                self.unsupported(
                    stmt, "an annotated assignment to an attribute", "annotate a plain name"
                )
            if stmt.value is not None:
                self.expr(stmt.value)
        elif isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                return  # a docstring
            self.expr(stmt.value)
        elif isinstance(stmt, ast.If):
            self.expr(stmt.test)
            self.block(stmt.body)
            self.block(stmt.orelse)
        elif isinstance(stmt, ast.While):
            if stmt.orelse:
                self.unsupported(stmt.orelse[0], "while ... else", "use a flag variable")
            self.expr(stmt.test)
            self.block(stmt.body)
        elif isinstance(stmt, ast.For):
            if stmt.orelse:
                self.unsupported(stmt.orelse[0], "for ... else", "use a flag variable")
            self.iteration(stmt.target, stmt.iter)
            self.block(stmt.body)
        elif isinstance(stmt, ast.Try):
            self.try_(stmt)
        elif isinstance(stmt, ast.Raise):
            self.raise_(stmt)
        elif isinstance(stmt, ast.Global | ast.Nonlocal):
            for name in stmt.names:
                if isinstance(stmt, ast.Global) and name not in self.module_names:
                    self.bad(
                        stmt,
                        f"global {name}: there is no module-level {name}; "
                        "define it at module level first",
                    )
        elif isinstance(stmt, ast.Pass | ast.Break | ast.Continue):
            pass
        else:
            self.unsupported(stmt, self.describe(stmt), self.instead(stmt))

    def target(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            return
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                if not isinstance(element, ast.Name):
                    self.unsupported(
                        element, "this unpacking target", "unpack into plain names: a, b = pair"
                    )
            return
        if isinstance(target, ast.Attribute):
            self.attribute_name(target)
            self.expr(target.value)
            return
        if isinstance(target, ast.Subscript):
            if isinstance(target.slice, ast.Slice):
                self.unsupported(
                    target, "assignment to a slice", "build a new list with slices and +"
                )
            self.expr(target.value)
            self.expr(target.slice)
            return
        self.unsupported(
            target, f"assignment to {self.describe(target)}", "assign to a name, attribute or item"
        )

    def aug_assign(self, stmt: ast.AugAssign) -> None:
        if not isinstance(stmt.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.FloorDiv | ast.Mod):
            self.unsupported(
                stmt, f"the {self.op_symbol(stmt.op)}= operator", "use +=, -=, *=, /=, //= or %="
            )
        target = stmt.target
        simple = (ast.Name, ast.Constant)
        if isinstance(target, ast.Attribute) and not isinstance(target.value, ast.Name):
            self.unsupported(
                target,
                "augmented assignment to a nested attribute",
                "assign the object to a name first",
            )
        elif isinstance(target, ast.Subscript) and (
            not isinstance(target.value, ast.Name) or not isinstance(target.slice, simple)
        ):
            self.unsupported(
                target,
                "augmented assignment to a computed item",
                "assign the index and the container to names first",
            )
        elif isinstance(target, ast.Subscript | ast.Attribute | ast.Name):
            self.target(target)
            if not isinstance(target, ast.Name):
                self.expr(target)
            else:
                self.name_load(target)
        self.expr(stmt.value)

    def iteration(self, target: ast.expr, iterable: ast.expr) -> None:
        unpacks = isinstance(target, ast.Tuple | ast.List)
        if isinstance(iterable, ast.Call):
            func = iterable.func
            pairs = (isinstance(func, ast.Name) and func.id in ("enumerate", "zip")) or (
                isinstance(func, ast.Attribute) and func.attr == "items" and not iterable.args
            )
            if pairs and not unpacks:
                self.unsupported(
                    target,
                    "iterating pairs into one name",
                    "unpack them: for key, value in d.items() / for i, x in enumerate(xs)",
                )
            self.allowed.add(id(iterable))
        self.target(target)
        self.expr(iterable)

    def try_(self, stmt: ast.Try) -> None:
        if stmt.orelse:
            self.unsupported(
                stmt.orelse[0], "try ... else", "put that code at the end of the try block"
            )
        self.block(stmt.body)
        for handler in stmt.handlers:
            if handler.type is not None:
                kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                if isinstance(handler.type, ast.Tuple):
                    self.allowed.add(id(handler.type))
                for kind in kinds:
                    if not (isinstance(kind, ast.Name) and kind.id in subset.EXCEPTIONS):
                        self.unsupported(
                            kind,
                            f"except {ast.unparse(kind)}",
                            f"catch one of {', '.join(sorted(subset.EXCEPTIONS))}",
                        )
            self.block(handler.body)
        self.block(stmt.finalbody)

    def raise_(self, stmt: ast.Raise) -> None:
        if stmt.cause is not None:
            self.unsupported(stmt, "raise ... from ...", "raise the new exception alone")
        exc = stmt.exc
        if exc is None:
            return
        if isinstance(exc, ast.Name) and exc.id in subset.EXCEPTIONS:
            return
        if (
            isinstance(exc, ast.Call)
            and isinstance(exc.func, ast.Name)
            and exc.func.id in subset.EXCEPTIONS
        ):
            if exc.keywords or len(exc.args) > 1:
                self.unsupported(exc, "an exception with several arguments", "pass one message")
            for arg in exc.args:
                self.expr(arg)
            return
        if isinstance(exc, ast.Name) and self.lookup(exc.id) == "local":
            return  # re-raising a caught exception
        self.unsupported(
            exc,
            f"raise {ast.unparse(exc)}",
            f"raise one of {', '.join(sorted(subset.EXCEPTIONS))}, e.g. raise ValueError('...')",
        )

    # ------------------------------------------------------------------ expressions

    def expr(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant):
            self.constant(node)
        elif isinstance(node, ast.Name):
            self.name_load(node)
        elif isinstance(node, ast.JoinedStr):
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    if value.conversion != -1:
                        self.unsupported(
                            value,
                            f"the !{chr(value.conversion)} conversion in an f-string",
                            "use str(x) inside the braces",
                        )
                    if value.format_spec is not None:
                        self.unsupported(
                            value,
                            "a format spec in an f-string",
                            "format the value first (e.g. with round() or str())",
                        )
                    self.expr(value.value)
        elif isinstance(node, ast.BinOp):
            if not isinstance(
                node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.FloorDiv | ast.Mod
            ):
                self.unsupported(
                    node, f"the {self.op_symbol(node.op)} operator", self.operator_instead(node.op)
                )
            if (
                isinstance(node.op, ast.Mod)
                and isinstance(node.left, ast.Constant | ast.JoinedStr)
                and _literal_shape(node.left) == "string"
            ):
                self.unsupported(node, "%-formatting", 'use an f-string: f"{name}"')
            self.expr(node.left)
            self.expr(node.right)
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Invert):
                self.unsupported(
                    node,
                    "the ~ operator",
                    "bitwise operators work on 32-bit integers in JavaScript; use arithmetic",
                )
            self.expr(node.operand)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.expr(value)
        elif isinstance(node, ast.Compare):
            self.compare(node)
        elif isinstance(node, ast.Call):
            self.call(node)
        elif isinstance(node, ast.Attribute):
            self.attribute_name(node)
            self.expr(node.value)
        elif isinstance(node, ast.Subscript):
            self.expr(node.value)
            if isinstance(node.slice, ast.Slice):
                for part in (node.slice.lower, node.slice.upper, node.slice.step):
                    if part is not None:
                        self.expr(part)
            else:
                self.expr(node.slice)
        elif isinstance(node, ast.List):
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    self.unsupported(element, "*unpacking in a list", "concatenate lists with +")
                else:
                    self.expr(element)
        elif isinstance(node, ast.Tuple):
            if id(node) not in self.allowed:
                self.unsupported(node, "a tuple", _LIST_INSTEAD)
            for element in node.elts:
                self.expr(element)
        elif isinstance(node, ast.Dict):
            self.dict_literal(node)
        elif isinstance(node, ast.IfExp):
            self.expr(node.test)
            self.expr(node.body)
            self.expr(node.orelse)
        elif isinstance(node, ast.Lambda):
            self.arguments(node.args, node)
            saved = self.scopes
            self.scopes = [*saved, _Scope("lambda", set(_args_names(node.args)))]
            try:
                self.expr(node.body)
            finally:
                self.scopes = saved
        elif isinstance(node, ast.ListComp | ast.DictComp):
            self.comprehension(node)
        elif isinstance(node, ast.GeneratorExp):
            if id(node) not in self.allowed:
                self.unsupported(
                    node, "a generator expression here", "use a list comprehension: [x for x in xs]"
                )
            self.comprehension(node)
        elif isinstance(node, ast.Await):
            if not self.scopes or not any(s.is_async for s in self.scopes if s.kind == "function"):
                self.unsupported(node, "await outside an async def", "make the function async def")
            self.expr(node.value)
        else:
            self.unsupported(node, self.describe(node), self.instead(node))

    def constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return
        if isinstance(value, int):
            if abs(value) > subset.MAX_SAFE_INTEGER:
                self.bad(
                    node,
                    f"the integer {value} is beyond JavaScript's exact range (±2**53); "
                    "use a smaller number or a string",
                )
            return
        if isinstance(value, float):
            return
        self.unsupported(
            node, f"a {type(value).__name__} literal", "use str, int, float, bool or None"
        )

    def name_load(self, node: ast.Name) -> None:
        where = self.lookup(node.id)
        if where is None:
            if node.id in subset.BROWSER_NAMES:
                self.bad(
                    node,
                    f"{node.id} is a browser name: import it with "
                    f"from jivo_widget.browser import {node.id}",
                )
            else:
                close = difflib.get_close_matches(node.id, self.visible_names(), n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                self.bad(
                    node,
                    f"unknown name {node.id!r}{hint} (callbacks may use their own names, browser "
                    "names imported from jivo_widget.browser and the supported builtins)",
                )
        elif where == "builtin" and node.id not in subset.BUILTIN_VALUES:
            self.unsupported(
                node, f"{node.id} as a value", f"call it: {node.id}(...), or wrap it in a lambda"
            )
        elif where == "exception":
            self.unsupported(
                node,
                f"{node.id} as a value",
                f"raise {node.id}('...') or catch it with except {node.id}:",
            )

    def lookup(self, name: str) -> str | None:
        """Where a name comes from: local, module, browser, builtin, exception, constant."""
        if name in ("None", "True", "False"):
            return "constant"
        for scope in reversed(self.scopes):
            if name in scope.names:
                return "local"
            if name in scope.globals:
                return "module"
            if name in scope.nonlocals:
                continue
        if name in self.module_names:
            return "module"
        if name in self.plan.browser_names and name != "on":
            return "browser"
        if name in subset.BUILTIN_CALLS:
            return "builtin"
        if name in subset.EXCEPTIONS:
            return "exception"
        return None

    def visible_names(self) -> list[str]:
        names = set(self.module_names) | set(self.plan.browser_names) | set(subset.BUILTIN_CALLS)
        for scope in self.scopes:
            names |= scope.names
        return sorted(names)

    def attribute_name(self, node: ast.Attribute) -> None:
        if node.attr.startswith("__") or node.attr.startswith("_jw"):
            self.unsupported(
                node, f"the attribute .{node.attr}", "use the object's public properties"
            )

    def dict_literal(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                self.unsupported(
                    value, "**unpacking in a dict", "copy with a loop or d.update(other)"
                )
                continue
            if isinstance(key, ast.Constant):
                if not isinstance(key.value, str):
                    self.bad(
                        key,
                        f"dict key {key.value!r}: keys are str in browser callbacks "
                        "(JS objects have string keys)",
                    )
                elif _is_integer_like(key.value):
                    self.bad(
                        key,
                        f"dict key {key.value!r} looks like an integer; JavaScript would move it "
                        "ahead of the other keys: use a non-numeric key",
                    )
            self.expr(key)
            self.expr(value)

    def comprehension(self, node: ast.ListComp | ast.DictComp | ast.GeneratorExp) -> None:
        saved = self.scopes
        try:
            for generator in node.generators:
                if generator.is_async:
                    self.unsupported(generator, "async comprehensions", "use a for loop with await")
                names = {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
                for name in sorted(names):
                    self.bindable(generator.target, name)
                self.iteration(generator.target, generator.iter)
                self.scopes = [*self.scopes, _Scope("comprehension", names)]
                for condition in generator.ifs:
                    self.expr(condition)
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            self.late_binding(node, [*parts, *(c for g in node.generators for c in g.ifs)])
            for part in parts:
                self.expr(part)
        finally:
            self.scopes = saved

    def late_binding(
        self, node: ast.ListComp | ast.DictComp | ast.GeneratorExp, parts: list[ast.expr]
    ) -> None:
        """Refuse a lambda that reads a comprehension's variable: in Python every such lambda
        sees the variable's last value (one scope for the whole comprehension), while the
        compiled comprehension gives each item its own."""
        names = {
            n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)
        }
        # A lambda called at once (or as sorted()'s key) runs within its item: no difference.
        run_at_once: set[int] = set()
        for part in parts:
            for inner in ast.walk(part):
                if isinstance(inner, ast.Call):
                    run_at_once.add(id(inner.func))
                    run_at_once.update(id(k.value) for k in inner.keywords if k.arg == "key")
        for part in parts:
            for inner in ast.walk(part):
                if id(inner) in run_at_once:
                    continue
                if isinstance(inner, ast.Lambda) and names & {
                    n.id for n in ast.walk(inner.body) if isinstance(n, ast.Name)
                }:
                    self.unsupported(
                        inner,
                        "a lambda reading the comprehension's variable",
                        "build the list with a for loop",
                    )

    def compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        if len(node.ops) > 1:
            for middle in operands[1:-1]:
                if not (isinstance(middle, ast.Name) or self.is_constant(middle)):
                    self.unsupported(
                        middle,
                        "a computed value in the middle of a chained comparison",
                        "assign it to a name first: v = ...; a < v < b",
                    )
        for op, right in zip(node.ops, operands[1:], strict=True):
            if isinstance(op, ast.Is | ast.IsNot):
                singletons = (None, True, False)
                if not (
                    isinstance(right, ast.Constant)
                    and right.value in singletons
                    and type(right.value) in (bool, type(None))
                ):
                    self.unsupported(
                        node,
                        "'is' with anything but None, True or False",
                        "use == to compare values",
                    )
            # `x in ("a", "b")`, `k in d.keys()`, `i in range(3)`; not a generator, which Python
            # stops consuming at the first match.
            if isinstance(op, ast.In | ast.NotIn) and not isinstance(right, ast.GeneratorExp):
                self.allowed.add(id(right))
        for operand in operands:
            self.expr(operand)

    # ------------------------------------------------------------------ calls

    def call(self, node: ast.Call) -> None:
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.unsupported(arg, "*args in a call", "pass the arguments one by one")
        func = node.func
        if isinstance(func, ast.Name):
            where = self.lookup(func.id)
            if where == "builtin":
                self.builtin_call(node, func.id)
                if node.keywords and func.id != "sorted":
                    self.unsupported(
                        node.keywords[0],
                        "keyword arguments",
                        f"{func.id}() takes positional arguments here",
                    )
                for keyword in node.keywords:
                    self.expr(keyword.value)
                return
            if where == "exception":
                self.unsupported(node, f"{func.id}(...) outside raise", f"raise {func.id}('...')")
                return
            if func.id in ("jivo_init", "jivo_destroy") and where == "browser":
                self.jivo_call(node, catalog.GLOBALS[func.id], func.id)
            elif where == "module" and func.id in self.signatures:
                self.arity(node, func.id, *self.signatures[func.id])
        elif isinstance(func, ast.Attribute):
            root = _root(func.value)
            from_browser = isinstance(root, ast.Name) and self.lookup(root.id) == "browser"
            is_jivo_api = (
                isinstance(func.value, ast.Name) and func.value.id == "jivo_api" and from_browser
            )
            is_jivo_api = is_jivo_api or (
                isinstance(func.value, ast.Attribute)
                and func.value.attr == "jivo_api"
                and isinstance(func.value.value, ast.Name)
                and func.value.value.id == "window"
                and from_browser
            )
            if is_jivo_api:
                method = catalog.METHODS.get(func.attr)
                if method is None:
                    close = difflib.get_close_matches(func.attr, list(catalog.METHODS), n=1)
                    hint = f"; did you mean {close[0]}?" if close else ""
                    self.bad(func, f"jivo_api.{func.attr} is not a Jivo method{hint}")
                else:
                    self.jivo_call(node, method, f"jivo_api.{func.attr}")
            elif (
                func.attr in ("jivo_init", "jivo_destroy")
                and isinstance(func.value, ast.Name)
                and func.value.id == "window"
                and from_browser
            ):
                self.jivo_call(node, catalog.GLOBALS[func.attr], f"window.{func.attr}")
            elif func.attr in subset.METHODS and not from_browser:
                self.method_call(node, func.attr)
            elif func.attr in subset.PYTHON_ONLY_METHODS and not from_browser:
                self.unsupported(func, f"the .{func.attr}() method", self.method_instead(func.attr))
            elif func.attr in ("startswith", "endswith") and node.args:
                # A tuple of prefixes on a browser string: window.location.pathname.startswith(...)
                self.allow_tuple(node.args[0])
            self.expr(func)
        else:
            self.expr(func)
        if (
            node.keywords
            and not (isinstance(func, ast.Name) and func.id == "sorted")
            and not (isinstance(func, ast.Attribute) and func.attr == "split")
        ):
            self.unsupported(
                node.keywords[0],
                "keyword arguments",
                "pass arguments by position (a JS function receives one object instead, and Python "
                "functions would lose them); pass a dict to browser APIs",
            )
        for keyword in node.keywords:
            self.expr(keyword.value)
        for arg in node.args:
            if not isinstance(arg, ast.Starred):
                self.expr(arg)

    def allow_tuple(self, node: ast.expr) -> None:
        if isinstance(node, ast.Tuple):
            self.allowed.add(id(node))

    def arity(self, node: ast.Call, name: str, low: int, high: int) -> None:
        count = len(node.args)
        if not low <= count <= high:
            wanted = str(low) if low == high else f"{low} to {high}"
            self.bad(node, f"{name}() takes {wanted} argument(s), {count} given")

    def builtin_call(self, node: ast.Call, name: str) -> None:
        low, high = subset.BUILTIN_CALLS[name]
        self.arity(node, name, low, high)
        args = node.args
        iterable_consumers = (
            "list",
            "sorted",
            "len",
            "sum",
            "min",
            "max",
            "any",
            "all",
            "enumerate",
            "zip",
        )
        if name in iterable_consumers:
            for arg in args:
                if (
                    isinstance(arg, ast.Call)
                    and isinstance(arg.func, ast.Attribute)
                    and arg.func.attr in ("keys", "values")
                ):
                    self.allowed.add(id(arg))
                if (
                    isinstance(arg, ast.Call)
                    and isinstance(arg.func, ast.Name)
                    and arg.func.id == "range"
                ):
                    self.allowed.add(id(arg))
            if len(args) == 1 and isinstance(args[0], ast.GeneratorExp):
                if name in ("any", "all"):
                    self.unsupported(
                        args[0],
                        f"a generator expression in {name}()",
                        f"Python stops at the first decisive item; write {name}([...]) to "
                        "evaluate every item, or a loop",
                    )
                elif name in ("list", "sorted", "sum", "min", "max"):
                    self.allowed.add(id(args[0]))
        if name == "isinstance" and len(args) == 2:
            kinds = args[1].elts if isinstance(args[1], ast.Tuple) else [args[1]]
            if isinstance(args[1], ast.Tuple):
                self.allowed.add(id(args[1]))
            for kind in kinds:
                if not (isinstance(kind, ast.Name) and kind.id in subset.ISINSTANCE_TYPES):
                    self.unsupported(
                        kind,
                        f"isinstance(..., {ast.unparse(kind)})",
                        f"test for {', '.join(sorted(subset.ISINSTANCE_TYPES))}",
                    )
            self.expr(args[0])
            return
        if name == "sorted":
            for keyword in node.keywords:
                if keyword.arg not in ("key", "reverse"):
                    self.unsupported(
                        keyword, f"sorted(..., {keyword.arg}=...)", "use key= and reverse="
                    )
        if name in ("enumerate", "zip") and id(node) not in self.allowed:
            self.unsupported(
                node,
                f"{name}() outside a for loop",
                f"use it directly in a loop: for a, b in {name}(...)",
            )
        if name == "range" and id(node) not in self.allowed:
            self.unsupported(
                node, "range() as a value", "use it in a for loop, or list(range(...))"
            )

    def method_call(self, node: ast.Call, name: str) -> None:
        low, high = subset.METHODS[name]
        count = len(node.args) + len(node.keywords)
        if name == "split":
            for keyword in node.keywords:
                if keyword.arg not in ("sep", "maxsplit"):
                    self.unsupported(keyword, f"split({keyword.arg}=...)", "use sep= or maxsplit=")
        if not low <= count <= high:
            wanted = str(low) if low == high else f"{low} to {high}"
            self.bad(
                node, f".{name}() takes {wanted} argument(s) in browser callbacks, {count} given"
            )
        if name in ("keys", "values", "items") and id(node) not in self.allowed:
            self.unsupported(
                node,
                f".{name}() as a value",
                f"iterate it (for ... in d.{name}()) or copy it: list(d.{name}())"
                if name != "items"
                else "iterate it: for key, value in d.items()",
            )
        if name in ("startswith", "endswith") and node.args:
            self.allow_tuple(node.args[0])

    def jivo_call(self, node: ast.Call, method: catalog.Method, label: str) -> None:
        params = method.params
        required = sum(1 for p in params if not p.optional)
        signature = ", ".join(p.name + ("?" if p.optional else "") for p in params)
        if not required <= len(node.args) <= len(params):
            wanted = str(required) if required == len(params) else f"{required} to {len(params)}"
            self.bad(
                node,
                f"{label}({signature}) takes {wanted} argument(s), {len(node.args)} given",
            )
            return
        for param, arg in zip(params, node.args, strict=False):
            shape = _literal_shape(arg)
            if shape is None:
                continue
            if shape == "null" and param.optional:
                continue
            if not _shape_ok(param.type, shape):
                doc = f" {param.doc}" if param.doc else ""
                self.bad(
                    arg,
                    f"{label}: {param.name} must be {param.type}{doc}, got {_SHAPE_WORDS[shape]}",
                )

    # ------------------------------------------------------------------ words

    @staticmethod
    def op_symbol(op: ast.operator) -> str:
        return {
            ast.Pow: "**", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
            ast.LShift: "<<", ast.RShift: ">>",
        }.get(type(op), type(op).__name__)  # fmt: skip

    @staticmethod
    def operator_instead(op: ast.operator) -> str:
        if isinstance(op, ast.Pow):
            return "multiply, or use a loop"
        return "bitwise operators work on 32-bit integers in JavaScript; use arithmetic"

    @staticmethod
    def method_instead(name: str) -> str:
        return {
            "sort": "use sorted(xs), or sorted(xs, key=..., reverse=True)",
            "reverse": "use a slice: xs[::-1]",
            "copy": "use list(xs) or a slice xs[:]",
            "format": 'use an f-string: f"{name}"',
            "setdefault": "test with `in`, then assign",
            "rsplit": "use split()",
            "removeprefix": "test startswith() and slice",
            "removesuffix": "test endswith() and slice",
        }.get(name, "write it with the supported methods (see the README: Callbacks in Python)")

    @staticmethod
    def describe(node: ast.AST) -> str:
        names = {
            ast.ClassDef: "a class",
            ast.With: "a with statement",
            ast.AsyncWith: "async with",
            ast.AsyncFor: "async for",
            ast.Delete: "del",
            ast.Assert: "assert",
            ast.Match: "a match statement",
            ast.NamedExpr: "the walrus operator :=",
            ast.Yield: "yield (generators)",
            ast.YieldFrom: "yield from (generators)",
            ast.Set: "a set",
            ast.SetComp: "a set comprehension",
            ast.Starred: "*unpacking",
            ast.Import: "import",
            ast.TryStar: "try/except*",
            ast.Expr: "expression statement",
            ast.Call: "a call",
            ast.Lambda: "a lambda",
            ast.ListComp: "a list comprehension",
            ast.DictComp: "a dict comprehension",
            ast.GeneratorExp: "a generator expression",
            ast.Attribute: "attribute access",
            ast.Subscript: "indexing",
            ast.If: "an if statement",
            ast.For: "a for loop",
            ast.While: "a while loop",
            ast.Try: "a try statement",
            ast.Global: "global",
            ast.Nonlocal: "nonlocal",
        }
        return names.get(type(node), type(node).__name__)

    @staticmethod
    def instead(node: ast.AST) -> str:
        return {
            ast.ClassDef: "use functions and dicts",
            ast.With: "call the functions directly",
            ast.AsyncWith: "await the calls directly",
            ast.AsyncFor: "use a for loop with await inside",
            ast.Delete: "assign None, or d.pop(key)",
            ast.Assert: "use if ...: raise ValueError('...')",
            ast.Match: "use if/elif/else",
            ast.NamedExpr: "assign on its own line first",
            ast.Yield: "build and return a list",
            ast.YieldFrom: "build and return a list",
            ast.Set: "use a list or a dict",
            ast.SetComp: "use a list or dict comprehension",
            ast.Starred: "pass the items one by one, or concatenate lists",
            ast.TryStar: "use try/except",
        }.get(type(node), "see the README: Callbacks in Python")
