"""``@jivo_widget_options(...)``: a view's say over its page's widget."""

from __future__ import annotations

import functools
from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any, TypeVar, cast

from django.http import HttpRequest

from jivo_widget.integrations._core import PageOptions, render_parameters

__all__ = ["jivo_widget_options", "page_options"]

_V = TypeVar("_V", bound=Callable[..., Any])

#: The request attribute holding the view's :class:`PageOptions`.
ATTRIBUTE = "jivo_widget"


def page_options(request: HttpRequest) -> PageOptions:
    """``request.jivo_widget``, created if no middleware or decorator made it yet."""
    options = getattr(request, ATTRIBUTE, None)
    if not isinstance(options, PageOptions):
        options = PageOptions()
        setattr(request, ATTRIBUTE, options)
    return options


def jivo_widget_options(*, enabled: bool = True, **data: Any) -> Callable[[_V], _V]:
    """Decorate a view (sync or async): ``enabled=False`` renders no widget on its pages; other
    keywords are :meth:`Widget.render` arguments added over the identity.

    >>> @jivo_widget_options(enabled=False)
    ... def checkout(request): ...
    """
    # A misspelt keyword fails when the view module is imported, not on every page.
    accepted = render_parameters()
    unknown = sorted(set(data) - accepted) if accepted is not None else []
    if unknown:
        raise TypeError(
            f"jivo_widget_options: unknown render() argument(s) {', '.join(unknown)}; "
            f"accepted: enabled, {', '.join(sorted(accepted or ()))}"
        )
    probe = PageOptions(enabled=enabled, **data)

    def apply(request: HttpRequest) -> None:
        options = page_options(request)
        options.enabled = options.enabled and probe.enabled
        if probe.data:
            options.update(**probe.data)

    def decorator(view: _V) -> _V:
        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                apply(request)
                return await view(request, *args, **kwargs)

            return cast(_V, async_view)

        @functools.wraps(view)
        def sync_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            apply(request)
            return view(request, *args, **kwargs)

        return cast(_V, sync_view)

    return decorator
