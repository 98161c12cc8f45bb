"""Settings of the example shop. The Jivo widget takes the three marked lines."""

from __future__ import annotations

import os
from pathlib import Path

from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("SHOP_SECRET_KEY", "dev-only-secret-key-change-me-in-production")
DEBUG = os.environ.get("SHOP_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "shop",
    "jivo_widget.integrations.django",  # Jivo widget (1/3)
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "csp.middleware.CSPMiddleware",
]
ROOT_URLCONF = "shop.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shop.context.demo",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SHOP_DATABASE", BASE_DIR / "db.sqlite3"),
    }
}
USE_TZ = True
STATIC_URL = "/static/"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# django-csp: a nonce on every script (the widget picks it up by itself); 'strict-dynamic' lets
# the glue add Jivo's loader and the loader its own scripts. Django 6's SECURE_CSP works the same.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [NONCE, "'strict-dynamic'"],
        "style-src": [SELF, "'unsafe-inline'"],
        "object-src": [NONE],
    }
}

JIVO_WIDGET = {"config": "jivo.toml"}  # Jivo widget (2/3), relative to BASE_DIR
JIVO_WIDGET_IDENTITY = "shop.jivo.identity"  # Jivo widget (3/3): optional, adds the plan
JIVO_WEBHOOK_SECRET = os.environ.get("JIVO_WEBHOOK_SECRET", "dev-only-secret")
JIVO_WEBHOOK_STORE = os.environ.get("JIVO_WEBHOOK_STORE", f"sqlite:///{BASE_DIR / 'events.db'}")

if os.environ.get("JIVO_DEMO"):  # `make demo`: the mocked widget, served by the shop itself
    from jivo_widget.demo import mock_mode

    JIVO_WIDGET["loader_url"] = mock_mode.MOCK_LOADER_PATH.format(widget_id="DjangoShop")
