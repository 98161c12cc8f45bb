"""The checker's statements: function bodies, assignments, loops, ``try``/``raise``.

A function gets its scope (its parameters and the names its body binds, less ``global`` and
``nonlocal`` ones); every statement Python has but browser callbacks do not is refused with the
way to write it instead.
"""

from __future__ import annotations

import ast

from jivo_widget.transpile import subset
from jivo_widget.transpile._check_expressions import ExpressionRules
from jivo_widget.transpile._check_messages import describe, instead, op_symbol
from jivo_widget.transpile._check_scopes import Scope, args_names, bound_names


class StatementRules(ExpressionRules):
    """Rules for functions and the statements of their bodies."""

    def function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if self.scopes and fn.decorator_list:
            self.unsupported(
                fn.decorator_list[0],
                "a decorator on a nested function",
                "call the function directly",
            )
        self.arguments(fn.args, fn)
        names = set(args_names(fn.args)) | set(bound_names(fn.body))
        scope = Scope("function", names, is_async=isinstance(fn, ast.AsyncFunctionDef))
        for stmt in ast.walk(ast.Module(body=fn.body, type_ignores=[])):
            if isinstance(stmt, ast.Global | ast.Nonlocal) and self._directly_in(fn, stmt):
                (scope.globals if isinstance(stmt, ast.Global) else scope.nonlocals).update(
                    stmt.names
                )
        scope.names -= scope.globals | scope.nonlocals
        for name in sorted(scope.names):
            self.bindable(fn, name)
        saved = self.scopes
        self.scopes = [*saved, scope]
        try:
            self.block(fn.body)
        finally:
            self.scopes = saved

    @staticmethod
    def _directly_in(fn: ast.AST, target: ast.AST) -> bool:
        stack = list(ast.iter_child_nodes(fn))
        while stack:
            node = stack.pop()
            if node is target:
                return True
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            stack.extend(ast.iter_child_nodes(node))
        return False

    def block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            self.function(stmt)
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None:
                self.expr(stmt.value)
        elif isinstance(stmt, ast.Assign):
            if len(stmt.targets) > 1 and any(not isinstance(t, ast.Name) for t in stmt.targets):
                self.unsupported(
                    stmt, "chained assignment to non-names", "assign one target per statement"
                )
            tuple_target = any(isinstance(t, ast.Tuple | ast.List) for t in stmt.targets)
            if tuple_target and isinstance(stmt.value, ast.Tuple):
                self.allowed.add(id(stmt.value))
            for target in stmt.targets:
                self.target(target)
            self.expr(stmt.value)
        elif isinstance(stmt, ast.AugAssign):
            self.aug_assign(stmt)
        elif isinstance(stmt, ast.AnnAssign):
            if not isinstance(stmt.target, ast.Name):
                self.unsupported(
                    stmt, "an annotated assignment to an attribute", "annotate a plain name"
                )
            if stmt.value is not None:
                self.expr(stmt.value)
        elif isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                return  # a docstring
            self.expr(stmt.value)
        elif isinstance(stmt, ast.If):
            self.expr(stmt.test)
            self.block(stmt.body)
            self.block(stmt.orelse)
        elif isinstance(stmt, ast.While):
            if stmt.orelse:
                self.unsupported(stmt.orelse[0], "while ... else", "use a flag variable")
            self.expr(stmt.test)
            self.block(stmt.body)
        elif isinstance(stmt, ast.For):
            if stmt.orelse:
                self.unsupported(stmt.orelse[0], "for ... else", "use a flag variable")
            self.iteration(stmt.target, stmt.iter)
            self.block(stmt.body)
        elif isinstance(stmt, ast.Try):
            self.try_(stmt)
        elif isinstance(stmt, ast.Raise):
            self.raise_(stmt)
        elif isinstance(stmt, ast.Global | ast.Nonlocal):
            for name in stmt.names:
                if isinstance(stmt, ast.Global) and name not in self.module_names:
                    self.bad(
                        stmt,
                        f"global {name}: there is no module-level {name}; "
                        "define it at module level first",
                    )
        elif isinstance(stmt, ast.Pass | ast.Break | ast.Continue):
            pass
        else:
            self.unsupported(stmt, describe(stmt), instead(stmt))

    def aug_assign(self, stmt: ast.AugAssign) -> None:
        if not isinstance(stmt.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.FloorDiv | ast.Mod):
            self.unsupported(
                stmt, f"the {op_symbol(stmt.op)}= operator", "use +=, -=, *=, /=, //= or %="
            )
        target = stmt.target
        simple = (ast.Name, ast.Constant)
        if isinstance(target, ast.Attribute) and not isinstance(target.value, ast.Name):
            self.unsupported(
                target,
                "augmented assignment to a nested attribute",
                "assign the object to a name first",
            )
        elif isinstance(target, ast.Subscript) and (
            not isinstance(target.value, ast.Name) or not isinstance(target.slice, simple)
        ):
            self.unsupported(
                target,
                "augmented assignment to a computed item",
                "assign the index and the container to names first",
            )
        elif isinstance(target, ast.Subscript | ast.Attribute | ast.Name):
            self.target(target)
            if not isinstance(target, ast.Name):
                self.expr(target)
            else:
                self.name_load(target)
        self.expr(stmt.value)

    def try_(self, stmt: ast.Try) -> None:
        if stmt.orelse:
            self.unsupported(
                stmt.orelse[0], "try ... else", "put that code at the end of the try block"
            )
        self.block(stmt.body)
        for handler in stmt.handlers:
            if handler.type is not None:
                self.names_among(
                    handler.type,
                    subset.EXCEPTIONS,
                    "except {}",
                    f"catch one of {', '.join(sorted(subset.EXCEPTIONS))}",
                )
            self.block(handler.body)
        self.block(stmt.finalbody)

    def raise_(self, stmt: ast.Raise) -> None:
        if stmt.cause is not None:
            self.unsupported(stmt, "raise ... from ...", "raise the new exception alone")
        exc = stmt.exc
        if exc is None:
            return
        if isinstance(exc, ast.Name) and exc.id in subset.EXCEPTIONS:
            return
        if (
            isinstance(exc, ast.Call)
            and isinstance(exc.func, ast.Name)
            and exc.func.id in subset.EXCEPTIONS
        ):
            if exc.keywords or len(exc.args) > 1:
                self.unsupported(exc, "an exception with several arguments", "pass one message")
            for arg in exc.args:
                self.expr(arg)
            return
        if isinstance(exc, ast.Name) and self.lookup(exc.id) == "local":
            return  # re-raising a caught exception
        self.unsupported(
            exc,
            f"raise {ast.unparse(exc)}",
            f"raise one of {', '.join(sorted(subset.EXCEPTIONS))}, e.g. raise ValueError('...')",
        )

    # ------------------------------------------------------------------ expressions
