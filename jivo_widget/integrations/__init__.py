"""The widget in the frameworks sites use: one template line, identity from the request.

- :mod:`jivo_widget.integrations.django`: a Django app (template tag, system checks,
  middlewares, per-view options, ``clearHistory()`` after logout).
- :mod:`jivo_widget.integrations.flask`: the ``JivoWidget`` extension (``{{ jivo_widget() }}``).
- :mod:`jivo_widget.integrations.starlette`: ``install_jivo_widget(templates, widget)`` for
  Starlette and FastAPI's ``Jinja2Templates``.
- :mod:`jivo_widget.integrations.asgi`: a middleware that inserts the glue into HTML responses.
- :mod:`jivo_widget.integrations.jinja`: the Jinja extension under all of them, for any app or a
  static site generator.

Each imports its framework; this package imports none. :class:`PageOptions` is what a view
changes about its page's widget.
"""

from jivo_widget.integrations._core import PageOptions

__all__ = ["PageOptions"]
