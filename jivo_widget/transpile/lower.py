"""Lowering: rewrite a checked callbacks module into Python that Transcrypt translates 1:1.

Transcrypt gives JavaScript's meaning to much of Python (transcrypt.md §4). Instead of trusting
it, every construct whose meaning differs becomes a call of a helper from ``helpers.js``
(``x[-1]`` -> ``_jw_getitem(x, -1)``, ``if xs:`` -> ``if _jw_bool(xs):``, ``a == b`` ->
``_jw_eq(a, b)``...), loops become index loops, comprehensions become helper calls with
lambdas, and every string literal becomes a placeholder that the linker replaces with the
script-safe JSON of its value. What is left for Transcrypt is syntax: functions, closures,
default arguments, if/while, try/except, async/await, lambdas, attribute access.

Static kinds (``num``, ``str``, ``bool``) let obviously safe operations stay native
(``len(xs) - 1``, ``"a" + name.lower()`` when ``name.lower()`` is known to be a str...).

Each statement is preceded by ``_jw_at = <line>`` so an error can name the user's Python line.

This module holds the entry point and the module's top level. The lowerer is one class built
in layers, a module per construct family, each deriving from the one before: ``_lower_kinds``
(its state and the static kinds) -> ``_lower_expressions`` -> ``_lower_statements``;
``_lower_nodes`` builds the new AST nodes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from jivo_widget.transpile import subset
from jivo_widget.transpile._lower_nodes import assign_to, const
from jivo_widget.transpile._lower_statements import StatementLowerer
from jivo_widget.transpile.check import Plan

__all__ = ["LoweredModule", "lower"]


@dataclass
class LoweredModule:
    """The lowered module: Python for Transcrypt, its string table and function line ranges."""

    source: str
    strings: list[str]
    functions: list[tuple[int, int, str]]
    handlers: dict[str, list[str]]


class _Lowerer(StatementLowerer):
    """The whole lowering: the module's top level here, everything below in the layers."""

    def module(self, tree: ast.Module) -> ast.Module:
        body: list[ast.stmt] = [assign_to("_jw_at", const(0))]
        for stmt in tree.body:
            if isinstance(stmt, ast.ImportFrom | ast.Import | ast.Pass):
                continue
            if isinstance(stmt, ast.Expr):
                continue  # the docstring (the checker refused other expressions)
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                body.append(self.function(stmt))
            elif isinstance(stmt, ast.Assign):
                body.append(ast.Assign(targets=stmt.targets, value=self.expr(stmt.value), lineno=0))
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                assert isinstance(stmt.target, ast.Name)
                body.append(assign_to(stmt.target.id, self.expr(stmt.value)))
        return ast.Module(body=body, type_ignores=[])


def lower(tree: ast.Module, plan: Plan) -> LoweredModule:
    """Lower a checked module (see the module docstring) into Transcrypt's input."""
    lowerer = _Lowerer(plan)
    module = ast.fix_missing_locations(lowerer.module(tree))
    pragmas = ["# __pragma__ ('jsiter')"]
    pragmas += [f"# __pragma__ ('noalias', '{name}')" for name in subset.TRANSCRYPT_ALIASED]
    source = "\n".join(pragmas) + "\n" + ast.unparse(module) + "\n"
    return LoweredModule(
        source=source,
        strings=lowerer.strings,
        functions=sorted(lowerer.functions),
        handlers={name: list(functions) for name, functions in plan.handlers.items()},
    )
