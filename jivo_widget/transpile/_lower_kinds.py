"""The lowerer's state and the static kinds that let obviously safe operations stay native.

A kind (``int``, ``num``, ``str``, ``bool``, ``none``) is what an expression is known to be
without running it: ``len(xs) - 1`` is an int, ``"a" + name.lower()`` a str when ``name`` is.
:class:`StaticKinds` is the base of the lowerer: the string table, fresh temporary names, and
:meth:`StaticKinds.kind`.
"""

from __future__ import annotations

import ast

from jivo_widget.transpile import subset
from jivo_widget.transpile._lower_nodes import const
from jivo_widget.transpile.check import Plan

INT, NUM, STR, BOOL, NONE = "int", "num", "str", "bool", "none"
NUMBERS = (INT, NUM)
STR_RESULT_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "replace"})


class StaticKinds:
    """The lowerer's state (strings, temporaries, function ranges) and the static kinds."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.strings: list[str] = []
        self.string_ids: dict[str, int] = {}
        self.functions: list[tuple[int, int, str]] = []
        self.counter = 0
        # The names of the except clauses around the current statement (bare `raise`).
        self.handler_names: list[str] = []

    # ------------------------------------------------------------------ plumbing

    def string(self, value: str) -> ast.Constant:
        index = self.string_ids.get(value)
        if index is None:
            index = self.string_ids[value] = len(self.strings)
            self.strings.append(value)
        return const(f"_jw_S{index}_")

    def temp(self, stem: str) -> str:
        self.counter += 1
        return f"_jw_{stem}{self.counter}"

    def is_browser(self, node: ast.expr) -> bool:
        while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
            node = node.func if isinstance(node, ast.Call) else node.value
        return isinstance(node, ast.Name) and node.id in self.plan.browser_names

    # ------------------------------------------------------------------ static kinds

    def kind(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                return BOOL
            if isinstance(value, int):
                return INT
            if isinstance(value, float):
                return NUM
            if isinstance(value, str):
                return STR
            return NONE if value is None else None
        if isinstance(node, ast.JoinedStr):
            return STR
        if isinstance(node, ast.Compare):
            return BOOL
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return BOOL
            operand = self.kind(node.operand)
            return operand if operand in NUMBERS else None
        if isinstance(node, ast.BinOp):
            left, right = self.kind(node.left), self.kind(node.right)
            if left == right == INT and not isinstance(node.op, ast.Div):
                return INT
            if left in NUMBERS and right in NUMBERS:
                return NUM
            if left == right == STR and isinstance(node.op, ast.Add):
                return STR
            return None
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in subset.BUILTIN_CALLS:
                if func.id in ("len", "int"):
                    return INT
                if func.id == "float":
                    return NUM
                if func.id == "str":
                    return STR
                if func.id in ("bool", "isinstance", "any", "all"):
                    return BOOL
                if func.id == "abs" and node.args and self.kind(node.args[0]) in NUMBERS:
                    return self.kind(node.args[0])
            if isinstance(func, ast.Attribute) and func.attr in ("startswith", "endswith"):
                return BOOL  # Python-only names: a str answers a bool
            if isinstance(func, ast.Attribute) and self.kind(func.value) == STR:
                if func.attr in STR_RESULT_METHODS:
                    return STR
                if func.attr == "join":
                    return STR
            return None
        return None

    def is_builtin(self, name: str) -> bool:
        # The checker refuses local names that hide builtins; module functions cannot either.
        return name not in self.plan.functions and name not in self.plan.constants
