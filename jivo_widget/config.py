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
from typing import Annotated, Any, Final, Self, TypeVar

from markupsafe import Markup
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from jivo_widget import _jscode, catalog, identity
from jivo_widget._field_types import (
    RULES_MAX_DEPTH,
    ClientAttributes,
    Color,
    HttpUrl,
    JsonObject,
    LoaderUrl,
    StaticUrl,
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
#: The per-request validator (plain dicts in, plain dicts out; see jivo_widget._request).
_REQUEST = RequestValidator()
#: The serialization context key that puts ``identity_secret`` into a dump:
#: ``widget.model_dump(context={REVEAL_SECRETS: True})``. Without it the secret is left out.
REVEAL_SECRETS: Final = "reveal_secrets"
# An environment variable's name as shells write them.
_IDENTITY_OPTIONS = ("identity_expires_in", "identity_issued_at", "identity_claims")


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
    identity_secret: Annotated[tuple[identity.JwtSecret, ...] | None, Field(repr=False)] = None
    #: The name of the environment variable holding the secret, read when the Widget is built:
    #: what a config file says instead of the secret (``identity_secret_env = "JIVO_JWT_SECRET"``).
    identity_secret_env: str | None = None
    #: Token lifetime (seconds, a timedelta or ``"1h"``): adds ``exp`` (and ``iat``); tokens are
    #: then signed per request instead of once per visitor.
    identity_expires_in: int | None = None
    #: Add ``iat`` (the signing time) to every token.
    identity_issued_at: bool = False
    #: Extra JSON claims in every token (not ``id``, ``iat``, ``exp``, ``nbf``, ``aud``).
    identity_claims: dict[str, Any] | None = None

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

    @model_validator(mode="before")
    @classmethod
    def _secret_from_environment(cls, data: Any) -> Any:
        """``identity_secret_env``: the secret is read from that variable, now."""
        if not isinstance(data, Mapping) or data.get("identity_secret_env") is None:
            return data
        if data.get("identity_secret") is not None:
            raise JivoConfigError(
                "identity_secret_env: give the secret or the name of its environment variable, "
                "not both"
            )
        secrets = identity.secrets_from_environment(
            data["identity_secret_env"], field="identity_secret_env"
        )
        return {**data, "identity_secret": secrets}

    @field_validator("identity_secret", mode="before")
    @classmethod
    def _secrets(cls, value: Any) -> Any:
        # Errors name the field and which secret broke the rule, never its text.
        return None if value is None else identity.parse_secrets(value, field="identity_secret")

    @field_validator("identity_expires_in", mode="before")
    @classmethod
    def _lifetime(cls, value: Any) -> Any:
        if value is None:
            return None
        seconds = identity.parse_duration(
            value, field="identity_expires_in", maximum=identity.MAX_EXPIRES_IN
        )
        if seconds == 0:
            raise JivoConfigError("identity_expires_in: must be at least 1 second (None: none)")
        return seconds

    @field_validator("identity_claims", mode="before")
    @classmethod
    def _claims(cls, value: Any) -> Any:
        return None if value is None else identity.check_claims(value, field="identity_claims")

    @model_validator(mode="after")
    def _options_need_a_secret(self) -> Self:
        if self.identity_secret is None:
            given = [name for name in _IDENTITY_OPTIONS if getattr(self, name) not in (None, False)]
            if given:
                raise JivoConfigError(
                    f"{given[0]}: needs identity_secret (or identity_secret_env) to sign with"
                )
        return self

    @model_serializer(mode="wrap")
    def _without_secrets(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        """A dump leaves the secret out unless the context asks for it (:data:`REVEAL_SECRETS`);
        a secret read from ``identity_secret_env`` is never dumped: the name is."""
        data: dict[str, Any] = handler(self)
        if "identity_secret" in data:
            reveal = isinstance(info.context, Mapping) and info.context.get(REVEAL_SECRETS)
            if reveal and self.identity_secret is not None and self.identity_secret_env is None:
                data["identity_secret"] = [s.get_secret_value() for s in self.identity_secret]
            else:
                del data["identity_secret"]
        return data

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
        try:
            with path.open("rb") as f:
                data = tomllib.load(f)
        except OSError as exc:
            raise JivoConfigError(f"{path}: cannot read config ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise JivoConfigError(f"{path}: invalid TOML ({exc})") from None
        except RecursionError:  # tomllib parses nested arrays and tables recursively
            raise JivoConfigError(f"{path}: invalid TOML (nested too deeply)") from None
        if "identity_secret" in data:
            # Config files get committed, copied and shown: a secret written there is leaked.
            raise JivoConfigError(
                f"{path}: identity_secret: never write the secret in a config file; set "
                'identity_secret_env = "JIVO_JWT_SECRET" and put the secret in that '
                "environment variable"
            )
        return cls.from_mapping(data, base_dir=path.parent)

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

    @cached_property
    def user_tokens(self) -> identity.UserTokens | None:
        """The signer of visitors' tokens (built with the Widget), or ``None`` without an
        ``identity_secret``; its :meth:`~jivo_widget.identity.UserTokens.verify` checks them."""
        if self.identity_secret is None:
            return None
        try:
            return identity.UserTokens(
                self.identity_secret,
                expires_in=self.identity_expires_in,
                issued_at=self.identity_issued_at,
                claims=self.identity_claims,
            )
        except JivoConfigError as exc:  # each option is checked above but for the claims' size
            raise JivoConfigError(f"identity_{exc}") from None

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

    # ------------------------------------------------------------------ per request

    def render(
        self,
        *,
        user_token: str | int | None = None,
        visitor_id: str | int | None = None,
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

        ``user_token`` → ``setUserToken``; ``visitor_id`` (Latin letters and/or digits: the
        signed-in user's id) → ``setUserToken(<JWT signed with identity_secret>)``, not with
        ``user_token``; ``contact`` → ``setContactInfo``; ``custom_data``
        (≤ 10 fields) → ``setCustomData``; ``client_attributes`` (merged over the config's)
        → ``setClientAttributes`` (skipped in the browser when unchanged: Jivo allows 10 calls
        an hour); ``page_title`` (and ``page_url``) → ``sendPageTitle`` for SPAs;
        ``clear_history`` → ``clearHistory`` first (render it on the page after logout);
        ``nonce`` goes on every ``<script>``. Where text is expected, any object whose ``str()``
        is valid text is accepted (a lazy string, django-csp's ``request.csp_nonce``); the token
        and ``visitor_id`` may also be an int (``request.user.pk``).

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
        visitor_id: str | int | None = None,
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

    def render_facade(self, *, nonce: str | None = None, strict: bool | None = None) -> Markup:
        """Only the facade's markup (empty without a facade, or when disabled).

        For pages that place the glue themselves (:meth:`render_data`): put this in the page
        too, before or after the glue's script. ``nonce`` goes on its ``<style>``.
        """
        request = self._request({"nonce": nonce}, strict)
        return self.renderer.facade_html(request) if self.enabled else Markup("")

    def _request(self, values: dict[str, Any], strict: bool | None) -> dict[str, Any]:
        """Validate render() arguments into plain dicts; typed models are accepted as dicts."""
        if strict is None:
            strict = self.strict
        elif type(strict) is not bool:
            raise JivoConfigError("strict: must be True, False or None")
        contact, custom_data = values.get("contact"), values.get("custom_data")
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
        tokens = self.user_tokens
        request = _REQUEST(values, strict, can_sign=tokens is not None)
        if tokens is not None and (visitor_id := request.get("visitor_id")) is not None:
            # Cached per visitor when the token carries no time; signed now when it does.
            request["user_token"] = tokens.sign(visitor_id)
        return request

    def csp_hashes(self) -> tuple[str, ...]:
        """CSP ``script-src`` hash sources of the glue's script, static.

        Only the bootstrap (the script's text) is hashed (``'sha256-…'``); its data attribute
        is not. In external mode: the file's ``'sha256-…'``, which the browser matches with
        the script's integrity attribute (or allow the file's origin instead). For hash mode
        also allow the loader (its origin, or ``'strict-dynamic'``).
        """
        return self.renderer.csp_hashes if self.enabled else ()

    def csp_style_hashes(self) -> tuple[str, ...]:
        """CSP ``style-src`` hash sources of the facade's ``<style>`` (none without the facade):
        for a policy without ``'unsafe-inline'`` that does not pass the nonce."""
        return self.renderer.csp_style_hashes if self.enabled else ()


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
