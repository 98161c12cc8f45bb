"""Lowering expressions: Python's meaning for operators, comparisons, calls and comprehensions.

Each operation whose JavaScript meaning differs becomes a helper call (``a == b`` ->
``_jw_eq(a, b)``, ``x[-1]`` -> ``_jw_getitem(x, -1)``), unless the static kinds show the native
operation means the same; comprehensions become ``_jw_flat`` calls with lambdas.
"""

from __future__ import annotations

import ast

from jivo_widget.transpile import subset
from jivo_widget.transpile._lower_kinds import BOOL, NONE, NUMBERS, STR, StaticKinds
from jivo_widget.transpile._lower_nodes import (
    const,
    helper_call,
    lambda_of,
    nonzero_constant,
    ref,
    view_method,
)

BINOP_HELPERS: dict[type[ast.operator], str] = {
    ast.Add: "_jw_add",
    ast.Sub: "_jw_sub",
    ast.Mult: "_jw_mul",
    ast.Div: "_jw_div",
    ast.FloorDiv: "_jw_floordiv",
    ast.Mod: "_jw_mod",
}
ORDER: dict[type[ast.cmpop], tuple[str, type[ast.cmpop]]] = {
    ast.Lt: ("<", ast.Lt),
    ast.LtE: ("<=", ast.LtE),
    ast.Gt: (">", ast.Gt),
    ast.GtE: (">=", ast.GtE),
}


