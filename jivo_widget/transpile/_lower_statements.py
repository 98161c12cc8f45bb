"""Lowering statements: functions, assignments, loops, ``try``/``raise``.

Every statement is preceded by ``_jw_at = <line>`` so an error names the user's Python line;
assignment evaluates the value before the target as Python does; ``for`` loops become index
loops (a counting loop for ``range`` with a constant step) that watch a dict changing size.
"""

from __future__ import annotations

import ast

from jivo_widget.transpile import subset
from jivo_widget.transpile._lower_expressions import BINOP_HELPERS, ExpressionLowerer
from jivo_widget.transpile._lower_kinds import INT, STR
from jivo_widget.transpile._lower_nodes import (
    arguments_of,
    assign_to,
    const,
    constant_int,
    helper_call,
    read_back,
    ref,
    view_method,
)

# `xs += ys` extends a list in place (other names for it see the change), unlike `xs = xs + ys`.
AUG_HELPERS = {**BINOP_HELPERS, ast.Add: "_jw_iadd"}


class StatementLowerer(ExpressionLowerer):
    """Lowers functions and the statements of their bodies."""

    def function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.stmt:
        self.functions.append((fn.lineno, fn.end_lineno or fn.lineno, fn.name))
        body: list[ast.stmt] = [ast.Global(names=["_jw_at"])]
        names = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        # Defaults (constants: the checker says so) apply to missing arguments only: an explicit
        # None stays None. Transcrypt's own prologue for this is three times the size.
        for name, default in zip(
            names[len(names) - len(fn.args.defaults) :], fn.args.defaults, strict=True
        ):
            body.append(assign_to(name, helper_call("_jw_default", ref(name), self.expr(default))))
        body += self.block(fn.body)
        args = arguments_of(names)
        cls = ast.AsyncFunctionDef if isinstance(fn, ast.AsyncFunctionDef) else ast.FunctionDef
        return cls(name=fn.name, args=args, body=body, decorator_list=[], returns=None, lineno=0)

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
                out.append(assign_to("_jw_at", const(stmt.lineno)))
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
                first, value = [assign_to(held, value)], ref(held)
            obj = self.expr(target.value)
            if isinstance(target, ast.Attribute):
                attr = ast.Attribute(value=obj, attr=target.attr, ctx=ast.Store())
                return [*first, ast.Assign(targets=[attr], value=value, lineno=0)]
            setitem = helper_call("_jw_setitem", obj, self.expr(target.slice), value)
            return [*first, ast.Expr(value=setitem)]
        assert isinstance(target, ast.Tuple | ast.List)
        items = self.temp("t")
        out: list[ast.stmt] = [
            assign_to(items, helper_call("_jw_unpack", value, const(len(target.elts))))
        ]
        for index, element in enumerate(target.elts):
            element_value = ast.Subscript(value=ref(items), slice=const(index), ctx=ast.Load())
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
        out: list[ast.stmt] = [assign_to(shared, self.expr(value))]
        for target in targets:
            out += self.store(target, ref(shared))
        return out

    def aug_assign(self, stmt: ast.AugAssign) -> list[ast.stmt]:
        target = stmt.target
        current: ast.expr
        if isinstance(target, ast.Name):
            current = ref(target.id)
        else:
            current = self.expr(
                ast.fix_missing_locations(ast.copy_location(read_back(target), target))
            )
        value = helper_call(AUG_HELPERS[type(stmt.op)], current, self.expr(stmt.value))
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
            step = args[2] if len(args) == 3 else const(1)
            step_value = constant_int(step)
            if (
                step_value is not None
                and step_value != 0
                and all(self.kind(a) == INT for a in args)
            ):
                start = self.expr(args[0]) if len(args) > 1 else const(0)
                stop = self.expr(args[1] if len(args) > 1 else args[0])
                counter, limit = self.temp("i"), self.temp("n")
                compare: ast.cmpop = ast.Lt() if step_value > 0 else ast.Gt()
                loop_body: list[ast.stmt] = [
                    assign_to(stmt.target.id, ref(counter)),
                    ast.AugAssign(
                        target=ast.Name(id=counter, ctx=ast.Store()),
                        op=ast.Add(),
                        value=const(step_value),
                    ),
                    *body,
                ]
                return [
                    assign_to(counter, start),
                    assign_to(limit, stop),
                    ast.While(
                        test=ast.Compare(
                            left=ref(counter), ops=[compare], comparators=[ref(limit)]
                        ),
                        body=loop_body,
                        orelse=[],
                    ),
                ]
        items, index = self.temp("s"), self.temp("k")
        setup, walked, source = self.iteration(iterable)
        item = ast.Subscript(value=ref(items), slice=ref(index), ctx=ast.Load())
        loop_body = [
            *self.store(stmt.target, item),
            ast.AugAssign(target=ast.Name(id=index, ctx=ast.Store()), op=ast.Add(), value=const(1)),
            *body,
        ]
        test: ast.expr
        if source is None:
            length = ast.Attribute(value=ref(items), attr="length", ctx=ast.Load())
            test = ast.Compare(left=ref(index), ops=[ast.Lt()], comparators=[length])
        else:
            test = helper_call("_jw_more", ref(items), ref(index), ref(source))
        return [
            *setup,
            assign_to(items, walked),
            assign_to(index, const(0)),
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
        view = view_method(node)
        if view is not None:
            assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            setup: list[ast.stmt] = [assign_to(source, self.expr(node.func.value))]
            return setup, helper_call(f"_jw_m_{view}", ref(source)), source
        setup = [assign_to(source, self.expr(node))]
        return setup, helper_call("_jw_iter", ref(source)), source

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
            return ast.Raise(exc=ref(self.handler_names[-1]), cause=None)
        if isinstance(exc, ast.Name) and exc.id in subset.EXCEPTIONS:
            return ast.Raise(exc=helper_call("_jw_err", self.string(exc.id)), cause=None)
        if (
            isinstance(exc, ast.Call)
            and isinstance(exc.func, ast.Name)
            and exc.func.id in subset.EXCEPTIONS
        ):
            args = [
                self.expr(a) if self.kind(a) == STR else helper_call("_jw_str", self.expr(a))
                for a in exc.args
            ]
            return ast.Raise(
                exc=helper_call("_jw_err", self.string(exc.func.id), *args), cause=None
            )
        return ast.Raise(exc=self.expr(exc), cause=None)
