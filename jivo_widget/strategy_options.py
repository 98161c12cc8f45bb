"""The options of the built-in loading strategies (``Widget(strategy_options=…)``).

A built-in strategy that takes options (``idle``, ``click``, ``visible``, ``consent``) is a
*factory* in ``js/src/strategies/``: a function of its options that returns the strategy the
glue calls, ``strategy(load, window, document)``. Its options are validated here, once per
Widget, by one model per strategy (the registry in :mod:`jivo_widget.strategies` names it);
they reach the page as the arguments of that factory, in the bootstrap, so one CSP hash per
Widget still covers them (:meth:`StrategyOptions.js_arguments`)::

    (<factory>)(<options as JSON>[, <function>...])

- data (a selector, a timeout, a cookie) is one JSON object made by
  :func:`~jivo_widget.serialize.script_json`, the one script-safe serializer;
- code (the consent predicate a site writes) is a function made by
  :func:`jivo_widget._jscode.function_expression` after the same checks as a handler's body.

Nothing is ever formatted into JavaScript source.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from jivo_widget import _jscode
from jivo_widget.serialize import script_json

__all__ = [
    "ClickOptions",
    "ConsentOptions",
    "IdleOptions",
    "StrategyOptions",
    "VisibleOptions",
]

#: What the consent predicate's body is the body of: a function of no arguments.
PREDICATE_PARAMS: tuple[str, ...] = ()

# A CSS selector: the browser is the judge of its grammar (a selector it cannot parse throws
# its SyntaxError when the glue runs); here, only what can never be one.
_SELECTOR = r"^[^\x00-\x1f\x7f]+$"
_SELECTOR_MAX = 500
# IntersectionObserver's rootMargin: one to four lengths in px or %.
_MARGIN = r"^-?\d+(?:\.\d+)?(?:px|%)(?: -?\d+(?:\.\d+)?(?:px|%)){0,3}$"
# RFC 6265: a cookie name is a token; a value is cookie-octets (no whitespace, quotes, comma,
# semicolon, backslash or control characters).
_COOKIE_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_COOKIE_VALUE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")


def _fail(rule: str, message: str) -> PydanticCustomError:
    # A message of our own, without pydantic's "Value error, " prefix.
    return PydanticCustomError(rule, message.replace("{", "{{").replace("}", "}}"))


def _seconds(value: Any) -> Any:
    # Strict models refuse an int for a float; TOML and Python users write `timeout = 5`.
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class StrategyOptions(BaseModel):
    """Options of one strategy: validated once per Widget, then arguments of its factory."""

    # Strict: a number where a string belongs is a mistake to report, not to coerce.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    def js_options(self) -> dict[str, Any]:
        """The data the factory receives as its first argument (JSON)."""
        return self.model_dump()

    def js_functions(self) -> tuple[str, ...]:
        """Code the factory receives after the data, as JS function expressions."""
        return ()

    def js_arguments(self) -> str:
        """The factory's arguments as JavaScript source: the JSON object, then any functions."""
        return ",".join((script_json(self.js_options()), *self.js_functions()))


Selector = Annotated[str, Field(min_length=1, max_length=_SELECTOR_MAX, pattern=_SELECTOR)]


class IdleOptions(StrategyOptions):
    """``idle``: when the browser is first idle after ``load``, at most ``timeout`` s later."""

    timeout: Annotated[float, Field(gt=0, le=600)] = 5.0

    _timeout_seconds = field_validator("timeout", mode="before")(_seconds)

    def js_options(self) -> dict[str, Any]:
        """``{"timeout": ms}``: requestIdleCallback counts in milliseconds."""
        return {"timeout": round(self.timeout * 1000)}


class ClickOptions(StrategyOptions):
    """``click``: a click on an element matching ``selector`` (added later too); ``open``: open
    the chat once Jivo is ready (the click itself cannot reach a chat that is not there yet)."""

    selector: Selector
    open: bool = True


class VisibleOptions(StrategyOptions):
    """``visible``: an element matching ``selector`` comes within ``margin`` of the viewport."""

    selector: Selector
    #: IntersectionObserver's ``rootMargin``: 1 to 4 lengths in px or %, e.g. ``"200px"``.
    margin: Annotated[str, Field(pattern=_MARGIN)] = "0px"


class ConsentOptions(StrategyOptions):
    """``consent``: nothing loads until the cookie ``cookie`` holds ``cookie_value``, or the JS
    ``predicate`` (the body of a function of no arguments, e.g. ``return
    CookieConsent.acceptedCategory("functional")``) returns a true value; checked when the glue
    runs and on every ``jivoWidget.consent()``."""

    cookie: str | None = None
    cookie_value: str | None = None
    predicate: str | None = None

    @field_validator("cookie")
    @classmethod
    def _cookie_name(cls, value: str | None) -> str | None:
        if value is not None and not _COOKIE_NAME.fullmatch(value):
            raise _fail(
                "cookie_name",
                "must be a cookie name (letters, digits and !#$%&'*+.^_`|~-), got " + repr(value),
            )
        return value

    @field_validator("cookie_value")
    @classmethod
    def _cookie_value(cls, value: str | None) -> str | None:
        if value is not None and not _COOKIE_VALUE.fullmatch(value):
            raise _fail(
                "cookie_value",
                "must be a cookie value as stored (no whitespace, quotes, comma, semicolon or "
                "backslash), got " + repr(value),
            )
        return value

    @field_validator("predicate")
    @classmethod
    def _predicate_code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = _jscode.normalize(value)
        if problem := _jscode.check_body(PREDICATE_PARAMS, value):
            raise _fail("predicate_code", problem)
        return value

    @model_validator(mode="after")
    def _something_to_check(self) -> ConsentOptions:
        if (self.cookie is None) != (self.cookie_value is None):
            raise _fail(
                "consent", "cookie and cookie_value go together: the cookie's name and value"
            )
        if self.cookie is None and self.predicate is None:
            raise _fail("consent", "needs cookie and cookie_value, or predicate (or both)")
        return self

    def js_options(self) -> dict[str, Any]:
        """``{"cookie": "name=value"}`` as ``document.cookie`` lists it, or null."""
        pair = None if self.cookie is None else f"{self.cookie}={self.cookie_value}"
        return {"cookie": pair}

    def js_functions(self) -> tuple[str, ...]:
        """The predicate as ``function(){…}``, or ``null``."""
        if self.predicate is None:
            return ("null",)
        return (_jscode.function_expression(PREDICATE_PARAMS, self.predicate),)
