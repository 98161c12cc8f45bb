"""The shop's pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

PRODUCTS = [("Espresso beans, 1 kg", "$24"), ("Pour-over kettle", "$59"), ("Burr grinder", "$139")]


def shop(request: HttpRequest) -> HttpResponse:
    """The product list."""
    return render(request, "shop/shop.html", {"products": PRODUCTS})
