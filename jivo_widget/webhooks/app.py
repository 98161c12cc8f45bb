"""``WebhookApp``: the one object a site builds — handlers, store, receiver, adapters."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr

from jivo_widget.errors import JivoConfigError, JivoInsecureWebhookWarning
from jivo_widget.identity import UserTokens, parse_secrets, secrets_from_environment
from jivo_widget.webhooks.contract import (
    DEFAULT_DEDUPE_WINDOW,
    DEFAULT_HANDLER_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_RESPONSE_DEADLINE,
    WEBHOOK_PREFIX,
)
from jivo_widget.webhooks.instrument import Observer
from jivo_widget.webhooks.receiver import Receiver
from jivo_widget.webhooks.router import Handler, Router
from jivo_widget.webhooks.store import (
    DEFAULT_STORE_URL,
    DURABILITIES,
    Durability,
    EventStore,
    open_store,
    resolve_store_url,
)
from jivo_widget.webhooks.worker import Processing, RetryPolicy

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from jivo_widget.webhooks.celery import CeleryTasks
    from jivo_widget.webhooks.wsgi import WSGIApp

__all__ = ["JivoInsecureWebhookWarning", "WebhookApp"]

_H = TypeVar("_H", bound=Handler)

#: What ``identity_secret`` takes: the secret from Jivo's JWT settings, or several (rotation).
IdentitySecret = str | SecretStr | Sequence[str | SecretStr]


class _Unchanged(Enum):
    """The default of :meth:`WebhookApp.configured`: keep this setting."""

    KEEP = "keep"


def _secrets(secret: str | Sequence[str] | None) -> list[str] | None:
    return [secret] if isinstance(secret, str) else None if secret is None else list(secret)


def _user_tokens(secret: IdentitySecret | None, env: str | None) -> UserTokens | None:
    """The verifier for ``identity_secret`` or ``identity_secret_env``; errors name the option
    and the rule, never the secret."""
    if env is not None:
        if secret is not None:
            raise JivoConfigError(
                "identity_secret_env: give the secret or the name of its environment variable, "
                "not both"
            )
        return UserTokens(secrets_from_environment(env, field="identity_secret_env"))
    if secret is None:
        return None
    return UserTokens(parse_secrets(secret, field="identity_secret"))


class _StoreOnFirstUse:
    """An app's event store, opened when first needed and then shared by its copies.

    Called by the receiver; a failed open is not remembered, so the next use tries again (the
    directory may get mounted later).
    """

    def __init__(self, store: str | EventStore, durability: Durability = "process") -> None:
        self._store: EventStore | None = None
        if durability not in DURABILITIES:
            raise JivoConfigError(
                f"durability {durability!r}: expected one of {', '.join(map(repr, DURABILITIES))}"
            )
        self.durability = durability
        if isinstance(store, str):
            self.url = resolve_store_url(store)  # a bad URL is an error now, not at first use
        else:
            self.url, self._store = store.url, store
        self._lock = threading.Lock()

    def __call__(self) -> EventStore:
        with self._lock:  # several threads may need it first at once: open one store
            if self._store is None:
                self._store = open_store(self.url, durability=self.durability)
            return self._store


def _observer(metrics: bool) -> Observer:
    """The receiver's observer: the log line, and Prometheus metrics when asked for."""
    if not metrics:
        return Observer()
    try:
        from jivo_widget.webhooks.metrics import PrometheusMetrics
    except ImportError as exc:
        raise JivoConfigError(
            "metrics=True needs the metrics extra: pip install 'jivo-widget[metrics]'"
        ) from exc
    return PrometheusMetrics()


def _celery_tasks(celery_app: Any, receiver: Receiver) -> CeleryTasks:
    """Register the app's Celery tasks and hand its queued events to them."""
    try:
        from jivo_widget.webhooks.celery import register_tasks
    except ImportError as exc:
        raise JivoConfigError(
            "processing='celery' needs the celery extra: pip install 'jivo-widget[celery]'"
        ) from exc
    assert receiver.worker is not None
    return register_tasks(celery_app, receiver.worker)


