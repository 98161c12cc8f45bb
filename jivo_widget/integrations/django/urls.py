"""External mode's file, served by Django.

::

    urlpatterns += [path("", include("jivo_widget.integrations.django.urls"))]

With ``static_url`` a ``/path/`` in ``JIVO_WIDGET``, the view answers the Widget's
``static_script.url`` with the glue's file and its year-long immutable caching headers
(404 for any other name: an old file is gone with the config that made it). Keep
``static_url`` outside ``STATIC_URL``, or Django's static files handler (``runserver``,
``StaticLiveServerTestCase``) answers first; or write the file among your static files
with ``jivo-widget static-js`` instead.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import re_path

from jivo_widget.integrations._core import served_static_script
from jivo_widget.integrations.django import conf

__all__ = ["static_script", "urlpatterns"]


def static_script(request: HttpRequest, name: str) -> HttpResponse:
    """The glue's file when the request names the current one, else 404."""
    script = served_static_script(conf.widget())
    if script is None or request.path != script.url:
        raise Http404("no such jivo-widget file")
    return HttpResponse(script.text, headers=script.headers)


# Any path ending in the file's name: the view compares the whole path, so a settings change
# (a new static_url or config, a test's override) needs no new URLconf.
urlpatterns = [
    re_path(
        r"^(?:.*/)?(?P<name>jivo-widget\.[0-9a-f]{12}\.js)$",
        static_script,
        name="jivo_widget_static_script",
    ),
]
