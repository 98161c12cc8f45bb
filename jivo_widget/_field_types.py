"""The rules of the config's field values, as annotated types (and the checks behind them).

:mod:`jivo_widget.config` declares its fields with these: ``loader_url: LoaderUrl``,
``rules: JsonObject``, ``color: Color``... Each check raises pydantic's custom error (see
:func:`~jivo_widget._validation_errors.fail`), which ``Widget(...)`` reports as a
:class:`~jivo_widget.errors.JivoConfigError` naming the field and the rule.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from jivo_widget import catalog
from jivo_widget._request import TextRule, link_schema
from jivo_widget._validation_errors import ATTRIBUTE_VALUE_ERROR, ATTRIBUTE_VALUE_MESSAGE, fail
from jivo_widget.urls import is_http_url, is_root_path

__all__ = [
    "RULES_MAX_DEPTH",
    "ClientAttributes",
    "Color",
    "HttpUrl",
    "JsonObject",
    "LoaderUrl",
    "StaticUrl",
    "StrictModel",
    "Text",
    "callers_stacklevel",
    "read_json_object",
]

# Whole-value match (fullmatch): with match() and "$", a value ending in "\n" would pass.
_COLOR = re.compile(catalog.COLOR_PATTERN)
#: How deep ``rules`` may nest (objects and arrays): far beyond real rules, and far below the
#: depth at which serializing them would hit Python's recursion limit.
RULES_MAX_DEPTH = 100


# Frames in these directories are ours or pydantic's: a warning points past them to the user.
_INTERNAL_DIRS = tuple(
    str(Path(module_file).resolve().parent) + "/"
    for module_file in (__file__, sys.modules[BaseModel.__module__].__file__ or __file__)
)


def callers_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first frame outside jivo_widget and
    pydantic (the user's ``Widget(...)``, ``from_file`` or ``model_validate`` line)."""
    level, frame = 1, sys._getframe(1)  # 1: the function calling warnings.warn
    caller: FrameType | None = frame
    while caller is not None and caller.f_code.co_filename.startswith(_INTERNAL_DIRS):
        caller, level = caller.f_back, level + 1
    return level


def _loader_url(value: str) -> str:
    # A root-relative path lets a site serve a self-hosted (or mocked) loader from itself;
    # an absolute URL must be https, as Jivo's own snippet is. Both by the one
    # URL rule (jivo_widget.urls): "/\\evil.example/x.js" is another origin to a browser.
    if not (is_root_path(value) or is_http_url(value, https_only=True)):
        raise fail(
            "loader_url",
            "must be an https URL or a /path on this site (the URL rule: a real host, no user@, "
            "no backslash, whitespace, control or invisible characters), got {value!r}",
            value=value,
        )
    return value


def _static_url(value: str) -> str:
    # Where the glue's static file is served (external mode): on the site or an https origin,
    # by the one URL rule, as a folder the file's name is appended to.
    if not (is_root_path(value) or is_http_url(value, https_only=True)) or not value.endswith("/"):
        raise fail(
            "static_url",
            "must be a /path/ on this site or an https URL (the URL rule), ending with '/', "
            "got {value!r}",
            value=value,
        )
    return value


def _color(value: str) -> str:
    if not _COLOR.fullmatch(value):
        raise fail("color", "must be a #rrggbb hex colour, got {value!r}", value=value)
    return value


#: A link by the URL rule (jivo_widget.urls), as the per-request validator checks it.
HttpUrl = Annotated[str, TextRule(link_schema)]
#: Per-request text: a ``str`` or an object whose ``str()`` is one (a lazy translation).
Text = Annotated[str, TextRule()]
Color = Annotated[str, AfterValidator(_color)]


def _attribute_value(value: Any) -> Any:
    if (
        isinstance(value, bool)
        or not isinstance(value, str | int | float)
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        raise fail(ATTRIBUTE_VALUE_ERROR, ATTRIBUTE_VALUE_MESSAGE)
    return value


def _json_problem(value: Any) -> str | None:
    """Why ``value`` is not plain JSON the glue can serialize (naming where), or None.

    Iterative, so that no nesting depth can raise RecursionError here; nesting deeper than
    :data:`RULES_MAX_DEPTH` is itself a problem.
    """
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if item is None or isinstance(item, str | bool | int):
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                return f"{path} is {item}, not a JSON value"
            continue
        if not isinstance(item, list | tuple | dict):
            return f"{path} is a {type(item).__name__}, not a JSON value"
        if depth > RULES_MAX_DEPTH:
            return f"nested deeper than {RULES_MAX_DEPTH} levels"
        children: list[tuple[Any, str, int]] = []
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return f"{path} has the key {key!r}; JSON keys are strings"
                children.append((child, f"{path}.{key}" if path else key, depth + 1))
        else:
            children.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
        stack.extend(reversed(children))  # depth first, in order: the first problem is reported
    return None


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    if problem := _json_problem(value):
        raise fail("json", "{problem}", problem=problem)
    return value


#: Jivo's attribute values (``setClientAttributes``) are Text or Number.
ClientAttributes = dict[str, Annotated[str | int | float, BeforeValidator(_attribute_value)]]
#: An explicit loader URL: an https URL or a path on the site.
LoaderUrl = Annotated[str, AfterValidator(_loader_url)]
#: Where the glue's static file is served: a /path/ or an https URL, ending with "/".
StaticUrl = Annotated[str, AfterValidator(_static_url)]
#: A JSON object the glue can serialize, nested at most :data:`RULES_MAX_DEPTH` deep.
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_object)]


def read_json_object(path: Path) -> dict[str, Any]:
    """The JSON object in the file ``path`` (a ``rules`` file), checked as :data:`JsonObject`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise fail(
            "rules_file", "cannot read {path} ({err})", path=str(path), err=exc.strerror
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(
            "rules_file", "{path} is not valid JSON ({err})", path=str(path), err=str(exc)
        ) from None
    except RecursionError:  # the json module parses nested values recursively
        raise fail(
            "rules_file",
            "{path}: nested deeper than {depth} levels",
            path=str(path),
            depth=RULES_MAX_DEPTH,
        ) from None
    if not isinstance(data, dict):
        raise fail("rules_file", "{path} must hold a JSON object", path=str(path))
    if problem := _json_problem(data):
        raise fail("rules_file", "{path}: {problem}", path=str(path), problem=problem)
    return data


class StrictModel(BaseModel):
    """The base of the config's models: strict types, no unknown fields, frozen."""

    # Strict: a number where a string belongs is a mistake to report, not to coerce.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
