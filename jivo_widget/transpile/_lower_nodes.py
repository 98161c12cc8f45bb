"""The lowerer's building blocks: new AST nodes, and questions asked of the user's nodes."""

from __future__ import annotations

import ast
from typing import Any


def ref(identifier: str) -> ast.Name:
    return ast.Name(id=identifier, ctx=ast.Load())


def helper_call(helper: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ref(helper), args=list(args), keywords=[])


def const(value: Any) -> ast.Constant:
    return ast.Constant(value=value)


def arguments_of(params: list[str]) -> ast.arguments:
    """Plain positional parameters, no defaults (the lowering applies defaults itself)."""
    return ast.arguments(
        posonlyargs=[],
        args=[ast.arg(arg=p) for p in params],
        vararg=None,
        kwonlyargs=[],
        kw_defaults=[],
        kwarg=None,
        defaults=[],
    )


def lambda_of(params: list[str], body: ast.expr) -> ast.Lambda:
    return ast.Lambda(args=arguments_of(params), body=body)


def assign_to(target: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value, lineno=0)


def read_back(target: ast.expr) -> ast.expr:
    """A Store-context target read back (for augmented assignment)."""
    if isinstance(target, ast.Attribute):
        return ast.Attribute(value=target.value, attr=target.attr, ctx=ast.Load())
    if isinstance(target, ast.Subscript):
        return ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load())
    return target


def view_method(node: ast.expr) -> str | None:
    """``keys``/``values``/``items`` for ``d.keys()``..., else None."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("keys", "values", "items")
        and not node.args
    ):
        return node.func.attr
    return None


def constant_int(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = constant_int(node.operand)
        return None if inner is None else -inner
    return None


def nonzero_constant(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value != 0
