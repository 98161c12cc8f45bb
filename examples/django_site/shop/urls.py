"""The shop's URLs, the webhook receiver's, and (``make demo``) the mocked widget's."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

from jivo_widget.webhooks.django import webhook_view
from shop import views
from shop.hooks import hooks

urlpatterns: list[Any] = [
    path("", views.shop, name="shop"),
    path("login/", auth.LoginView.as_view(template_name="shop/login.html"), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),  # then clearHistory()
    path("jivo/webhook/<str:secret>", webhook_view(hooks)),
]

if "loader_url" in settings.JIVO_WIDGET:  # demo mode (settings.py)
    from jivo_widget.demo import mock_mode

    def mock_loader(request: HttpRequest, widget_id: str) -> HttpResponse:
        if widget_id != "DjangoShop":
            raise Http404
        return HttpResponse(mock_mode.mock_loader(widget_id), content_type="application/javascript")

    def call_log(request: HttpRequest) -> HttpResponse:
        return HttpResponse(mock_mode.call_log_script(), content_type="application/javascript")

    urlpatterns += [
        path(mock_mode.MOCK_LOADER_PATH.replace("{widget_id}", "<str:widget_id>")[1:], mock_loader),
        path(mock_mode.CALL_LOG_PATH[1:], call_log),
    ]