class WebhookApp:
    """Receive Jivo webhooks: register handlers, then mount an adapter.

    >>> hooks = WebhookApp(secret="s3cret-from-env", store="sqlite:///:memory:")
    >>> @hooks.on("chat_accepted")
    ... def show_crm_card(event):
    ...     return {"crm_link": "https://crm.example/c/42", "enable_assign": True}
    >>> app = hooks.asgi()  # POST /jivo/webhook/s3cret-from-env, GET /healthz
    >>> wsgi = hooks.wsgi()  # the same routes for WSGI servers (Flask, gunicorn, ...)

    ``secret``: the secret path segment, or a list of them (rotation: accept old and new), or
    ``None`` — insecure: any path secret is accepted, and a :class:`JivoInsecureWebhookWarning`
    is issued here and logged again when a server starts. Jivo does not sign webhooks, so the
    URL secret is the only authentication there is.
    ``store``: a store URL (``sqlite:///jivo-events.db``, relative to the working directory
    now; ``sqlite:///:memory:`` for tests and throwaway runs) or an :class:`EventStore`. A URL
    is checked here but opened on first use — the first delivery, ``/healthz`` or
    :attr:`store` — so importing the module that builds the app creates no file. A store
    that cannot be opened then (missing directory, read-only file) gets deliveries a 503 and an
    ERROR in the log until it can; ``jivo-widget serve`` opens it at startup instead.
    ``max_body_bytes``: larger bodies get 413. ``response_deadline``: how long a
    ``chat_accepted``/``chat_updated`` reply may wait for a handler's response before the safe
    ``{"result": "ok"}`` goes out. ``handler_timeout``: after this a handler counts as failed.
    ``dedupe_window``: a body identical to one received this recently is a resend (answered
    with the first reply, handlers not re-run); later it is a new event (Jivo's
    ``client_attribute_updated`` for A→B→A sends the same body twice). ``None``: forever.
    ``durability``: what a 200 survives for a store given by URL — ``"process"`` a crash of
    the receiver, ``"fsync"`` also a power loss (see
    :func:`~jivo_widget.webhooks.store.open_store`).
    ``metrics``: keep Prometheus metrics and serve them at ``GET /metrics`` (the ``metrics``
    extra; see :mod:`jivo_widget.webhooks.metrics`, also for several worker processes).
    ``identity_secret``: the secret from Jivo's JWT settings — the Widget's ``identity_secret``
    (``widget.identity_secret`` passes it on) — or several (rotation: all verify). Each event's
    ``user_token`` is then verified before its handlers run: ``event.visitor_id`` is the id of a
    token the site signed, else ``None``, and ``event.identity`` says why. Without it nothing is
    verified: ``visitor_id`` is always ``None`` and a token's identity is ``unverified``.
    ``identity_secret_env``: the name of the environment variable holding it instead, read now.
    A bad secret raises :class:`~jivo_widget.errors.JivoConfigError` naming the option.
    ``processing``: ``"inline"`` (the default) runs every event's handlers right after it is
    stored; ``"worker"`` stores events whose answer Jivo ignores (all but ``chat_accepted`` /
    ``chat_updated``, which stay inline) as queued, answers 200 at once, and leaves them to a
    worker running in the server process (started with the ASGI app's lifespan) that retries a
    failing event with backoff and marks it ``dead`` after ``retry.max_attempts``
    (:class:`~jivo_widget.webhooks.worker.RetryPolicy`; see :mod:`jivo_widget.webhooks.worker`).
    ``"celery"`` queues them the same way and hands each event's id to a task on
    ``celery_app`` (the ``celery`` extra; see :mod:`jivo_widget.webhooks.celery`), with the same
    retries and dead state; :attr:`celery` holds the tasks.
    """

    def __init__(
        self,
        secret: str | Sequence[str] | None,
        store: str | EventStore = DEFAULT_STORE_URL,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        response_deadline: float = DEFAULT_RESPONSE_DEADLINE,
        handler_timeout: float = DEFAULT_HANDLER_TIMEOUT,
        dedupe_window: timedelta | None = DEFAULT_DEDUPE_WINDOW,
        durability: Durability = "process",
        metrics: bool = False,
        identity_secret: IdentitySecret | None = None,
        identity_secret_env: str | None = None,
        processing: Processing = "inline",
        retry: RetryPolicy | None = None,
        celery_app: Any = None,
    ) -> None:
        self._setup(
            _secrets(secret),
            _StoreOnFirstUse(store, durability),
            Router(),
            max_body_bytes=max_body_bytes,
            response_deadline=response_deadline,
            handler_timeout=handler_timeout,
            dedupe_window=dedupe_window,
            observer=_observer(metrics),
            identity=_user_tokens(identity_secret, identity_secret_env),
            processing=processing,
            retry=retry,
            celery_app=celery_app,
        )

    def _setup(
        self,
        secrets: list[str] | None,
        store: _StoreOnFirstUse,
        router: Router,
        *,
        max_body_bytes: int,
        response_deadline: float,
        handler_timeout: float,
        dedupe_window: timedelta | None,
        observer: Observer,
        identity: UserTokens | None,
        processing: Processing,
        retry: RetryPolicy | None,
        celery_app: Any,
    ) -> None:
        if processing == "celery" and celery_app is None:
            raise JivoConfigError(
                "processing 'celery' needs celery_app: the Celery app whose workers run the "
                "handlers (WebhookApp(..., processing='celery', celery_app=app))"
            )
        self._secrets = secrets
        self._retry = retry  # kept by copies, also one that switches processing on
        self._celery_app = celery_app  # likewise
        self.router = router
        self._store_opener = store
        self.receiver = Receiver(
            secrets=secrets,
            store=store,
            router=self.router,
            max_body_bytes=max_body_bytes,
            response_deadline=response_deadline,
            handler_timeout=handler_timeout,
            dedupe_window=dedupe_window,
            observer=observer,
            identity=identity,
            processing=processing,
            retry=retry,
        )
        if secrets is None:
            warnings.warn(
                f"no Jivo webhook secret configured: every URL under {WEBHOOK_PREFIX} accepts "
                "events from anyone; set a secret (e.g. from JIVO_WEBHOOK_SECRET)",
                JivoInsecureWebhookWarning,
                stacklevel=3,
            )
        self._asgi: Starlette | None = None
        self._wsgi: WSGIApp | None = None
        #: The Celery tasks (``processing="celery"``), else ``None``.
        self.celery: CeleryTasks | None = None
        if processing == "celery":
            self.celery = _celery_tasks(celery_app, self.receiver)

    def configured(
        self,
        *,
        secret: str | Sequence[str] | _Unchanged | None = _Unchanged.KEEP,
        store: str | EventStore | _Unchanged = _Unchanged.KEEP,
        dedupe_window: timedelta | _Unchanged | None = _Unchanged.KEEP,
        durability: Durability | _Unchanged = _Unchanged.KEEP,
        metrics: bool | _Unchanged = _Unchanged.KEEP,
        identity_secret: IdentitySecret | _Unchanged | None = _Unchanged.KEEP,
        processing: Processing | _Unchanged = _Unchanged.KEEP,
    ) -> WebhookApp:
        """A new app with the same handlers (the router is shared, so handlers registered on
        either later count for both) and limits, over another ``secret``, ``store``,
        ``dedupe_window`` (and ``durability``, for a store opened from a URL), ``metrics``
        (kept: the same metrics, counted together), ``identity_secret`` (``None``: verify
        no user tokens) and/or ``processing`` (the retry policy is kept).

        Whatever is not given is kept: ``hooks.configured(store="sqlite:///other.db")`` keeps
        the secrets, or the store (the same store object, opened once for both). ``secret=None``
        is insecure mode, with its warning; ``dedupe_window=None`` dedupes forever. A store URL
        is opened on first use (see :class:`WebhookApp`); ``self`` is not changed.

        >>> hooks = WebhookApp(secret="s3cret", store="sqlite:///:memory:")
        >>> staging = hooks.configured(secret="other-secret")
        >>> staging.router is hooks.router and staging.store is hooks.store
        True
        """
        clone = WebhookApp.__new__(WebhookApp)
        receiver = self.receiver
        clone._setup(
            self._secrets if isinstance(secret, _Unchanged) else _secrets(secret),
            self._opener(store, durability),
            self.router,
            max_body_bytes=receiver.max_body_bytes,
            response_deadline=receiver.response_deadline,
            handler_timeout=receiver.handler_timeout,
            dedupe_window=(
                receiver.dedupe_window if isinstance(dedupe_window, _Unchanged) else dedupe_window
            ),
            observer=receiver.observer if isinstance(metrics, _Unchanged) else _observer(metrics),
            identity=(
                receiver.identity
                if isinstance(identity_secret, _Unchanged)
                else _user_tokens(identity_secret, None)
            ),
            processing=self.processing if isinstance(processing, _Unchanged) else processing,
            retry=self._retry,
            celery_app=self._celery_app,
        )
        return clone

    def _opener(
        self, store: str | EventStore | _Unchanged, durability: Durability | _Unchanged
    ) -> _StoreOnFirstUse:
        """The store opener of a copy: this one if nothing about the store changes."""
        if isinstance(store, _Unchanged) and isinstance(durability, _Unchanged):
            return self._store_opener
        if isinstance(durability, _Unchanged):
            durability = self._store_opener.durability
        if isinstance(store, _Unchanged):
            store = self._store_opener.url
        return _StoreOnFirstUse(store, durability)

    @property
    def store(self) -> EventStore:
        """The stored deliveries; opened now if this is its first use.

        Raises :class:`~jivo_widget.webhooks.store.StoreUnavailable` if it cannot be opened.
        """
        return self.receiver.store

    @property
    def processing(self) -> Processing:
        """How events whose answer Jivo ignores are handled: ``"inline"``, or queued for the
        in-process ``"worker"`` or for ``"celery"``."""
        worker = self.receiver.worker
        return "inline" if worker is None else worker.mode

    @property
    def user_tokens(self) -> UserTokens | None:
        """The verifier of ``identity_secret`` (``None`` without one): what checks each event's
        ``user_token``."""
        return self.receiver.identity

    @property
    def store_url(self) -> str:
        """The URL of the store (a relative SQLite path made absolute), without opening it."""
        return self._store_opener.url

    def on(self, event_names: str | Iterable[str]) -> Callable[[_H], _H]:
        """Decorator: handle ``event_names`` (a name or a list). See :class:`Router`."""
        return self.router.on(event_names)

    def on_any(self, func: _H) -> _H:
        """Decorator: handle every event, including names this version does not know."""
        return self.router.on_any(func)

    def asgi(self) -> Starlette:
        """The Starlette app: ``POST /jivo/webhook/{secret}``, ``GET /healthz`` (cached)."""
        if self._asgi is None:
            from jivo_widget.webhooks.asgi import create_app

            self._asgi = create_app(self.receiver)
        return self._asgi

    def wsgi(self) -> WSGIApp:
        """The WSGI app (Flask, any WSGI server): ``POST /jivo/webhook/{secret}``,
        ``GET /healthz``, honouring ``SCRIPT_NAME`` (cached)."""
        if self._wsgi is None:
            from jivo_widget.webhooks.wsgi import wsgi_app

            self._wsgi = wsgi_app(self)
        return self._wsgi
