"""The supported subset as data: which builtins, methods and exception names callbacks may use.

The checker refuses everything not listed here; the lowering step maps what is listed onto the
helpers of ``helpers.js``. Both read these tables, so a name is supported in one place.
"""

from __future__ import annotations

from types import MappingProxyType

from jivo_widget import browser

__all__ = [
    "BROWSER_NAMES",
    "BUILTIN_CALLS",
    "BUILTIN_VALUES",
    "EXCEPTIONS",
    "ISINSTANCE_TYPES",
    "JS_RESERVED",
    "MAX_SAFE_INTEGER",
    "METHODS",
    "PYTHON_ONLY_METHODS",
    "STR_METHODS",
    "TRANSCRYPT_ALIASED",
]

#: Globals a callbacks module may import from :mod:`jivo_widget.browser`.
BROWSER_NAMES = frozenset(browser.GLOBALS)

#: Builtin functions callbacks may call: name -> (min args, max args). Each becomes a helper.
BUILTIN_CALLS: MappingProxyType[str, tuple[int, int]] = MappingProxyType(
    {
        "len": (1, 1),
        "str": (0, 1),
        "int": (1, 1),
        "float": (1, 1),
        "bool": (1, 1),
        "abs": (1, 1),
        "min": (1, 99),
        "max": (1, 99),
        "sum": (1, 2),
        "sorted": (1, 1),
        "any": (1, 1),
        "all": (1, 1),
        "enumerate": (1, 2),
        "zip": (1, 9),
        "isinstance": (2, 2),
        "range": (1, 3),
        "list": (0, 1),
    }
)

#: Builtins that may also be passed as a value (``sorted(xs, key=len)``): one-argument ones.
BUILTIN_VALUES = frozenset({"len", "str", "int", "float", "bool", "abs"})

#: ``isinstance(x, T)`` types.
ISINSTANCE_TYPES = frozenset({"int", "float", "str", "bool", "list", "dict"})

#: Exception names usable in ``raise X(...)`` and ``except X:``.
EXCEPTIONS = frozenset(
    {
        "Exception",
        "ValueError",
        "TypeError",
        "KeyError",
        "IndexError",
        "ZeroDivisionError",
        "LookupError",
        "ArithmeticError",
        "AttributeError",
        "RuntimeError",
    }
)

#: str/list/dict methods with Python's meaning (helper ``_jw_m_<name>``): name -> (min, max)
#: positional arguments. On other objects they call the object's own JS method.
METHODS: MappingProxyType[str, tuple[int, int]] = MappingProxyType(
    {
        "append": (1, 1),
        "extend": (1, 1),
        "insert": (2, 2),
        "remove": (1, 1),
        "pop": (0, 2),
        "index": (1, 1),
        "count": (1, 1),
        "join": (1, 1),
        "split": (0, 2),
        "strip": (0, 1),
        "lstrip": (0, 1),
        "rstrip": (0, 1),
        "startswith": (1, 1),
        "endswith": (1, 1),
        "lower": (0, 0),
        "upper": (0, 0),
        "replace": (2, 3),
        "find": (1, 1),
        "get": (1, 2),
        "keys": (0, 0),
        "values": (0, 0),
        "items": (0, 0),
        "update": (1, 1),
        "clear": (0, 0),
    }
)

#: The str methods among :data:`METHODS`: on a browser object (``window.location.pathname``,
#: often a string) these still get Python's meaning; list/dict methods there stay the object's.
STR_METHODS = frozenset(
    {"startswith", "endswith", "lower", "upper", "strip", "lstrip", "rstrip", "split", "replace",
     "find", "count", "index", "join"}
)  # fmt: skip

#: Methods of str/list/dict that are not supported: on a Python value they would silently
#: become a different JS method (``xs.sort()`` sorts as strings) or fail, so they are refused
#: unless the object is clearly a browser object (``window.x.sort()``).
PYTHON_ONLY_METHODS = frozenset(
    {
        "sort", "reverse", "copy", "setdefault", "popitem", "fromkeys", "format", "format_map",
        "encode", "casefold", "capitalize", "title", "swapcase", "center", "ljust", "rjust",
        "zfill", "expandtabs", "partition", "rpartition", "rsplit", "splitlines", "rfind",
        "rindex", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier",
        "islower", "isnumeric", "isprintable", "isspace", "istitle", "isupper", "maketrans",
        "translate", "removeprefix", "removesuffix",
    }
)  # fmt: skip

#: Identifiers JavaScript reserves or that mean something else there (refused as names).
JS_RESERVED = frozenset(
    {
        "arguments", "await", "break", "case", "catch", "class", "const", "continue", "debugger",
        "default", "delete", "do", "else", "enum", "eval", "export", "extends", "false",
        "finally", "for", "function", "if", "implements", "import", "in", "instanceof",
        "interface", "let", "new", "null", "package", "private", "protected", "public",
        "return", "static", "super", "switch", "this", "throw", "true", "try", "typeof",
        "undefined", "var", "void", "while", "with", "yield", "NaN", "Infinity", "Object",
        "Array", "String", "Number", "Boolean", "Error", "Math", "Symbol", "Promise", "self",
        "globalThis", "window", "document",
    }
)  # fmt: skip

#: Attribute names Transcrypt renames unless told not to (transcrypt.md §4): every one gets a
#: ``noalias`` pragma so ``obj.name`` stays ``obj.name``.
TRANSCRYPT_ALIASED = (
    "name", "type", "keys", "values", "items", "get", "pop", "update", "clear", "default",
    "selector", "split", "replace", "sort", "iter", "next", "new", "case", "switch",
    "arguments", "Infinity", "NaN", "isNaN", "undefined", "true", "false", "js_name",
)  # fmt: skip

#: Numbers beyond this lose precision in JavaScript (the one accepted difference).
MAX_SAFE_INTEGER = 2**53 - 1
