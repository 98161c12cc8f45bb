"""The widget config (:class:`Widget`) and the per-request data models, validated with pydantic.

A :class:`Widget` is built once (from keyword arguments, a dict or a TOML file) and validated
at once; then it hands its values to a :class:`~jivo_widget.render.Renderer`, which prepares
the static part of the glue, so :meth:`Widget.render` only validates and serializes one
request's data. Data flows one way: this module uses the renderer, the renderer knows nothing
of the Widget. Every broken config rule raises :class:`~jivo_widget.errors.JivoConfigError`
naming the field and the rule (see :mod:`jivo_widget._validation_errors`); pydantic's own
``ValidationError`` never escapes. Per-request data is strict or lenient (invalid parts left out
with a warning): see :mod:`jivo_widget._request`. Limits and names come from
:mod:`jivo_widget.catalog`.
"""

from __future__ import annotations

import re
import threading
import tomllib
import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Self, TypeVar

from markupsafe import Markup
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from jivo_widget import _jscode, catalog
from jivo_widget._field_types import (
    RULES_MAX_DEPTH,
    ClientAttributes,
    Color,
    HttpUrl,
    JsonObject,
    LoaderUrl,
    Text,
    callers_stacklevel,
    read_json_object,
)
from jivo_widget._python_callbacks import (
    CallbacksModule,
    add_function,
    callbacks_modules,
    compile_modules,
)
from jivo_widget._request import STRICT_ENV, RequestValidator, TextRule
from jivo_widget._validation_errors import config_errors, fail
from jivo_widget.errors import JivoConfigError, JivoConfigWarning
from jivo_widget.pages import IpNetwork, PathPattern
from jivo_widget.render import Call, Renderer, call
from jivo_widget.strategies import STRATEGIES

__all__ = [
    "RULES_MAX_DEPTH",
    "STRICT_ENV",
    "CallbacksModule",
    "Contact",
    "CustomField",
    "Invitation",
    "JivoConfigWarning",
    "Widget",
]

# Whole-value match (fullmatch): with match() and "$", a value ending in "\n" would pass.
_WIDGET_ID = re.compile(catalog.WIDGET_ID_PATTERN)
#: The per-request validator (plain dicts in, plain dicts out; see jivo_widget._request).
_REQUEST = RequestValidator()


class _Model(BaseModel):
    # Strict: a number where a string belongs is a mistake to report, not to coerce.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


# --------------------------------------------------------------------------- per-request data


class _RequestModel(_Model):
    # A refused value may be personal data: pydantic's errors must not echo it.
    model_config = ConfigDict(hide_input_in_errors=True)


class Contact(_RequestModel):
    """Visitor contact info for ``jivo_api.setContactInfo`` (``name``, not ``client_name``)."""

    name: Text | None = None
    email: Text | None = None
    phone: Text | None = None
    description: Text | None = None


class CustomField(_RequestModel):
    """One ``setCustomData`` field shown to agents: ``content`` required, ``link`` by the URL
    rule (:mod:`jivo_widget.urls`)."""

    content: Annotated[str, TextRule(min_length=1)]
    title: Text | None = None
    link: HttpUrl | None = None
    key: Text | None = None


# --------------------------------------------------------------------------- static config


class Invitation(_Model):
    """A proactive invitation: ``showProactiveInvitation(text, department_id)`` after ``delay``."""

    text: Annotated[str, Field(min_length=1)]
    department_id: int | None = None
    delay: Annotated[float, Field(ge=0, le=86400)] = 0

    @field_validator("delay", mode="before")
    @classmethod
    def _int_delay(cls, value: Any) -> Any:
        # Strict mode refuses int for float; TOML users write `delay = 20`.
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


Handlers = dict[str, list[str]]
_F = TypeVar("_F", bound=Callable[..., Any])
#: Serializes @widget.on registrations (each reads and replaces a Widget's callbacks).
_REGISTERING = threading.Lock()


