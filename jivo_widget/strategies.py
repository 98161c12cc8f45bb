"""Loading strategies: *when* the glue injects Jivo's loader script (the public registry).

``Widget(strategy="eager")`` (the default) injects the loader from the glue at once, while the
page is still loading; ``"onload"`` injects it after the window ``load`` event. A site adds its
own with :func:`register_strategy` and selects it by name.
"""

from __future__ import annotations

from jivo_widget._strategies import STRATEGIES, LoadingStrategy, register_strategy

__all__ = ["STRATEGIES", "LoadingStrategy", "register_strategy"]
