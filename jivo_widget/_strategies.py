"""Loading strategies: *when* the glue injects Jivo's loader script.

A strategy is a name plus a small JS fragment (a Jinja template under
``templates/jivo_widget/strategies/``) that runs inside the bootstrap and calls ``load()`` when the
time has come. The renderer only looks strategies up here, so a new one (idle, interaction,
click, consent...) is one template file plus one :func:`register_strategy` call; neither the
renderer nor the config model changes.

Inside the fragment these bootstrap names are in scope: ``w`` (window), ``d`` (document) and
``load()`` (idempotent: injects the loader once, with the page's CSP nonce, unless ``jivo_api``
already exists).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["STRATEGIES", "LoadingStrategy", "register_strategy"]


@dataclass(frozen=True)
class LoadingStrategy:
    """One way of deciding when to load Jivo's loader script."""

    name: str
    template: str
    doc: str


_registry: dict[str, LoadingStrategy] = {}

#: Every registered strategy by name (a read-only live view of the registry).
STRATEGIES: MappingProxyType[str, LoadingStrategy] = MappingProxyType(_registry)


def register_strategy(name: str, template: str, doc: str) -> LoadingStrategy:
    """Register (or replace) a loading strategy; ``template`` is a path in the template loader."""
    strategy = LoadingStrategy(name=name, template=template, doc=doc)
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
