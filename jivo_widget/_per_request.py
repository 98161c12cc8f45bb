"""The per-request half of a :class:`~jivo_widget.config.Widget`: its typed request models
(:class:`Contact`, :class:`CustomField`) and the methods a page calls on every request.

:class:`PerRequest` is a base of ``Widget``: ``render``, ``render_data`` and ``render_facade``
validate one request's data (strict or lenient, see :mod:`jivo_widget._request`), sign the
visitor's token, and hand the plain values to the Widget's prepared
:class:`~jivo_widget.render.Renderer`; ``csp_hashes`` and ``csp_style_hashes`` read it.
It reads the Widget only through the four attributes declared below; nothing here imports
:mod:`jivo_widget.config`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

from markupsafe import Markup
from pydantic import BaseModel, ConfigDict

from jivo_widget._field_types import HttpUrl, StrictModel, Text
from jivo_widget._request import RequestValidator, TextRule
from jivo_widget.errors import JivoConfigError

if TYPE_CHECKING:
    from jivo_widget.identity import UserTokens
    from jivo_widget.render import Renderer

__all__ = ["Contact", "CustomField", "PerRequest"]

#: The per-request validator (plain dicts in, plain dicts out; see jivo_widget._request).
_REQUEST = RequestValidator()


class _RequestModel(StrictModel):
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


class PerRequest:
    """The methods of a :class:`~jivo_widget.config.Widget` that run per request."""

    __slots__ = ()

    if TYPE_CHECKING:
        # What this half reads of the Widget (its fields, and what it prepared when built).
        enabled: bool
        strict: bool | None

        @property
        def renderer(self) -> Renderer: ...

        @property
        def user_tokens(self) -> UserTokens | None: ...

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
