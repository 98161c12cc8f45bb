"""Views of the Django integration's test suite."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import alogout, get_user_model, login, logout
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path

from jivo_widget.integrations.django import jivo_widget_options


def page(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


def plain(request: HttpRequest) -> HttpResponse:
    return render(request, "plain.html")


def with_args(request: HttpRequest) -> HttpResponse:
    return render(request, "args.html", {"fields": [{"title": "Cart", "content": "2 items"}]})


def sign_in(request: HttpRequest, username: str) -> HttpResponse:
    login(request, get_user_model().objects.get(username=username))
    return HttpResponse("in")


def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponse("out")


async def async_sign_out(request: HttpRequest) -> HttpResponse:
    await alogout(request)
    return HttpResponse("out")


def order(request: HttpRequest) -> HttpResponse:
    request.jivo_widget.update(custom_data=[{"title": "Order", "content": "#1042"}])  # type: ignore[attr-defined]
    return render(request, "base.html")


@jivo_widget_options(enabled=False)
def checkout(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


@jivo_widget_options(custom_data=[{"title": "Help", "content": "FAQ"}])
def help_page(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


async def async_page(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")  # rendered in the event loop


async def async_template_response(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "base.html")  # Django renders it in a thread


@jivo_widget_options(enabled=False)
async def async_checkout(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


async def async_plain(request: HttpRequest) -> HttpResponse:
    return render(request, "plain.html")


def data(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"html": "<body></body>"})


def stream(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(
        iter([b"<html><body>", b"</body></html>"]), content_type="text/html"
    )


def not_found(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<html><body>missing</body></html>", status=404)


def tagged(request: HttpRequest) -> HttpResponse:
    response = render(request, "plain.html")
    response["ETag"] = '"v1"'
    return response


urlpatterns: list[Any] = [
    path("", page),
    path("plain", plain),
    path("args", with_args),
    path("login/<str:username>", sign_in),
    path("logout", sign_out),
    path("async-logout", async_sign_out),
    path("order", order),
    path("checkout", checkout),
    path("help", help_page),
    path("async", async_page),
    path("async-template-response", async_template_response),
    path("async-checkout", async_checkout),
    path("async-plain", async_plain),
    path("data", data),
    path("stream", stream),
    path("missing", not_found),
    path("tagged", tagged),
    path("admin/x", page),
]
