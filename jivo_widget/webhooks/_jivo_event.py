"""``JivoEvent``: the base of every Jivo webhook event, chat and CRM alike.

The fields every event may carry (``event_name``, ``widget_id``, ``user_token``), the payload as
received (:attr:`JivoEvent.raw`, :attr:`JivoEvent.raw_body`) and what the user token proves
(:attr:`JivoEvent.identity`, :attr:`JivoEvent.visitor_id`). The chat events
(:mod:`jivo_widget.webhooks.events`) and the CRM events (:mod:`jivo_widget.webhooks.crm`) derive
from it; import it from either public module.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import PrivateAttr

from jivo_widget.identity import IdentityStatus, UserTokens, Verification
from jivo_widget.webhooks.fields import Id, JivoModel

__all__ = ["JivoEvent"]


class JivoEvent(JivoModel):
    """Base of every event. ``event_name`` is the only required field.

    :attr:`raw` is the decoded payload exactly as received and :attr:`raw_body` its bytes, so a
    field this model does not know yet is never lost.
    """

    #: The ``event_name`` this class models (``""`` for :class:`UnknownEvent`).
    event_type: ClassVar[str] = ""
    #: Jivo reads the answer to this event (a handler's response is shown to the agent); every
    #: other event is answered ``{"result": "ok"}`` as soon as it is stored.
    reads_response: ClassVar[bool] = False

    event_name: str
    widget_id: Id = None
    #: What the page passed to ``jivo_api.setUserToken``, as Jivo sent it back: **unverified**
    #: (a visitor can set any string from the browser console). Trust :attr:`visitor_id`.
    user_token: Id = None

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)
    _raw_body: bytes = PrivateAttr(default=b"")
    _verification: Verification | None = PrivateAttr(default=None)

    @property
    def visitor_id(self) -> str | None:
        """The visitor's id from :attr:`user_token` when it **verified** (signed with the
        ``WebhookApp``'s ``identity_secret``, in date); ``None`` in every other case: no token,
        an invalid or expired one, or an app without ``identity_secret`` (nothing checked it)."""
        verification = self._verification
        return None if verification is None else verification.visitor_id

    @property
    def identity(self) -> IdentityStatus:
        """What :attr:`user_token` proves: ``verified`` (:attr:`visitor_id` is set),
        ``missing`` (no token), ``invalid``, ``expired``, or ``unverified`` (a token nothing
        checked: the app has no ``identity_secret``). Compares equal to those strings."""
        if self._verification is not None:
            return self._verification.status
        if self.user_token is None:
            return IdentityStatus.MISSING
        return IdentityStatus.UNVERIFIED

    def verify_identity(self, tokens: UserTokens) -> Verification:
        """Check :attr:`user_token` with ``tokens``; sets :attr:`identity` and
        :attr:`visitor_id`, and returns the whole result (``reason``, ``claims``). Never
        raises. The receiver calls it before every dispatch and replay, so the app's current
        secrets apply; call it yourself on an event built by hand (:func:`parse_event`)."""
        self._verification = tokens.verify(self.user_token)
        return self._verification

    @property
    def raw(self) -> dict[str, Any]:
        """The JSON object as received (not re-serialised, not coerced)."""
        return self._raw

    @property
    def raw_body(self) -> bytes:
        """The request body as received (empty when the event was built from a dict)."""
        return self._raw_body
