"""The widget in Django: an app, one setting and one template tag.

``settings.py``::

    INSTALLED_APPS += ["jivo_widget.integrations.django"]
    JIVO_WIDGET = {"widget_id": "AbCdEf1234"}          # or {"config": BASE_DIR / "jivo.toml"}

``base.html``::

    {% load jivo %}{% jivo_widget %}                    {# before </body> #}

- Identity from ``request.user`` (signed in: ``user_token`` from the primary key, contact from
  ``get_full_name()`` and ``email``), or ``JIVO_WIDGET_IDENTITY = "myapp.jivo.identity"``: a
  function ``request -> dict`` of :meth:`Widget.render` arguments (or ``None``).
- The CSP nonce of Django 6's built-in CSP (the ``csp_nonce`` context variable or
  ``request._csp_nonce``) or of django-csp (``request.csp_nonce``), with no code.
- ``manage.py check`` reports a bad ``JIVO_WIDGET`` or ``JIVO_WIDGET_IDENTITY``
  (``jivo_widget.E001``...).
- After ``logout()`` the next page renders ``clearHistory()`` once.
- Views: :func:`jivo_widget_options` (``@jivo_widget_options(enabled=False)``) and, with
  :class:`~jivo_widget.integrations.django.middleware.JivoWidgetMiddleware`,
  ``request.jivo_widget.update(custom_data=[...])``.
- Lenient rendering; strict under ``DEBUG``, in Django's test runner, or when the Widget or
  ``JIVO_WIDGET_STRICT`` say so.
"""

from jivo_widget.integrations.django.decorators import jivo_widget_options

__all__ = ["jivo_widget_options"]
