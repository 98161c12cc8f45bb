"""pydantic's validation errors as the one-line messages of :class:`JivoConfigError`.

Every broken rule is reported as ``<where>: <rule>`` (``invitation.text: String should have at
least 1 character``; several joined with ``"; "``), where ``<where>`` is the field's path as the
user wrote it (``custom_data[3].link``) and ``<rule>`` never repeats a per-request value, which
may be personal data. pydantic's own ``ValidationError`` never reaches a user:
:func:`config_errors` turns it into :class:`JivoConfigError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from jivo_widget.errors import JivoConfigError

__all__ = [
    "ATTRIBUTE_VALUE_ERROR",
    "ATTRIBUTE_VALUE_MESSAGE",
    "config_errors",
    "error_location",
    "fail",
    "format_validation_error",
]

#: Error type of a client attribute value that is neither a string nor a number; its message
#: names the type that was given.
ATTRIBUTE_VALUE_ERROR = "attribute_value"
ATTRIBUTE_VALUE_MESSAGE = "must be a string or a finite number"

# pydantic's tags naming which member of a union, or which step of a chain, failed: noise for a
# user, who wrote one value.
_TAG_PREFIXES = ("function-", "constrained-", "list[", "dict[", "nullable", "chain[")
_TAGS = ("str", "int", "float")


def fail(rule: str, message: str, **ctx: Any) -> PydanticCustomError:
    """The error a validator raises: ``message`` formatted with ``ctx`` (``{value!r}`` works).

    Formatted here rather than by pydantic, whose templates know no conversions such as ``!r``.
    """
    return PydanticCustomError(rule, message.format(**ctx))


def error_location(path: tuple[int | str, ...]) -> str:
    """``('custom_data', 3, 'link')`` → ``custom_data[3].link``; ``[key]`` marks a bad dict key."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            out += " (key)"  # a dict key, not its value, is wrong
        else:
            out += f".{part}" if out else part
    return out


def _location(loc: tuple[int | str, ...]) -> str:
    """A config error's path without pydantic's union and chain tags; ``config`` for the root."""
    parts = tuple(
        part
        for part in loc
        if isinstance(part, int)
        or part == "[key]"
        or not (part in _TAGS or part.startswith(_TAG_PREFIXES))
    )
    return error_location(parts) or "config"


def format_validation_error(exc: ValidationError, within: tuple[str, ...] = ()) -> str:
    """One line naming every failing config field and its rule (union duplicates removed).

    ``within``: the path of the field whose value ``exc`` is about (``("strategy_options",)``
    when a model validated that field's value on its own).
    """
    seen: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        message = error["msg"]
        if error["type"] == ATTRIBUTE_VALUE_ERROR:
            message = f"{message}, got {type(error['input']).__name__}"
        elif error["type"] == "extra_forbidden":
            message = "unknown field"
        seen.setdefault(_location((*within, *error["loc"])), message)
    return "; ".join(f"{where}: {message}" for where, message in seen.items())


@contextmanager
def config_errors() -> Iterator[None]:
    """Turn a ``ValidationError`` raised inside into :class:`JivoConfigError`."""
    try:
        yield
    except ValidationError as exc:
        # model_validate runs a model's own __init__ inside pydantic, which wraps the
        # JivoConfigError that __init__ raised: that one is the message to keep.
        for error in exc.errors(include_url=False):
            inner = (error.get("ctx") or {}).get("error")
            if isinstance(inner, JivoConfigError):
                raise inner from None
        raise JivoConfigError(format_validation_error(exc)) from None
