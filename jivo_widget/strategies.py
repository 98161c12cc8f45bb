"""Loading strategies: *when* the glue injects Jivo's loader script.

``Widget(strategy="eager")`` (the default) injects the loader from the glue at once, while the
page is still loading; ``"onload"`` after the window ``load`` event; the lazy ones only when
the widget is wanted: ``"idle"`` (the first idle period after ``load``, at most
``strategy_options={"timeout": 5}`` seconds later), ``"interaction"`` (the first scroll,
pointer, key or touch), ``"click"`` (a click on ``strategy_options={"selector": …}``, which
also opens the chat), ``"visible"`` (an element matching ``selector`` scrolls into view),
``"consent"`` (a cookie or a predicate says yes, re-checked on ``jivoWidget.consent()``) and
``"manual"`` (only ``jivoWidget.load()``). A site adds its own with :func:`register_strategy`
and selects it by name.

A strategy is a name plus one JavaScript function that the glue calls once, as
``strategy(load, window, document)``; it calls ``load()`` when the time has come (``load()`` is
idempotent: it injects the loader once, with the page's CSP nonce, unless ``jivo_api`` already
exists). The renderer only looks strategies up here, so a new one (idle, interaction, click,
consent...) is one :func:`register_strategy` call; neither the renderer nor the config model
changes.

The built-in strategies are readable sources in the repository's ``js/src/strategies/``,
shipped minified in ``jivo_widget/assets/strategies/`` (see ``js/build.mjs``); one with
``options`` is a factory of them (see :mod:`jivo_widget.strategy_options`). A site's own
strategy is a JS fragment, the body of ``function (load, w, d) {...}``: ``w`` is window, ``d``
document.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from jivo_widget import _jscode
from jivo_widget.errors import JivoConfigError
from jivo_widget.strategy_options import (
    ClickOptions,
    ConsentOptions,
    IdleOptions,
    StrategyOptions,
    VisibleOptions,
)

__all__ = ["FRAGMENT_PARAMS", "STRATEGIES", "LoadingStrategy", "register_strategy"]

#: The parameters a site's fragment (``source`` or ``template``) is the body of.
FRAGMENT_PARAMS = ("load", "w", "d")


@dataclass(frozen=True)
class LoadingStrategy:
    """One way of deciding when to load Jivo's loader script."""

    name: str
    #: A template path in the glue's template loader, rendering to a fragment...
    template: str | None
    doc: str
    #: ...or the fragment itself (a site's own strategy)...
    source: str | None = None
    #: ...or a built-in: a minified function in ``jivo_widget/assets/`` (path inside it).
    asset: str | None = None
    #: The model of its options (``Widget(strategy_options=…)``), for a built-in whose asset is
    #: a factory of them; ``None``: it takes none.
    options: type[StrategyOptions] | None = None
    #: Loads without the visitor asking: with the facade, a visitor who saves data
    #: (``navigator.connection.saveData``) or is on 2g gets only the facade's click.
    save_data_guard: bool = False


_registry: dict[str, LoadingStrategy] = {}

#: Every registered strategy by name (a read-only live view of the registry).
STRATEGIES: MappingProxyType[str, LoadingStrategy] = MappingProxyType(_registry)


def register_strategy(
    name: str,
    template: str | None = None,
    doc: str = "",
    *,
    source: str | None = None,
    replace: bool = False,
) -> LoadingStrategy:
    """Register a loading strategy, usable as ``Widget(strategy=name)``.

    Give either ``template`` (a path in the glue's template loader) or ``source``, the JS
    fragment itself, e.g. ``register_strategy("click", source='d.addEventListener("click",
    load, {once: true});', doc="on the first click")``. The fragment is the body of
    ``function (load, w, d) {...}``: ``w`` is window, ``d`` document and ``load()`` injects the
    loader (once); it is syntax-checked like a handler. A name already registered (the
    built-in ``eager`` and ``onload`` included) is refused unless ``replace=True``. Widgets
    built before keep their glue.
    """
    if (template is None) == (source is None):
        raise JivoConfigError(f"strategy {name!r}: give exactly one of template or source")
    if source is not None:
        source = _jscode.normalize(source)
        if problem := _jscode.check_body(FRAGMENT_PARAMS, source):
            raise JivoConfigError(f"strategy {name!r}: source {problem}")
    strategy = LoadingStrategy(name=name, template=template, doc=doc, source=source)
    return _add(strategy, replace=replace)


def _add(strategy: LoadingStrategy, *, replace: bool) -> LoadingStrategy:
    existing = _registry.get(strategy.name)
    if existing is not None and not replace:
        kind = "a built-in" if existing.asset is not None else "already registered"
        raise JivoConfigError(
            f"strategy {strategy.name!r} is {kind}; pass replace=True to replace it"
        )
    _registry[strategy.name] = strategy
    return strategy


def _built_in(
    name: str,
    doc: str,
    options: type[StrategyOptions] | None = None,
    *,
    save_data_guard: bool = False,
) -> None:
    _add(
        LoadingStrategy(
            name=name,
            template=None,
            doc=doc,
            asset=f"strategies/{name}.min.js",
            options=options,
            save_data_guard=save_data_guard,
        ),
        replace=False,
    )


_built_in("eager", "inject the async loader script at once, while the page is still loading")
_built_in(
    "onload",
    "inject the loader after the window 'load' event (at once if the page already loaded)",
)
_built_in(
    "idle",
    "inject the loader in the first idle period after 'load', at most `timeout` s later",
    IdleOptions,
    save_data_guard=True,
)
_built_in(
    "interaction",
    "inject the loader on the first scroll, pointer press, key press or touch",
    save_data_guard=True,
)
_built_in(
    "click",
    "inject the loader on a click on an element matching `selector` (added later too), "
    "and open the chat",
    ClickOptions,
)
_built_in(
    "visible",
    "inject the loader when an element matching `selector` comes into view",
    VisibleOptions,
)
_built_in(
    "consent",
    "inject the loader once a cookie or a predicate says the visitor consents "
    "(checked again on jivoWidget.consent())",
    ConsentOptions,
)
_built_in("manual", "never inject the loader by itself: only jivoWidget.load() does")
