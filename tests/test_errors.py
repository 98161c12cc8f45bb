"""One error hierarchy: every exception and warning the toolkit raises is defined in
jivo_widget.errors and derives from JivoError / JivoWarning and a standard-library base."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import click
import pytest

import jivo_widget
from jivo_widget import errors

PACKAGE_DIR = Path(jivo_widget.__file__).parent


def _public_exception_classes_defined_outside_errors() -> list[str]:
    """Public classes whose bases name an Exception/Error/Warning, defined in any other module."""
    found = []
    for path in PACKAGE_DIR.rglob("*.py"):
        if path.name == "errors.py" and path.parent == PACKAGE_DIR:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
                continue
            bases = [ast.unparse(base) for base in node.bases]
            # click's own exception types are the CLI's way to set exit codes, not errors we raise.
            if any(
                b.endswith(("Error", "Exception", "Warning")) and not b.startswith("click.")
                for b in bases
            ):
                found.append(f"{path.relative_to(PACKAGE_DIR)}:{node.lineno} {node.name}")
    return found


def test_every_public_exception_is_defined_in_errors() -> None:
    assert _public_exception_classes_defined_outside_errors() == []


ERROR_NAMES = [
    name
    for name in errors.__all__
    if isinstance(getattr(errors, name), type) and issubclass(getattr(errors, name), BaseException)
]


def test_the_hierarchy_holds_only_errors_and_their_payloads() -> None:
    assert set(errors.__all__) - set(ERROR_NAMES) == {"SourceProblem"}


@pytest.mark.parametrize("name", ERROR_NAMES)
def test_every_error_derives_from_the_base_and_a_stdlib_class(name: str) -> None:
    cls = getattr(errors, name)
    if issubclass(cls, Warning):
        assert issubclass(cls, errors.JivoWarning)
        assert issubclass(cls, UserWarning)
        return
    assert issubclass(cls, errors.JivoError)
    if cls is not errors.JivoError:
        stdlib = {ValueError, OSError, RuntimeError, AssertionError, ImportError}
        assert any(issubclass(cls, base) for base in stdlib), f"{name} has no stdlib base"


def test_modules_that_raised_them_first_still_export_them() -> None:
    # Users imported these from where they were defined before the hierarchy moved.
    from jivo_widget.testing import chromium
    from jivo_widget.testing import webhooks as testing_webhooks
    from jivo_widget.webhooks import simulator, store

    assert store.StoreUnavailable is errors.StoreUnavailable
    assert simulator.OverrideError is errors.OverrideError
    assert simulator.DeliveryError is errors.DeliveryError
    assert chromium.ChromiumNotUsable is errors.ChromiumNotUsable
    assert testing_webhooks.HandlerFailed is errors.HandlerFailed
    assert jivo_widget.JivoConfigWarning is errors.JivoConfigWarning


def test_every_exception_class_reachable_in_the_package_is_in_the_hierarchy() -> None:
    # The import-time view of the same rule: nothing public outside errors.py subclasses
    # BaseException without being one of errors.py's classes.
    strays = []
    for info in pkgutil.walk_packages(jivo_widget.__path__, "jivo_widget."):
        if info.name == "jivo_widget.errors" or info.name.startswith(
            ("jivo_widget.demo", "jivo_widget.integrations")
        ):
            continue  # the hierarchy itself; optional frameworks (the source scan covers them)
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional extra that is not installed
            continue
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and not issubclass(obj, click.ClickException)  # the CLI's exit-code carriers
                and not name.startswith("_")
                and obj.__module__ == info.name
            ):
                strays.append(f"{info.name}.{name}")
    assert strays == []
