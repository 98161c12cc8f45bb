"""Settings of the Django integration's test suite (tests override them per test)."""

from __future__ import annotations

from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "django-suite-secret-key-not-for-production-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "suite_urls"
USE_TZ = True
STATIC_URL = "/static/"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "jivo_widget.integrations.django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jivo_widget.integrations.django.middleware.JivoWidgetMiddleware",
]
CONTEXT_PROCESSORS = ["django.template.context_processors.request"]
if django.VERSION >= (6,):
    CONTEXT_PROCESSORS.append("django.template.context_processors.csp")
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {"context_processors": CONTEXT_PROCESSORS},
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
JIVO_WIDGET = {"widget_id": "AbCdEf1234"}
