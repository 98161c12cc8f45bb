"""``Widget(callbacks=...)``: the Python callbacks a site names, as modules compiled into the glue.

A site names its callbacks in one of three ways, alone or in a list:

- a path to a callbacks module (``"jivo_callbacks.py"``; in TOML, relative to the TOML file);
- an imported callbacks module (compiled from its file);
- functions (``[send_lead, track_state]``), defined anywhere, e.g. beside the app's views: only
  those functions are compiled, with the file's ``from jivo_widget.browser import ...`` lines.
  Each must handle a callback: named ``jivo_on*`` or decorated with ``@on("...")``.

:func:`callbacks_modules` turns that into :class:`CallbacksModule` entries (one per file, whole
or only the named functions), the value the config keeps; :func:`compile_modules` compiles them
when the Widget is built into the JavaScript expressions the renderer joins to the glue's
handlers. The compiler caches by content (:mod:`jivo_widget.transpile.cache`): Transcrypt runs
once per version of a file, not once per Widget or per process, and never per request.
"""

from __future__ import annotations

import inspect
import os
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from jivo_widget._validation_errors import fail, format_validation_error
from jivo_widget.errors import JivoConfigError, TranscryptMissing

__all__ = ["CallbacksModule", "add_function", "callbacks_modules", "compile_modules"]

_WHAT = "a path, a module, a function, or a list of them"


