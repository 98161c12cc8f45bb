"""The widget config (:class:`Widget`), validated with pydantic.

A :class:`Widget` is built once (from keyword arguments, a dict or a TOML file) and validated
at once; then it hands its values to a :class:`~jivo_widget.render.Renderer`, which prepares
the static part of the glue, so :meth:`Widget.render` only validates and serializes one
request's data. Data flows one way: this module uses the renderer, the renderer knows nothing
of the Widget. Every broken config rule raises :class:`~jivo_widget.errors.JivoConfigError`
naming the field and the rule (see :mod:`jivo_widget._validation_errors`); pydantic's own
``ValidationError`` never escapes. Per-request data is strict or lenient (invalid parts left out
with a warning): see :mod:`jivo_widget._request`. Limits and names come from
:mod:`jivo_widget.catalog`.

The Widget is built from parts, each a module: its per-request half (``render`` and the typed
request models :class:`Contact` and :class:`CustomField`) is :mod:`jivo_widget._per_request`;
its identity options' rules and token signer :mod:`jivo_widget._identity_options`; reading a
config file :mod:`jivo_widget._config_files`; the rules of its field values
:mod:`jivo_widget._field_types`. This module declares the fields and prepares the glue.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from jivo_widget import _jscode, catalog
from jivo_widget._config_files import files_under as files_under
from jivo_widget._config_files import read_config_file
from jivo_widget._field_types import (
    RULES_MAX_DEPTH,
    ClientAttributes,
    Color,
    JsonObject,
    LoaderUrl,
    StaticUrl,
    StrictModel,
    callers_stacklevel,
    read_json_object,
)
from jivo_widget._identity_options import (
    REVEAL_SECRETS,
    IdentityOptions,
    IdentitySecrets,
    TokenClaims,
    TokenLifetime,
)
from jivo_widget._per_request import Contact, CustomField, PerRequest
from jivo_widget._python_callbacks import (
    CallbacksModule,
    add_function,
    callbacks_modules,
    compile_modules,
)
from jivo_widget._request import STRICT_ENV
from jivo_widget._validation_errors import config_errors, fail, format_validation_error
from jivo_widget.errors import JivoConfigError, JivoConfigWarning
from jivo_widget.facade import Facade
from jivo_widget.pages import IpNetwork, PathPattern
from jivo_widget.render import Call, Renderer, StaticScript, call
from jivo_widget.strategies import STRATEGIES
from jivo_widget.strategy_options import StrategyOptions

__all__ = [
    "REVEAL_SECRETS",
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


class Invitation(StrictModel):
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


class Widget(IdentityOptions, PerRequest):
    """A JivoChat widget on a site: validated once, rendered per request with :meth:`render`.

    >>> widget = Widget(widget_id="AbCdEf1234", invitation={"text": "Need help?", "delay": 20})
    >>> html = widget.render(user_token="u-42", contact={"name": "Ann"}, nonce="abc123")
    """

    widget_id: str
    loader_host: str = catalog.LOADER_HOSTS[0]
    #: Explicit loader URL (a self-hosted or mocked loader); overrides ``loader_host``.
    loader_url: LoaderUrl | None = None
    enabled: bool = True
    #: When the glue injects Jivo's loader: a registered strategy (see jivo_widget.strategies).
    strategy: str = "eager"
    #: The strategy's options: ``{"timeout": 5}`` (idle), ``{"selector": ".chat"}`` (click,
    #: visible), ``{"cookie": …, "cookie_value": …}`` or ``{"predicate": …}`` (consent).
    strategy_options: dict[str, Any] | None = None
    #: A launcher in the look of Jivo's label until the widget is wanted: ``True``, or a
    #: mapping of :class:`~jivo_widget.facade.Facade`'s fields (label, texts, fallback link…).
    facade: Facade | None = None
    #: External mode: the glue's static part is a file served under this /path/ or https URL
    #: (``widget.static_script``; ``jivo-widget static-js DIR`` writes it); pages inline only
    #: the request's data.
    static_url: StaticUrl | None = None
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
    #: Verified identity (Jivo's JWT user tokens, see :mod:`jivo_widget.identity`): the secret
    #: from Jivo's JWT settings, or several (rotation: the first signs). ``render(visitor_id=…)``
    #: signs the visitor's token with it. Never rendered, logged, in ``repr`` or in a dump
    #: (unless :data:`REVEAL_SECRETS` asks for it).
    identity_secret: IdentitySecrets = None
    #: The name of the environment variable holding the secret, read when the Widget is built:
    #: what a config file says instead of the secret (``identity_secret_env = "JIVO_JWT_SECRET"``).
    identity_secret_env: str | None = None
    #: Token lifetime (seconds, a timedelta or ``"1h"``): adds ``exp`` (and ``iat``); tokens are
    #: then signed per request instead of once per visitor.
    identity_expires_in: TokenLifetime = None
    #: Add ``iat`` (the signing time) to every token.
    identity_issued_at: bool = False
    #: Extra JSON claims in every token (not ``id``, ``iat``, ``exp``, ``nbf``, ``aud``).
    identity_claims: TokenClaims = None

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

    @field_validator("facade", mode="before")
    @classmethod
    def _facade_switch(cls, value: Any) -> Any:
        # facade=True: the defaults; False: none (a TOML `facade = false`).
        if value is True:
            return Facade()
        return None if value is False else value

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
        """Prepare the static glue (and the token signer) now, once: a problem in it is an
        error of ``Widget(...)``, and a strategy registered again later does not change this
        Widget's glue."""
        _ = self.renderer
        _ = self.user_tokens

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
        return cls.from_mapping(read_config_file(path), base_dir=path.parent)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied, validated and prepared again.

        pydantic's own copy would skip validation and keep the old prepared glue (the cached
        :attr:`renderer`). The identity secret is kept (or read again from
        ``identity_secret_env``) unless ``update`` gives one of the two.
        """
        update = dict(update or {})
        values = self.model_dump(context={REVEAL_SECRETS: True})
        if "identity_secret" in update or "identity_secret_env" in update:
            values.pop("identity_secret", None)
            values.pop("identity_secret_env", None)
        return type(self)(**{**values, **update})

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
        facade = self.facade
        if facade is not None and facade.color is None and self.color is not None:
            facade = facade.model_copy(update={"color": self.color})  # the widget's colour
        return Renderer(
            widget_id=self.widget_id,
            loader_src=self.loader_src,
            handlers=self.handlers,
            callbacks=compile_modules(callbacks),
            strategy=self.strategy,
            strategy_options=self._strategy_options(),
            facade=facade,
            static_url=self.static_url,
            client_attributes=self.client_attributes,
            static_calls=self._static_calls(),
        )

    def _strategy_options(self) -> StrategyOptions | None:
        """``strategy_options`` validated by the model the strategy registered (its defaults
        when not given); a strategy without a model takes none."""
        model = STRATEGIES[self.strategy].options
        if model is None:
            if self.strategy_options is not None:
                raise JivoConfigError(
                    f"strategy_options: the {self.strategy!r} strategy takes no options"
                )
            return None
        try:
            return model.model_validate(self.strategy_options or {})
        except ValidationError as exc:
            raise JivoConfigError(
                format_validation_error(exc, within=("strategy_options",))
            ) from None

    @property
    def static_script(self) -> StaticScript | None:
        """External mode (``static_url``): the glue's static file to serve, else ``None``."""
        return self.renderer.static_script

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
