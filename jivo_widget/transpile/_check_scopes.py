"""The checker's names: the plan a module builds, its scopes, and where each name comes from.

:class:`ScopeRules` is the base of the checker: it holds what the walk has found (the
:class:`Plan`, the problems, the scopes) and the rules about names — which may be bound, where
a loaded name comes from (local, module, browser, builtin, exception), parameters and defaults.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from jivo_widget.transpile import subset
from jivo_widget.transpile._check_messages import NOT_SUPPORTED
from jivo_widget.transpile.errors import Problem


@dataclass
class Plan:
    """What a checked module defines: handlers per callback (in source order)."""

    handlers: dict[str, list[str]] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)
    constants: set[str] = field(default_factory=set)
    browser_names: set[str] = field(default_factory=set)


@dataclass
class Scope:
    kind: str  # "function", "lambda", "comprehension"
    names: set[str]
    is_async: bool = False
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)


def bound_names(body: list[ast.stmt]) -> Iterator[str]:
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


def args_names(args: ast.arguments) -> list[str]:
    return [a.arg for a in (*args.posonlyargs, *args.args)]


def chain_root(node: ast.expr) -> ast.expr:
    """The object an attribute/subscript/call chain starts from."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


class ScopeRules:
    """The checker's state and its rules for names; the other rule layers derive from it."""

    def __init__(self, filename: str) -> None:
        self.file = filename
        self.problems: list[Problem] = []
        self.plan = Plan()
        self.scopes: list[Scope] = []
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
        self.bad(node, f"{construct} {NOT_SUPPORTED}; {instead}")

    # ------------------------------------------------------------------ names

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

    def names_among(
        self, node: ast.expr, allowed: Collection[str], construct: str, instead: str
    ) -> None:
        """``node`` names one of ``allowed``, or is a tuple of such names (a tuple is fine
        there: ``except (A, B)``, ``isinstance(x, (int, float))``); each other one is refused
        as ``construct`` (``{}`` stands for it)."""
        kinds = node.elts if isinstance(node, ast.Tuple) else [node]
        if isinstance(node, ast.Tuple):
            self.allowed.add(id(node))
        for kind in kinds:
            if not (isinstance(kind, ast.Name) and kind.id in allowed):
                self.unsupported(kind, construct.format(ast.unparse(kind)), instead)

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