class ExpressionLowerer(StaticKinds):
    """Lowers expressions."""

    def test(self, node: ast.expr) -> ast.expr:
        """An expression whose truth is used: a JS boolean with Python's truthiness."""
        if isinstance(node, ast.BoolOp):
            return ast.BoolOp(op=node.op, values=[self.test(v) for v in node.values])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ast.UnaryOp(op=ast.Not(), operand=self.test(node.operand))
        lowered = self.expr(node)
        return lowered if self.kind(node) == BOOL else helper_call("_jw_bool", lowered)

    def expr(self, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Constant):
            return self.string(node.value) if isinstance(node.value, str) else const(node.value)
        if isinstance(node, ast.Name):
            if (
                node.id in subset.BUILTIN_VALUES
                and node.id in subset.BUILTIN_CALLS
                and self.is_builtin(node.id)
            ):
                return ref(f"_jw_{node.id}")
            return ref(node.id)
        if isinstance(node, ast.JoinedStr):
            return self.fstring(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return ast.UnaryOp(op=ast.Not(), operand=self.test(node.operand))
            operand = self.expr(node.operand)
            if self.kind(node.operand) in NUMBERS:
                return ast.UnaryOp(op=node.op, operand=operand)
            if isinstance(node.op, ast.USub):
                return helper_call("_jw_neg", operand)
            return helper_call("_jw_sub", operand, const(0))
        if isinstance(node, ast.BoolOp):
            if all(self.kind(v) == BOOL for v in node.values):
                return ast.BoolOp(op=node.op, values=[self.expr(v) for v in node.values])
            helper = "_jw_or" if isinstance(node.op, ast.Or) else "_jw_and"
            result = self.expr(node.values[-1])
            for value in reversed(node.values[:-1]):
                result = helper_call(helper, self.expr(value), lambda_of([], result))
            return result
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            return ast.Attribute(value=self.expr(node.value), attr=node.attr, ctx=ast.Load())
        if isinstance(node, ast.Subscript):
            value = self.expr(node.value)
            if isinstance(node.slice, ast.Slice):
                parts = [node.slice.lower, node.slice.upper, node.slice.step]
                return helper_call(
                    "_jw_slice",
                    value,
                    *[const(None) if p is None else self.expr(p) for p in parts],
                )
            return helper_call("_jw_getitem", value, self.expr(node.slice))
        if isinstance(node, ast.List | ast.Tuple):
            return ast.List(elts=[self.expr(e) for e in node.elts], ctx=ast.Load())
        if isinstance(node, ast.Dict):
            return self.dict_literal(node)
        if isinstance(node, ast.IfExp):
            return ast.IfExp(
                test=self.test(node.test), body=self.expr(node.body), orelse=self.expr(node.orelse)
            )
        if isinstance(node, ast.Lambda):
            params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
            lowered = lambda_of(params, self.expr(node.body))
            lowered.args.defaults = [self.expr(d) for d in node.args.defaults]
            return lowered
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self.comprehension(
                node.generators, ast.List(elts=[self.expr(node.elt)], ctx=ast.Load())
            )
        if isinstance(node, ast.DictComp):
            pair = ast.List(
                elts=[ast.List(elts=[self.expr(node.key), self.expr(node.value)], ctx=ast.Load())],
                ctx=ast.Load(),
            )
            return helper_call("_jw_dict", self.comprehension(node.generators, pair))
        if isinstance(node, ast.Await):
            return ast.Await(value=self.expr(node.value))
        raise AssertionError(f"the checker let {type(node).__name__} through")  # pragma: no cover

    def fstring(self, node: ast.JoinedStr) -> ast.expr:
        parts: list[ast.expr] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(self.string(str(value.value)))
            else:
                assert isinstance(value, ast.FormattedValue)
                inner = self.expr(value.value)
                parts.append(
                    inner if self.kind(value.value) == STR else helper_call("_jw_str", inner)
                )
        if not parts:
            return self.string("")
        if len(parts) == 1 and isinstance(node.values[0], ast.FormattedValue):
            return parts[0]
        result = parts[0]
        for part in parts[1:]:
            result = ast.BinOp(left=result, op=ast.Add(), right=part)
        return result

    def binop(self, node: ast.BinOp) -> ast.expr:
        left, right = self.kind(node.left), self.kind(node.right)
        lowered_left, lowered_right = self.expr(node.left), self.expr(node.right)
        native = False
        numbers = left in NUMBERS and right in NUMBERS
        if isinstance(node.op, ast.Add):
            native = numbers or left == right == STR
        elif isinstance(node.op, ast.Sub | ast.Mult):
            native = numbers
        elif isinstance(node.op, ast.Div):
            native = numbers and nonzero_constant(node.right)
        if native:
            return ast.BinOp(left=lowered_left, op=node.op, right=lowered_right)
        return helper_call(BINOP_HELPERS[type(node.op)], lowered_left, lowered_right)

    def compare(self, node: ast.Compare) -> ast.expr:
        operands = [node.left, *node.comparators]
        results = [
            self.compare_pair(left, op, right)
            for op, left, right in zip(node.ops, operands, operands[1:], strict=False)
        ]
        return results[0] if len(results) == 1 else ast.BoolOp(op=ast.And(), values=results)

    def compare_pair(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> ast.expr:
        kl, kr = self.kind(left), self.kind(right)
        a, b = self.expr(left), self.expr(right)
        if isinstance(op, ast.Is | ast.IsNot):
            assert isinstance(right, ast.Constant)
            if right.value is None:
                # `x is None` is also true for JS undefined: loose == null is exactly that.
                return ast.Compare(
                    left=a,
                    ops=[ast.Eq() if isinstance(op, ast.Is) else ast.NotEq()],
                    comparators=[const(None)],
                )
            return ast.Compare(left=a, ops=[op], comparators=[b])
        if isinstance(op, ast.Eq | ast.NotEq):
            if kl == NONE or kr == NONE:
                return ast.Compare(left=a, ops=[op], comparators=[b])
            same_str = STR in (kl, kr) and (
                isinstance(left, ast.Constant) or isinstance(right, ast.Constant) or kl == kr
            )
            if same_str or (kl in NUMBERS and kr in NUMBERS):
                # A str only equals a str, a number only a number: JS === is exact here.
                strict: ast.cmpop = ast.Is() if isinstance(op, ast.Eq) else ast.IsNot()
                return ast.Compare(left=a, ops=[strict], comparators=[b])
            equal = helper_call("_jw_eq", a, b)
            return equal if isinstance(op, ast.Eq) else ast.UnaryOp(op=ast.Not(), operand=equal)
        if isinstance(op, ast.In | ast.NotIn):
            if (
                isinstance(right, ast.List | ast.Tuple)
                and right.elts
                and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str) for e in right.elts
                )
            ):
                # Only strings equal strings, so Array.includes (SameValueZero) is Python's ==.
                found: ast.expr = ast.Call(
                    func=ast.Attribute(value=b, attr="includes", ctx=ast.Load()),
                    args=[a],
                    keywords=[],
                )
            else:
                found = helper_call("_jw_in", a, b)
            return found if isinstance(op, ast.In) else ast.UnaryOp(op=ast.Not(), operand=found)
        symbol, cls = ORDER[type(op)]
        if kl in NUMBERS and kr in NUMBERS:
            return ast.Compare(left=a, ops=[cls()], comparators=[b])
        return ast.Compare(
            left=helper_call("_jw_cmp", a, b, self.string(symbol)),
            ops=[cls()],
            comparators=[const(0)],
        )

    def dict_literal(self, node: ast.Dict) -> ast.expr:
        keys = node.keys
        if all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in keys):
            return ast.Dict(
                keys=[self.expr(k) for k in keys if k is not None],
                values=[self.expr(v) for v in node.values],
            )
        pairs = [
            ast.List(elts=[self.expr(k), self.expr(v)], ctx=ast.Load())
            for k, v in zip(keys, node.values, strict=True)
            if k is not None
        ]
        return helper_call("_jw_dict", ast.List(elts=list(pairs), ctx=ast.Load()))

    def comprehension(self, generators: list[ast.comprehension], result: ast.expr) -> ast.expr:
        inner = result
        for generator in reversed(generators):
            for condition in reversed(generator.ifs):
                inner = ast.IfExp(
                    test=self.test(condition), body=inner, orelse=ast.List(elts=[], ctx=ast.Load())
                )
            target = generator.target
            if isinstance(target, ast.Name):
                params, unpack = [target.id], 0
            else:
                assert isinstance(target, ast.Tuple | ast.List)
                params = [e.id for e in target.elts if isinstance(e, ast.Name)]
                unpack = len(params)
            walked, source = self.iterable(generator.iter)
            extra = [] if source is None else [source]
            inner = helper_call("_jw_flat", walked, lambda_of(params, inner), const(unpack), *extra)
        return inner

    def iterable(self, node: ast.expr) -> tuple[ast.expr, ast.expr | None]:
        """A comprehension's iterable and, for a dict view of a name, the dict to watch."""
        view = view_method(node)
        if view is not None:
            assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            receiver = node.func.value
            return self.expr(node), ref(receiver.id) if isinstance(receiver, ast.Name) else None
        return self.expr(node), None

    def call(self, node: ast.Call) -> ast.expr:
        func = node.func
        args = node.args
        if (
            isinstance(func, ast.Name)
            and func.id in subset.BUILTIN_CALLS
            and self.is_builtin(func.id)
        ):
            return self.builtin(func.id, node)
        browser_object = isinstance(func, ast.Attribute) and self.is_browser(func.value)
        if (
            isinstance(func, ast.Attribute)
            and func.attr in subset.METHODS
            and (not browser_object or func.attr in subset.STR_METHODS)
        ):
            low, high = subset.METHODS[func.attr]
            positional = list(args)
            if func.attr == "split" and node.keywords:
                named = {k.arg: k.value for k in node.keywords}
                positional = [
                    positional[0] if positional else named.get("sep", const(None)),
                    named.get("maxsplit", const(-1)),
                ]
            if low <= len(positional) <= high:
                return helper_call(
                    f"_jw_m_{func.attr}", self.expr(func.value), *[self.expr(a) for a in positional]
                )
        return ast.Call(func=self.expr(func), args=[self.expr(a) for a in args], keywords=[])

    def builtin(self, name: str, node: ast.Call) -> ast.expr:
        args = node.args
        if name == "str" and not args:
            return self.string("")
        if name == "list" and not args:
            return ast.List(elts=[], ctx=ast.Load())
        if name in ("min", "max"):
            arg = (
                self.expr(args[0])
                if len(args) == 1
                else ast.List(elts=[self.expr(a) for a in args], ctx=ast.Load())
            )
            return helper_call(f"_jw_{name}", arg)
        if name == "isinstance":
            kinds_node = args[1]
            kinds = kinds_node.elts if isinstance(kinds_node, ast.Tuple) else [kinds_node]
            names = ast.List(
                elts=[self.string(k.id) for k in kinds if isinstance(k, ast.Name)], ctx=ast.Load()
            )
            return helper_call("_jw_isinstance", self.expr(args[0]), names)
        if name == "sorted":
            named = {k.arg: self.expr(k.value) for k in node.keywords}
            return helper_call(
                "_jw_sorted",
                self.expr(args[0]),
                named.get("key", const(None)),
                named.get("reverse", const(False)),
            )
        return helper_call(f"_jw_{name}", *[self.expr(a) for a in args])
