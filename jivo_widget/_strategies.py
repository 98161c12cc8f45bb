"""Loading strategies: *when* the glue injects Jivo's loader script.

A strategy is a name plus a small JS fragment (a Jinja template under
``templates/jivo_widget/strategies/``, or JS source given directly) that runs inside the
bootstrap and calls ``load()`` when the time has come. The renderer only looks strategies up
here, so a new one (idle, interaction, click, consent...) is one :func:`register_strategy` call;
neither the renderer nor the config model changes. Public import: :mod:`jivo_widget.strategies`.

Inside the fragment these bootstrap names are in scope: ``w`` (window), ``d`` (document) and
``load()`` (idempotent: injects the loader once, with the page's CSP nonce, unless ``jivo_api``
already exists).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from jivo_widget.errors import JivoConfigError

__all__ = ["STRATEGIES", "LoadingStrategy", "register_strategy"]


@dataclass(frozen=True)
class LoadingStrategy:
    """One way of deciding when to load Jivo's loader script."""

    name: str
    #: A template path in the glue's template loader (the built-in strategies)...
    template: str | None
    doc: str
    #: ...or the JS fragment itself (a site's own strategy).
    source: str | None = None


_registry: dict[str, LoadingStrategy] = {}

#: Every registered strategy by name (a read-only live view of the registry).
STRATEGIES: MappingProxyType[str, LoadingStrategy] = MappingProxyType(_registry)


# The fragment is inlined in a <script>: these would end or re-mode the element.
_SCRIPT_BREAKERS = re.compile(r"</script|<!--|<script", re.IGNORECASE)


def register_strategy(
    name: str, template: str | None = None, doc: str = "", *, source: str | None = None
) -> LoadingStrategy:
    """Register (or replace) a loading strategy, usable as ``Widget(strategy=name)``.

    Give either ``template`` (a path in the glue's template loader) or ``source``, the JS
    fragment itself, e.g. ``register_strategy("click", source='d.addEventListener("click",
    load, {once: true});', doc="on the first click")``. In the fragment ``w`` is window, ``d``
    document and ``load()`` injects the loader (once). Widgets built before keep their glue.
    """
    if (template is None) == (source is None):
        raise JivoConfigError(f"strategy {name!r}: give exactly one of template or source")
    if source is not None and _SCRIPT_BREAKERS.search(source):
        raise JivoConfigError(
            f"strategy {name!r}: source must not contain '</script', '<script' or '<!--'"
        )
    strategy = LoadingStrategy(name=name, template=template, doc=doc, source=source)
    _registry[name] = strategy
    return strategy


register_strategy(
    "eager",
    "jivo_widget/strategies/eager.js.j2",
    "inject the async loader script at once, while the page is still loading",
)
register_strategy(
    "onload",
    "jivo_widget/strategies/onload.js.j2",
    "inject the loader after the window 'load' event (at once if the page already loaded)",
)
