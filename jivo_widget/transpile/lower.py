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
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from jivo_widget.transpile import subset
from jivo_widget.transpile.check import Plan

__all__ = ["LoweredModule", "lower"]

_INT, _NUM, _STR, _BOOL, _NONE = "int", "num", "str", "bool", "none"
_NUMBERS = (_INT, _NUM)
_STR_RESULT_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "replace"})
_BINOP_HELPERS: dict[type[ast.operator], str] = {
    ast.Add: "_jw_add",
    ast.Sub: "_jw_sub",
    ast.Mult: "_jw_mul",
    ast.Div: "_jw_div",
    ast.FloorDiv: "_jw_floordiv",
    ast.Mod: "_jw_mod",
}
# `xs += ys` extends a list in place (other names for it see the change), unlike `xs = xs + ys`.
_AUG_HELPERS = {**_BINOP_HELPERS, ast.Add: "_jw_iadd"}
_ORDER: dict[type[ast.cmpop], tuple[str, type[ast.cmpop]]] = {
    ast.Lt: ("<", ast.Lt),
    ast.LtE: ("<=", ast.LtE),
    ast.Gt: (">", ast.Gt),
    ast.GtE: (">=", ast.GtE),
}


@dataclass
class LoweredModule:
    """The lowered module: Python for Transcrypt, its string table and function line ranges."""

    source: str
    strings: list[str]
    functions: list[tuple[int, int, str]]
    handlers: dict[str, list[str]]


def _name(identifier: str) -> ast.Name:
    return ast.Name(id=identifier, ctx=ast.Load())


def _call(helper: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=_name(helper), args=list(args), keywords=[])


def _const(value: Any) -> ast.Constant:
    return ast.Constant(value=value)


def _lambda(params: list[str], body: ast.expr) -> ast.Lambda:
    return ast.Lambda(
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg=p) for p in params],
            vararg=None,
            kwonlyargs=[],
            kw_defaults=[],
            kwarg=None,
            defaults=[],
        ),
        body=body,
    )


def _assign(target: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value, lineno=0)


