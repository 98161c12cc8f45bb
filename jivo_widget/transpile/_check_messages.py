"""The checker's words: what a refused construct is called and what to write instead.

One place for the phrasing, so every refusal reads alike: "<construct> is not supported in
browser callbacks; <what to write instead>".
"""

from __future__ import annotations

import ast

NOT_SUPPORTED = "is not supported in browser callbacks"
LIST_INSTEAD = "use a list: [a, b]"


def op_symbol(op: ast.operator) -> str:
    return {
        ast.Pow: "**", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
        ast.LShift: "<<", ast.RShift: ">>",
    }.get(type(op), type(op).__name__)  # fmt: skip


def operator_instead(op: ast.operator) -> str:
    if isinstance(op, ast.Pow):
        return "multiply, or use a loop"
    return "bitwise operators work on 32-bit integers in JavaScript; use arithmetic"


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