class Widget(_Model):
    """A JivoChat widget on a site: validated once, rendered per request with :meth:`render`.

    >>> widget = Widget(widget_id="AbCdEf1234", invitation={"text": "Need help?", "delay": 20})
    >>> html = widget.render(user_token="u-42", contact={"name": "Ann"}, nonce="abc123")
    """

    widget_id: str
    loader_host: str = catalog.LOADER_HOSTS[0]
    #: Explicit loader URL (a self-hosted or mocked loader); overrides ``loader_host``.
    loader_url: LoaderUrl | None = None
    enabled: bool = True
    strategy: str = "eager"
    invitation: Invitation | None = None
    #: Proactive rules JSON (``setRules``); a str/path is a JSON file (see :meth:`from_file`).
    rules: JsonObject | None = None
    #: Attributes set on every page view unless unchanged (the glue remembers the last ones).
    client_attributes: ClientAttributes | None = None
    color: Color | None = None
    color2: Color | None = None
    #: Raw JS bodies per catalog callback name; each becomes ``function (<catalog params>) {…}``.
    handlers: Handlers = Field(default_factory=dict)
    #: Python callbacks compiled into the glue: a callbacks module's path (in TOML relative to
    #: the TOML file), an imported module, functions, or a list of them (see
    #: :mod:`jivo_widget._python_callbacks`); they run after the ``handlers`` of each callback.
    callbacks: tuple[CallbacksModule, ...] = ()
    #: Invalid per-request data: ``True`` raises, ``False`` drops it and logs a warning (pages
    #: stay up), ``None`` (default) lets ``render(strict=…)`` or ``$JIVO_WIDGET_STRICT`` decide.
    strict: bool | None = None
    #: Per-page rules, read by the integrations (see :mod:`jivo_widget.pages`): no widget on
    #: these paths (globs, or regular expressions starting with ``^``), for visitors from these
    #: networks, or outside these environments (``$JIVO_WIDGET_ENV``).
    exclude_paths: list[PathPattern] = Field(default_factory=list)
    internal_ips: list[IpNetwork] = Field(default_factory=list)
    enabled_environments: list[str] | None = None

    @field_validator("widget_id")
    @classmethod
    def _widget_id_pattern(cls, value: str) -> str:
        if not _WIDGET_ID.fullmatch(value):
            raise fail(
                "widget_id",
                "must be 4-32 letters, digits, _ and - (Jivo ids look like 'AbCdEf1234'), "
                "got {value!r}",
                value=value,
            )
        if len(value) != catalog.WIDGET_ID_TYPICAL_LENGTH:
            warnings.warn(
                f"widget_id {value!r} is {len(value)} characters long; every real Jivo id "
                f"seen is {catalog.WIDGET_ID_TYPICAL_LENGTH}",
                JivoConfigWarning,
                stacklevel=callers_stacklevel(),
            )
        return value

    @field_validator("loader_host")
    @classmethod
    def _known_host(cls, value: str) -> str:
        if value not in catalog.LOADER_HOSTS:
            raise fail(
                "loader_host",
                "must be one of {hosts}, got {value!r}",
                hosts=", ".join(catalog.LOADER_HOSTS),
                value=value,
            )
        return value

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        if value not in STRATEGIES:
            raise fail(
                "strategy",
                "must be one of {names}, got {value!r}",
                names=", ".join(STRATEGIES),
                value=value,
            )
        return value

    @field_validator("rules", mode="before")
    @classmethod
    def _rules_file(cls, value: Any) -> Any:
        if isinstance(value, str | Path):
            return read_json_object(Path(value))
        return value

    @field_validator("handlers", mode="before")
    @classmethod
    def _handler_lists(cls, value: Any) -> Any:
        # One handler may be written as a bare string; any number as a list.
        if isinstance(value, Mapping):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("handlers")
    @classmethod
    def _handler_names_and_code(cls, value: Handlers) -> Handlers:
        # Each body becomes `function (<catalog params>) {...}` in the inline script: checked
        # as exactly that (see jivo_widget._jscode), with line ends as the page will have them.
        checked: Handlers = {}
        for name, bodies in value.items():
            if name not in catalog.CALLBACKS:
                raise fail(
                    "callback_name",
                    "unknown callback {name!r}; valid names: {names}",
                    name=name,
                    names=", ".join(catalog.CALLBACKS),
                )
            params = [p.name for p in catalog.CALLBACKS[name].params]
            checked[name] = [_jscode.normalize(body) for body in bodies]
            for index, body in enumerate(checked[name]):
                if problem := _jscode.check_body(params, body):
                    raise fail(
                        "handler_code",
                        "{where}: {problem}",
                        where=f"{name}[{index}]",
                        problem=problem,
                    )
        return checked

    @field_validator("callbacks", mode="before")
    @classmethod
    def _callbacks_modules(cls, value: Any) -> Any:
        return callbacks_modules(value)

    @field_validator("color2")
    @classmethod
    def _color2_needs_color(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("color") is None:
            raise fail("color2", "a second (gradient) colour needs color")
        return value

    def model_post_init(self, context: Any, /) -> None:
        """Prepare the static glue now, once: a problem in it is an error of ``Widget(...)``,
        and a strategy registered again later does not change this Widget's glue."""
        _ = self.renderer

    # ------------------------------------------------------------------ construction helpers

    def __init__(self, **data: Any) -> None:
        """Validate ``data``; raises :class:`JivoConfigError` naming the field and the rule."""
        with config_errors():
            super().__init__(**data)

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Self:
        """Like pydantic's, but raising :class:`JivoConfigError` as ``Widget(...)`` does."""
        with config_errors():
            return super().model_validate(obj, **options)

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **options: Any) -> Self:
        """Like pydantic's, but raising :class:`JivoConfigError` as ``Widget(...)`` does."""
        with config_errors():
            return super().model_validate_json(json_data, **options)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, base_dir: Path | None = None) -> Widget:
        """Build from a dict (TOML, settings); a str ``rules`` is a JSON file and a str
        ``callbacks`` (or each str of a list) a Python file, both under ``base_dir``."""
        if not isinstance(data, Mapping):
            raise JivoConfigError(f"config: must be a table/mapping, got {type(data).__name__}")
        return cls(**files_under(data, base_dir))

    @classmethod
    def from_file(cls, path: str | Path) -> Widget:
        """Read a TOML file whose keys are :class:`Widget` fields.

        ``rules`` may be a table or the path of a JSON file, and ``callbacks`` the path of a
        Python callbacks file (or a list of paths), relative to the TOML file.
        """
        path = Path(path)
        try:
            with path.open("rb") as f:
                data = tomllib.load(f)
        except OSError as exc:
            raise JivoConfigError(f"{path}: cannot read config ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise JivoConfigError(f"{path}: invalid TOML ({exc})") from None
        except RecursionError:  # tomllib parses nested arrays and tables recursively
            raise JivoConfigError(f"{path}: invalid TOML (nested too deeply)") from None
        return cls.from_mapping(data, base_dir=path.parent)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied, validated and prepared again.

        pydantic's own copy would skip validation and keep the old prepared glue (the cached
        :attr:`renderer`).
        """
        return type(self)(**{**self.model_dump(), **(update or {})})

    # ------------------------------------------------------------------ derived values

    @property
    def loader_src(self) -> str:
        """The loader URL the glue injects: ``loader_url`` or ``https://{host}/widget/{id}``."""
        return self.loader_url or f"https://{self.loader_host}/widget/{self.widget_id}"

    @cached_property
    def renderer(self) -> Renderer:
        """The prepared glue (built with the Widget): the renderer of this Widget's values.

        Python ``callbacks`` are compiled here, once per Widget (and, through the compiler's
        cache, once per content of their files).
        """
        return self._renderer(self.callbacks)

    def _renderer(self, callbacks: tuple[CallbacksModule, ...]) -> Renderer:
        return Renderer(
            widget_id=self.widget_id,
            loader_src=self.loader_src,
            handlers=self.handlers,
            callbacks=compile_modules(callbacks),
            strategy=self.strategy,
            client_attributes=self.client_attributes,
            static_calls=self._static_calls(),
        )

    def on(self, callback: str) -> Callable[[_F], _F]:
        """Decorator: the function, written in Python, joins this Widget's glue as one more
        handler of ``callback`` (``"introduction"``, ``"change_state"``, ``"jivo_onOpen"``…).

        >>> @widget.on("introduction")
        ... def send_lead() -> None:
        ...     window.dataLayer.push({"event": "jivo_lead"})

        The function is compiled at once, with this Widget's other Python callbacks of its
        file (cached by content: Transcrypt runs once per version of the file): what cannot be
        compiled raises :class:`JivoConfigError` here, when the module defining it is imported,
        never when a page renders. Register every handler before serving pages: the glue, and
        so :meth:`csp_hashes`, includes the handlers registered so far. The decorated function
        is returned unchanged.
        """
        from jivo_widget.browser import CALLBACK_ATTRIBUTE
        from jivo_widget.transpile.check import resolve_callback_name

        if not isinstance(callback, str) or resolve_callback_name(callback) is None:
            raise JivoConfigError(
                f"callbacks: @widget.on({callback!r}): not a Jivo callback; "
                f"valid names: {', '.join(name[len('jivo_on') :] for name in catalog.CALLBACKS)}"
            )

        def register(function: _F) -> _F:
            with _REGISTERING:
                callbacks = add_function(self.callbacks, function)
                if callbacks != self.callbacks:
                    setattr(function, CALLBACK_ATTRIBUTE, callback)
                    renderer = self._renderer(callbacks)  # raises before anything changes
                    # The Widget is frozen for its users; this is its one sanctioned change,
                    # made whole: the field and the prepared glue are replaced together.
                    object.__setattr__(self, "callbacks", callbacks)
                    self.__dict__["renderer"] = renderer
            return function

        return register

    def _static_calls(self) -> list[Call]:
        """The calls every page of this Widget makes, besides its client attributes."""
        calls: list[Call] = []
        if self.color is not None:
            colors = [self.color] if self.color2 is None else [self.color, self.color2]
            calls.append(call("setWidgetColor", *colors))
        if self.rules is not None:
            calls.append(call("setRules", self.rules))
        if self.invitation is not None:
            inv = self.invitation
            args = [inv.text] if inv.department_id is None else [inv.text, inv.department_id]
            calls.append(call("showProactiveInvitation", *args, delay=inv.delay))
        return calls

    # ------------------------------------------------------------------ per request

    def render(
        self,
        *,
        user_token: str | int | None = None,
        contact: Contact | Mapping[str, Any] | None = None,
        custom_data: Sequence[CustomField | Mapping[str, Any]] | None = None,
        client_attributes: Mapping[str, str | int | float] | None = None,
        page_title: str | None = None,
        page_url: str | None = None,
        clear_history: bool = False,
        nonce: str | None = None,
        strict: bool | None = None,
    ) -> Markup:
        """The glue HTML for one request (empty when the widget is disabled).

        ``user_token`` → ``setUserToken``; ``contact`` → ``setContactInfo``; ``custom_data``
        (≤ 10 fields) → ``setCustomData``; ``client_attributes`` (merged over the config's)
        → ``setClientAttributes`` (skipped in the browser when unchanged: Jivo allows 10 calls
        an hour); ``page_title`` (and ``page_url``) → ``sendPageTitle`` for SPAs;
        ``clear_history`` → ``clearHistory`` first (render it on the page after logout);
        ``nonce`` goes on every ``<script>``. Where text is expected, any object whose ``str()``
        is valid text is accepted (a lazy string, django-csp's ``request.csp_nonce``); the token
        may also be an int (``request.user.pk``).

        Invalid values: with ``strict`` (this argument, else the Widget's ``strict``, else
        ``$JIVO_WIDGET_STRICT``) they raise :class:`JivoConfigError`; otherwise the invalid
        part is left out, the rest renders, and a WARNING names the part and its rule.
        """
        # Validated even when disabled: a widget switched off in development must not hide
        # a call that fails in production.
        request = self._request(_arguments(locals()), strict)
        if not self.enabled:
            return Markup("")
        return self.renderer.render(request)

    def render_data(
        self,
        *,
        user_token: str | int | None = None,
        contact: Contact | Mapping[str, Any] | None = None,
        custom_data: Sequence[CustomField | Mapping[str, Any]] | None = None,
        client_attributes: Mapping[str, str | int | float] | None = None,
        page_title: str | None = None,
        page_url: str | None = None,
        clear_history: bool = False,
        strict: bool | None = None,
    ) -> str:
        """Only the JSON of one request's calls (arguments and ``strict`` as :meth:`render`).

        For pages that place the glue themselves: the glue is one ``<script>`` whose text is
        ``widget.renderer.bootstrap`` and whose ``data-jivo`` attribute holds this JSON (from JS:
        ``script.dataset.jivo = data``; in HTML single-quoted: the JSON has no ``'``).
        Like :meth:`render`, it always validates and returns ``""`` when the widget is disabled.
        """
        request = self._request(_arguments(locals()), strict)
        return self.renderer.data(request) if self.enabled else ""

    def _request(self, values: dict[str, Any], strict: bool | None) -> dict[str, Any]:
        """Validate render() arguments into plain dicts; typed models are accepted as dicts."""
        if strict is None:
            strict = self.strict
        elif type(strict) is not bool:
            raise JivoConfigError("strict: must be True, False or None")
        contact, custom_data = values["contact"], values["custom_data"]
        if isinstance(contact, BaseModel):
            values["contact"] = _fields(contact)
        if (
            custom_data is not None
            and type(custom_data) is not list
            and isinstance(custom_data, Sequence)
            and not isinstance(custom_data, str | bytes | bytearray)
        ):  # any Sequence, as typed (a tuple); the validator takes lists
            values["custom_data"] = custom_data = list(custom_data)
        if custom_data and any(isinstance(f, BaseModel) for f in custom_data):
            values["custom_data"] = [
                _fields(f) if isinstance(f, BaseModel) else f for f in custom_data
            ]
        return _REQUEST(values, strict)

    def csp_hashes(self) -> tuple[str, ...]:
        """CSP ``script-src`` hash sources (``'sha256-…'``) of the inline scripts, static.

        Only the bootstrap (the script's text) is hashed; its data attribute is not. For hash mode
        also allow the loader (its origin, or ``'strict-dynamic'``).
        """
        return self.renderer.csp_hashes if self.enabled else ()


def files_under(data: Mapping[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """``data`` (config values) with its file names made relative to ``base_dir``: a str
    ``rules`` (a JSON file) and a str ``callbacks`` or each str of a list (Python files)."""
    values = dict(data)
    if base_dir is not None:
        rules = values.get("rules")
        if isinstance(rules, str):
            values["rules"] = base_dir / rules
        callbacks = values.get("callbacks")
        if isinstance(callbacks, str):
            values["callbacks"] = base_dir / callbacks
        elif isinstance(callbacks, list):
            values["callbacks"] = [base_dir / c if isinstance(c, str) else c for c in callbacks]
    return values


# --------------------------------------------------------------------------- per request


def _fields(model: BaseModel) -> dict[str, Any]:
    """The set fields of a flat typed model, as the request validator takes them."""
    return {k: v for k, v in model.__dict__.items() if v is not None}


def _arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """The request data of render()/render_data() (their ``locals()``): all but self, strict.

    The parameter names are the request validator's field names, so the signatures stay
    explicit (documented, type-checked, read by the CLI) without a second copy of the list.
    """
    del arguments["self"], arguments["strict"]
    return arguments