class _Lowerer:
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
        return _const(f"_jw_S{index}_")

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
                return _BOOL
            if isinstance(value, int):
                return _INT
            if isinstance(value, float):
                return _NUM
            if isinstance(value, str):
                return _STR
            return _NONE if value is None else None
        if isinstance(node, ast.JoinedStr):
            return _STR
        if isinstance(node, ast.Compare):
            return _BOOL
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return _BOOL
            operand = self.kind(node.operand)
            return operand if operand in _NUMBERS else None
        if isinstance(node, ast.BinOp):
            left, right = self.kind(node.left), self.kind(node.right)
            if left == right == _INT and not isinstance(node.op, ast.Div):
                return _INT
            if left in _NUMBERS and right in _NUMBERS:
                return _NUM
            if left == right == _STR and isinstance(node.op, ast.Add):
                return _STR
            return None
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in subset.BUILTIN_CALLS:
                if func.id in ("len", "int"):
                    return _INT
                if func.id == "float":
                    return _NUM
                if func.id == "str":
                    return _STR
                if func.id in ("bool", "isinstance", "any", "all"):
                    return _BOOL
                if func.id == "abs" and node.args and self.kind(node.args[0]) in _NUMBERS:
                    return self.kind(node.args[0])
            if isinstance(func, ast.Attribute) and func.attr in ("startswith", "endswith"):
                return _BOOL  # Python-only names: a str answers a bool
            if isinstance(func, ast.Attribute) and self.kind(func.value) == _STR:
                if func.attr in _STR_RESULT_METHODS:
                    return _STR
                if func.attr == "join":
                    return _STR
            return None
        return None

    # ------------------------------------------------------------------ module

    def module(self, tree: ast.Module) -> ast.Module:
        body: list[ast.stmt] = [_assign("_jw_at", _const(0))]
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
                body.append(_assign(stmt.target.id, self.expr(stmt.value)))
        return ast.Module(body=body, type_ignores=[])

    def function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.stmt:
        self.functions.append((fn.lineno, fn.end_lineno or fn.lineno, fn.name))
        body: list[ast.stmt] = [ast.Global(names=["_jw_at"])]
        names = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        # Defaults (constants: the checker says so) apply to missing arguments only: an explicit
        # None stays None. Transcrypt's own prologue for this is three times the size.
        for name, default in zip(
            names[len(names) - len(fn.args.defaults) :], fn.args.defaults, strict=True
        ):
            body.append(_assign(name, _call("_jw_default", _name(name), self.expr(default))))
        body += self.block(fn.body)
        args = ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg=name) for name in names],
            vararg=None,
            kwonlyargs=[],
            kw_defaults=[],
            kwarg=None,
            defaults=[],
        )
        cls = ast.AsyncFunctionDef if isinstance(fn, ast.AsyncFunctionDef) else ast.FunctionDef
        return cls(name=fn.name, args=args, body=body, decorator_list=[], returns=None, lineno=0)

    # ------------------------------------------------------------------ statements

    def block(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # docstrings and bare constants do nothing
            if not isinstance(
                stmt,
                ast.FunctionDef
                | ast.AsyncFunctionDef
                | ast.Global
                | ast.Nonlocal
                | ast.Pass
                | ast.Break
                | ast.Continue,
            ):
                out.append(_assign("_jw_at", _const(stmt.lineno)))
            out += self.statement(stmt)
        return out or [ast.Pass()]

    def statement(self, stmt: ast.stmt) -> list[ast.stmt]:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            return [self.function(stmt)]
        if isinstance(stmt, ast.Return):
            return [ast.Return(value=None if stmt.value is None else self.expr(stmt.value))]
        if isinstance(stmt, ast.Assign):
            return self.assign(stmt.targets, stmt.value)
        if isinstance(stmt, ast.AnnAssign):
            return [] if stmt.value is None else self.assign([stmt.target], stmt.value)
        if isinstance(stmt, ast.AugAssign):
            return self.aug_assign(stmt)
        if isinstance(stmt, ast.Expr):
            return [ast.Expr(value=self.expr(stmt.value))]
        if isinstance(stmt, ast.If):
            return [
                ast.If(
                    test=self.test(stmt.test),
                    body=self.block(stmt.body),
                    orelse=self.block(stmt.orelse) if stmt.orelse else [],
                )
            ]
        if isinstance(stmt, ast.While):
            return [ast.While(test=self.test(stmt.test), body=self.block(stmt.body), orelse=[])]
        if isinstance(stmt, ast.For):
            return self.for_loop(stmt)
        if isinstance(stmt, ast.Try):
            return [self.try_(stmt)]
        if isinstance(stmt, ast.Raise):
            return [self.raise_(stmt)]
        if isinstance(stmt, ast.Global | ast.Nonlocal | ast.Pass | ast.Break | ast.Continue):
            return [stmt]
        raise AssertionError(f"the checker let {type(stmt).__name__} through")  # pragma: no cover

    def store(self, target: ast.expr, value: ast.expr) -> list[ast.stmt]:
        """Assign an already-lowered value to one target."""
        if isinstance(target, ast.Name):
            return [
                ast.Assign(targets=[ast.Name(id=target.id, ctx=ast.Store())], value=value, lineno=0)
            ]
        if isinstance(target, ast.Attribute | ast.Subscript):
            # Python evaluates the value before the target's object and index; a JS member
            # assignment (or a call's arguments) would evaluate them first.
            first: list[ast.stmt] = []
            if not isinstance(value, ast.Constant | ast.Name):
                held = self.temp("v")
                first, value = [_assign(held, value)], _name(held)
            obj = self.expr(target.value)
            if isinstance(target, ast.Attribute):
                attr = ast.Attribute(value=obj, attr=target.attr, ctx=ast.Store())
                return [*first, ast.Assign(targets=[attr], value=value, lineno=0)]
            setitem = _call("_jw_setitem", obj, self.expr(target.slice), value)
            return [*first, ast.Expr(value=setitem)]
        assert isinstance(target, ast.Tuple | ast.List)
        items = self.temp("t")
        out: list[ast.stmt] = [_assign(items, _call("_jw_unpack", value, _const(len(target.elts))))]
        for index, element in enumerate(target.elts):
            element_value = ast.Subscript(value=_name(items), slice=_const(index), ctx=ast.Load())
            out += self.store(element, element_value)
        return out

    def assign(self, targets: list[ast.expr], value: ast.expr) -> list[ast.stmt]:
        if len(targets) == 1:
            if isinstance(targets[0], ast.Tuple | ast.List) and isinstance(value, ast.Tuple):
                lowered: ast.expr = ast.List(
                    elts=[self.expr(e) for e in value.elts], ctx=ast.Load()
                )
            else:
                lowered = self.expr(value)
            return self.store(targets[0], lowered)
        shared = self.temp("v")
        out: list[ast.stmt] = [_assign(shared, self.expr(value))]
        for target in targets:
            out += self.store(target, _name(shared))
        return out

    def aug_assign(self, stmt: ast.AugAssign) -> list[ast.stmt]:
        target = stmt.target
        current: ast.expr
        if isinstance(target, ast.Name):
            current = _name(target.id)
        else:
            current = self.expr(ast.fix_missing_locations(ast.copy_location(_load(target), target)))
        value = _call(_AUG_HELPERS[type(stmt.op)], current, self.expr(stmt.value))
        return self.store(target, value)

    def for_loop(self, stmt: ast.For) -> list[ast.stmt]:
        iterable = stmt.iter
        body = self.block(stmt.body)
        # for i in range(...) with a constant step: a counting loop, no list.
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "range"
            and isinstance(stmt.target, ast.Name)
        ):
            args = iterable.args
            step = args[2] if len(args) == 3 else _const(1)
            step_value = _constant_int(step)
            if (
                step_value is not None
                and step_value != 0
                and all(self.kind(a) == _INT for a in args)
            ):
                start = self.expr(args[0]) if len(args) > 1 else _const(0)
                stop = self.expr(args[1] if len(args) > 1 else args[0])
                counter, limit = self.temp("i"), self.temp("n")
                compare: ast.cmpop = ast.Lt() if step_value > 0 else ast.Gt()
                loop_body: list[ast.stmt] = [
                    _assign(stmt.target.id, _name(counter)),
                    ast.AugAssign(
                        target=ast.Name(id=counter, ctx=ast.Store()),
                        op=ast.Add(),
                        value=_const(step_value),
                    ),
                    *body,
                ]
                return [
                    _assign(counter, start),
                    _assign(limit, stop),
                    ast.While(
                        test=ast.Compare(
                            left=_name(counter), ops=[compare], comparators=[_name(limit)]
                        ),
                        body=loop_body,
                        orelse=[],
                    ),
                ]
        items, index = self.temp("s"), self.temp("k")
        setup, walked, source = self.iteration(iterable)
        item = ast.Subscript(value=_name(items), slice=_name(index), ctx=ast.Load())
        loop_body = [
            *self.store(stmt.target, item),
            ast.AugAssign(
                target=ast.Name(id=index, ctx=ast.Store()), op=ast.Add(), value=_const(1)
            ),
            *body,
        ]
        test: ast.expr
        if source is None:
            length = ast.Attribute(value=_name(items), attr="length", ctx=ast.Load())
            test = ast.Compare(left=_name(index), ops=[ast.Lt()], comparators=[length])
        else:
            test = _call("_jw_more", _name(items), _name(index), _name(source))
        return [
            *setup,
            _assign(items, walked),
            _assign(index, _const(0)),
            ast.While(test=test, body=loop_body, orelse=[]),
        ]

    @staticmethod
    def fresh_list(node: ast.expr) -> bool:
        """Iterables that build a new list nobody else can change while it is walked."""
        if isinstance(node, ast.List | ast.ListComp | ast.Tuple):
            return True
        fresh_calls = ("range", "enumerate", "zip", "list", "sorted")
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in fresh_calls
        )

    def iteration(self, node: ast.expr) -> tuple[list[ast.stmt], ast.expr, str | None]:
        """A for loop's iterable: setup statements, the JS array walked, and the object to watch.

        A dict (or its keys/values/items) that changes size while a loop walks it raises
        RuntimeError in Python; the loop watches it (_jw_more) to do the same. Lists are walked
        live, as Python's list iterator does.
        """
        if self.fresh_list(node):
            return [], self.expr(node), None
        source = self.temp("o")
        view = _view_method(node)
        if view is not None:
            assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            setup: list[ast.stmt] = [_assign(source, self.expr(node.func.value))]
            return setup, _call(f"_jw_m_{view}", _name(source)), source
        setup = [_assign(source, self.expr(node))]
        return setup, _call("_jw_iter", _name(source)), source

    def iterable(self, node: ast.expr) -> tuple[ast.expr, ast.expr | None]:
        """A comprehension's iterable and, for a dict view of a name, the dict to watch."""
        view = _view_method(node)
        if view is not None:
            assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            receiver = node.func.value
            return self.expr(node), _name(receiver.id) if isinstance(receiver, ast.Name) else None
        return self.expr(node), None

    def try_(self, stmt: ast.Try) -> ast.Try:
        handlers = []
        for handler in stmt.handlers:
            name = handler.name or self.temp("e")
            if handler.type is None:
                kinds = ["Exception"]
            elif isinstance(handler.type, ast.Tuple):
                kinds = [k.id for k in handler.type.elts if isinstance(k, ast.Name)]
            else:
                assert isinstance(handler.type, ast.Name)
                kinds = [handler.type.id]
            self.handler_names.append(name)
            try:
                body = self.block(handler.body)
            finally:
                self.handler_names.pop()
            kind_list = ast.List(elts=[self.string(k) for k in kinds], ctx=ast.Load())
            handlers.append(ast.ExceptHandler(type=kind_list, name=name, body=body))
        return ast.Try(
            body=self.block(stmt.body),
            handlers=handlers,
            orelse=[],
            finalbody=self.block(stmt.finalbody) if stmt.finalbody else [],
        )

    def raise_(self, stmt: ast.Raise) -> ast.Raise:
        exc = stmt.exc
        if exc is None:
            return ast.Raise(exc=_name(self.handler_names[-1]), cause=None)
        if isinstance(exc, ast.Name) and exc.id in subset.EXCEPTIONS:
            return ast.Raise(exc=_call("_jw_err", self.string(exc.id)), cause=None)
        if (
            isinstance(exc, ast.Call)
            and isinstance(exc.func, ast.Name)
            and exc.func.id in subset.EXCEPTIONS
        ):
            args = [
                self.expr(a) if self.kind(a) == _STR else _call("_jw_str", self.expr(a))
                for a in exc.args
            ]
            return ast.Raise(exc=_call("_jw_err", self.string(exc.func.id), *args), cause=None)
        return ast.Raise(exc=self.expr(exc), cause=None)

    # ------------------------------------------------------------------ expressions

    def test(self, node: ast.expr) -> ast.expr:
        """An expression whose truth is used: a JS boolean with Python's truthiness."""
        if isinstance(node, ast.BoolOp):
            return ast.BoolOp(op=node.op, values=[self.test(v) for v in node.values])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ast.UnaryOp(op=ast.Not(), operand=self.test(node.operand))
        lowered = self.expr(node)
        return lowered if self.kind(node) == _BOOL else _call("_jw_bool", lowered)

    def expr(self, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Constant):
            return self.string(node.value) if isinstance(node.value, str) else _const(node.value)
        if isinstance(node, ast.Name):
            if (
                node.id in subset.BUILTIN_VALUES
                and node.id in subset.BUILTIN_CALLS
                and self.is_builtin(node.id)
            ):
                return _name(f"_jw_{node.id}")
            return _name(node.id)
        if isinstance(node, ast.JoinedStr):
            return self.fstring(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return ast.UnaryOp(op=ast.Not(), operand=self.test(node.operand))
            operand = self.expr(node.operand)
            if self.kind(node.operand) in _NUMBERS:
                return ast.UnaryOp(op=node.op, operand=operand)
            if isinstance(node.op, ast.USub):
                return _call("_jw_neg", operand)
            return _call("_jw_sub", operand, _const(0))
        if isinstance(node, ast.BoolOp):
            if all(self.kind(v) == _BOOL for v in node.values):
                return ast.BoolOp(op=node.op, values=[self.expr(v) for v in node.values])
            helper = "_jw_or" if isinstance(node.op, ast.Or) else "_jw_and"
            result = self.expr(node.values[-1])
            for value in reversed(node.values[:-1]):
                result = _call(helper, self.expr(value), _lambda([], result))
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
                return _call(
                    "_jw_slice",
                    value,
                    *[_const(None) if p is None else self.expr(p) for p in parts],
                )
            return _call("_jw_getitem", value, self.expr(node.slice))
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
            lowered = _lambda(params, self.expr(node.body))
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
            return _call("_jw_dict", self.comprehension(node.generators, pair))
        if isinstance(node, ast.Await):
            return ast.Await(value=self.expr(node.value))
        raise AssertionError(f"the checker let {type(node).__name__} through")  # pragma: no cover

    def is_builtin(self, name: str) -> bool:
        # The checker refuses local names that hide builtins; module functions cannot either.
        return name not in self.plan.functions and name not in self.plan.constants

    def fstring(self, node: ast.JoinedStr) -> ast.expr:
        parts: list[ast.expr] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(self.string(str(value.value)))
            else:
                assert isinstance(value, ast.FormattedValue)
                inner = self.expr(value.value)
                parts.append(inner if self.kind(value.value) == _STR else _call("_jw_str", inner))
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
        numbers = left in _NUMBERS and right in _NUMBERS
        if isinstance(node.op, ast.Add):
            native = numbers or left == right == _STR
        elif isinstance(node.op, ast.Sub | ast.Mult):
            native = numbers
        elif isinstance(node.op, ast.Div):
            native = numbers and _nonzero_constant(node.right)
        if native:
            return ast.BinOp(left=lowered_left, op=node.op, right=lowered_right)
        return _call(_BINOP_HELPERS[type(node.op)], lowered_left, lowered_right)

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
                    comparators=[_const(None)],
                )
            return ast.Compare(left=a, ops=[op], comparators=[b])
        if isinstance(op, ast.Eq | ast.NotEq):
            if kl == _NONE or kr == _NONE:
                return ast.Compare(left=a, ops=[op], comparators=[b])
            same_str = _STR in (kl, kr) and (
                isinstance(left, ast.Constant) or isinstance(right, ast.Constant) or kl == kr
            )
            if same_str or (kl in _NUMBERS and kr in _NUMBERS):
                # A str only equals a str, a number only a number: JS === is exact here.
                strict: ast.cmpop = ast.Is() if isinstance(op, ast.Eq) else ast.IsNot()
                return ast.Compare(left=a, ops=[strict], comparators=[b])
            equal = _call("_jw_eq", a, b)
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
                found = _call("_jw_in", a, b)
            return found if isinstance(op, ast.In) else ast.UnaryOp(op=ast.Not(), operand=found)
        symbol, cls = _ORDER[type(op)]
        if kl in _NUMBERS and kr in _NUMBERS:
            return ast.Compare(left=a, ops=[cls()], comparators=[b])
        return ast.Compare(
            left=_call("_jw_cmp", a, b, self.string(symbol)), ops=[cls()], comparators=[_const(0)]
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
        return _call("_jw_dict", ast.List(elts=list(pairs), ctx=ast.Load()))

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
            inner = _call("_jw_flat", walked, _lambda(params, inner), _const(unpack), *extra)
        return inner

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
                    positional[0] if positional else named.get("sep", _const(None)),
                    named.get("maxsplit", _const(-1)),
                ]
            if low <= len(positional) <= high:
                return _call(
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
            return _call(f"_jw_{name}", arg)
        if name == "isinstance":
            kinds_node = args[1]
            kinds = kinds_node.elts if isinstance(kinds_node, ast.Tuple) else [kinds_node]
            names = ast.List(
                elts=[self.string(k.id) for k in kinds if isinstance(k, ast.Name)], ctx=ast.Load()
            )
            return _call("_jw_isinstance", self.expr(args[0]), names)
        if name == "sorted":
            named = {k.arg: self.expr(k.value) for k in node.keywords}
            return _call(
                "_jw_sorted",
                self.expr(args[0]),
                named.get("key", _const(None)),
                named.get("reverse", _const(False)),
            )
        return _call(f"_jw_{name}", *[self.expr(a) for a in args])


def _load(target: ast.expr) -> ast.expr:
    """A Store-context target read back (for augmented assignment)."""
    if isinstance(target, ast.Attribute):
        return ast.Attribute(value=target.value, attr=target.attr, ctx=ast.Load())
    if isinstance(target, ast.Subscript):
        return ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load())
    return target


def _view_method(node: ast.expr) -> str | None:
    """``keys``/``values``/``items`` for ``d.keys()``..., else None."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("keys", "values", "items")
        and not node.args
    ):
        return node.func.attr
    return None


def _constant_int(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant_int(node.operand)
        return None if inner is None else -inner
    return None


def _nonzero_constant(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value != 0


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
