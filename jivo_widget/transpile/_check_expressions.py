"""The checker's expressions: operators, literals, comprehensions, comparisons, targets.

Refuses what Transcrypt would compile with another meaning (tuples and generators where a list
is meant, ``is`` on values, ``%``-formatting, integer-looking dict keys, lambdas that would see
a comprehension's variable per item) and walks every sub-expression.
"""

from __future__ import annotations

import ast

from jivo_widget.transpile import subset
from jivo_widget.transpile._check_calls import CallRules, literal_shape
from jivo_widget.transpile._check_messages import (
    LIST_INSTEAD,
    describe,
    instead,
    op_symbol,
    operator_instead,
)
from jivo_widget.transpile._check_scopes import Scope, args_names


def is_integer_like(key: str) -> bool:
    return (
        key.isascii() and key.isdigit() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1
    )


class ExpressionRules(CallRules):
    """Rules for expressions, assignment targets and what a ``for`` iterates."""

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
            target, f"assignment to {describe(target)}", "assign to a name, attribute or item"
        )

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
                    node, f"the {op_symbol(node.op)} operator", operator_instead(node.op)
                )
            if (
                isinstance(node.op, ast.Mod)
                and isinstance(node.left, ast.Constant | ast.JoinedStr)
                and literal_shape(node.left) == "string"
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
                self.unsupported(node, "a tuple", LIST_INSTEAD)
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
            self.scopes = [*saved, Scope("lambda", set(args_names(node.args)))]
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
            self.unsupported(node, describe(node), instead(node))

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
                elif is_integer_like(key.value):
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
                self.scopes = [*self.scopes, Scope("comprehension", names)]
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
