"""The checker's calls: builtins, methods, and ``jivo_api`` (arity and argument types).

What a call may be: a supported builtin with its arity (and the iterables it may consume), a
supported method, a Jivo method or global from the catalog with its arity and the shapes of
literal arguments, a module function with its arity. Keyword arguments only where JavaScript
keeps their meaning (``sorted``'s ``key``/``reverse``, ``split``'s ``sep``/``maxsplit``).
"""

from __future__ import annotations

import ast
import difflib

from jivo_widget import catalog
from jivo_widget.transpile import subset
from jivo_widget.transpile._check_messages import method_instead
from jivo_widget.transpile._check_scopes import ScopeRules, chain_root


def literal_shape(node: ast.expr) -> str | None:
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


SHAPE_WORDS = {
    "null": "None",
    "boolean": "a bool",
    "integer": "an int",
    "number": "a number",
    "string": "a str",
    "object": "a dict",
    "array": "a list",
    "function": "a function",
}


def shape_ok(expected: str, got: str) -> bool:
    if expected == "any" or got == expected:
        return True
    return expected == "number" and got == "integer"


class CallRules(ScopeRules):
    """Rules for calls; expressions (:class:`ExpressionRules`) walk their arguments."""

    def expr(self, node: ast.expr) -> None:
        """Check an expression: defined by the expression rules, which derive from these."""
        raise NotImplementedError

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
            root = chain_root(func.value)
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
                self.unsupported(func, f"the .{func.attr}() method", method_instead(func.attr))
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
            self.names_among(
                args[1],
                subset.ISINSTANCE_TYPES,
                "isinstance(..., {})",
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
            shape = literal_shape(arg)
            if shape is None:
                continue
            if shape == "null" and param.optional:
                continue
            if not shape_ok(param.type, shape):
                doc = f" {param.doc}" if param.doc else ""
                self.bad(
                    arg,
                    f"{label}: {param.name} must be {param.type}{doc}, got {SHAPE_WORDS[shape]}",
                )