class CallbacksModule(BaseModel):
    """One callbacks file compiled into the glue: all of it, or only the named functions."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    path: Path
    #: ``None``: the whole module; else only these top-level functions of the file.
    functions: tuple[str, ...] | None = None


def _function_file(function: types.FunctionType, where: str) -> Path:
    name = getattr(function, "__qualname__", function.__name__)
    if name != function.__name__ or name == "<lambda>":  # a nested function, a method
        raise fail(
            "callbacks",
            "{where}{name} is not a top-level function; callbacks are top-level "
            "def/async def functions (or name a callbacks module instead)",
            where=where,
            name=name,
        )
    try:
        file = inspect.getsourcefile(function)
    except TypeError:
        file = None
    if not file or not os.path.isfile(file):
        raise fail(
            "callbacks",
            "{where}{name} has no source file to compile (defined in {origin})",
            where=where,
            name=name,
            origin=function.__code__.co_filename,
        )
    return Path(file)


def callbacks_modules(value: Any) -> Any:
    """What ``Widget(callbacks=...)`` was given, as a tuple of modules to compile (a before
    validator: entries already in that form, as ``model_dump()`` gives them, pass through)."""
    if value is None:
        return ()
    single = not isinstance(value, list | tuple)
    items = [value] if single else list(value)
    entries: list[Any] = []
    functions: dict[Path, list[str]] = {}  # per file, in the order first named
    whole: set[str] = set()
    for index, item in enumerate(items):
        where = "" if single else f"item {index}: "
        if isinstance(item, CallbacksModule):
            entries.append(item)
            continue
        if isinstance(item, Mapping):  # model_dump()'s form, or JSON's (paths as strings)
            try:
                entries.append(CallbacksModule.model_validate(item, strict=False))
            except ValidationError as exc:
                problem = format_validation_error(exc)
                raise fail("callbacks", "{where}{problem}", where=where, problem=problem) from None
            continue
        if isinstance(item, str | os.PathLike):
            path = Path(item)
        elif isinstance(item, types.ModuleType):
            file = getattr(item, "__file__", None)
            if not file or not file.endswith(".py"):
                raise fail(
                    "callbacks",
                    "{where}module {name} has no .py file to compile",
                    where=where,
                    name=item.__name__,
                )
            path = Path(file)
        elif isinstance(item, types.FunctionType):
            path = _function_file(item, where)
            names = functions.get(path)
            if names is None:
                names = functions[path] = []
                entries.append(path)  # replaced below by the file's functions
            if item.__name__ in names:
                raise fail(
                    "callbacks",
                    "{where}{name} is listed twice (it would run twice)",
                    where=where,
                    name=item.__name__,
                )
            names.append(item.__name__)
            continue
        else:
            raise fail(
                "callbacks",
                "{where}must be {what}, got {kind}",
                where=where,
                what=_WHAT,
                kind=type(item).__name__,
            )
        key = os.path.realpath(path)
        if key in whole:
            raise fail(
                "callbacks",
                "{where}{path} is listed twice (its callbacks would run twice)",
                where=where,
                path=str(path),
            )
        whole.add(key)
        entries.append(CallbacksModule(path=path))
    modules = tuple(
        CallbacksModule(path=entry, functions=tuple(functions[entry]))
        if isinstance(entry, Path)
        else entry
        for entry in entries
    )
    for module in modules:
        if module.functions is not None and os.path.realpath(module.path) in whole:
            raise fail(
                "callbacks",
                "{name} is listed both alone and with its whole module {path} (it would run twice)",
                name=module.functions[0],
                path=str(module.path),
            )
    return modules


def add_function(
    modules: tuple[CallbacksModule, ...], function: Any
) -> tuple[CallbacksModule, ...]:
    """``modules`` with one more function (``@widget.on(...)``): added to the functions already
    named in its file (one module per file, so helpers are shared), else as a new module.

    Registering a function again is a no-op (a module imported twice must not make it run
    twice); its whole file already being listed is an error (it would run twice).
    """
    if not isinstance(function, types.FunctionType):
        raise JivoConfigError(
            f"callbacks: @widget.on(...) decorates a def or async def function, "
            f"got {type(function).__name__}"
        )
    try:
        path = _function_file(function, "")
    except PydanticCustomError as exc:
        raise JivoConfigError(f"callbacks: {exc.message()}") from None
    key = os.path.realpath(path)
    out = list(modules)
    for index, module in enumerate(out):
        if os.path.realpath(module.path) != key:
            continue
        if module.functions is None:
            raise JivoConfigError(
                f"callbacks: {function.__name__} is registered with @widget.on(...) and its "
                f"whole module {module.path} is listed too (it would run twice)"
            )
        if function.__name__ in module.functions:
            return modules
        out[index] = CallbacksModule(
            path=module.path, functions=(*module.functions, function.__name__)
        )
        return tuple(out)
    return (*modules, CallbacksModule(path=path, functions=(function.__name__,)))


def compile_modules(modules: tuple[CallbacksModule, ...]) -> list[str]:
    """Compile each module (a cache hit when its content was compiled before) into the
    minified JavaScript expression the renderer joins to the glue's handlers.

    Raises :class:`JivoConfigError` (a refused construct: the ``file:line:col`` lines of
    ``jivo-widget check``; an unreadable file; a named function that handles no callback) or
    :class:`TranscryptMissing` (saying what to install).
    """
    if not modules:
        return []
    # Imported here: the compiler (and Transcrypt behind it) is only needed by Widgets with
    # Python callbacks, and its import costs every other process time.
    from jivo_widget import transpile

    expressions = []
    for module in modules:
        source = _read(module.path)
        filename = _shown_name(module.path)
        if module.functions is not None:
            source = transpile.select_functions(source, filename, module.functions)
        try:
            compiled = transpile.compile_callbacks(source, filename)
        except TranscryptMissing as exc:
            raise TranscryptMissing(f"callbacks: {exc}") from None
        if module.functions is not None:
            handling = {name for names in compiled.handlers.values() for name in names}
            for name in module.functions:
                if name not in handling:
                    raise JivoConfigError(
                        f"callbacks: {name} ({filename}) is not a Jivo callback: name it "
                        'jivo_on<Callback> or decorate it with @on("<callback>") from '
                        "jivo_widget.browser"
                    )
        expressions.append(compiled.minified_expression())
    return expressions


def _shown_name(path: Path) -> str:
    """The file name errors show, in messages and in the page: the path as given when relative,
    else relative to the working directory when inside it, else the file's name alone (the
    page's visitors need not learn where the site's code lives)."""
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return path.name


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JivoConfigError(f"callbacks: cannot read {path} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise JivoConfigError(f"callbacks: {path} is not UTF-8 text") from None
