"""The README's "Page performance" section: its tables name what exists, its snippets run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import flask
from django.urls import include, path
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from jivo_widget import Widget
from jivo_widget.facade import Facade
from jivo_widget.integrations.flask import JivoWidget
from jivo_widget.integrations.starlette import static_script_routes
from jivo_widget.strategies import STRATEGIES

README = Path(__file__).resolve().parents[1] / "README.md"
ID = "AbCdEf1234"


def section() -> str:
    text = README.read_text("utf-8")
    start = text.index("## Page performance")
    return text[start : text.index("\n## ", start + 1)]


def snippet(name: str) -> str:
    match = re.search(rf"<!-- snippet:{name} -->\n```[a-z]*\n(.*?)```", section(), re.S)
    assert match, f"README.md's Page performance section has no snippet {name!r}"
    return match.group(1)


def test_the_strategy_table_names_every_built_in_strategy() -> None:
    rows = re.findall(r"^\| `(\w+)` \|", section(), re.M)[1:]  # after the header's `strategy`
    assert rows == [name for name, s in STRATEGIES.items() if s.asset is not None]


def test_the_facade_fields_listed_are_its_fields() -> None:
    listed = re.search(r"Fields: (.*?)\. It adds", section(), re.S)
    assert listed
    assert re.findall(r"`(\w+)`(?: \(|,|$)", listed.group(1) + ",") == list(Facade.model_fields)


def test_the_strategy_snippets_build_widgets() -> None:
    for line in snippet("strategies").splitlines():
        widget = eval(line, {"Widget": Widget})
        assert 'id="jivo-facade"' in str(widget.render()) or widget.facade is None


def test_the_consent_options_in_the_text_are_valid() -> None:
    text = section()
    found = re.findall(r'`(?:strategy_options=)?(\{"(?:cookie|predicate)"[^`]*\})`', text)
    cookie, predicate = (ast.literal_eval(value) for value in found)
    glue = str(Widget(widget_id=ID, strategy="consent", strategy_options=cookie).render())
    assert '{"cookie":"cmp_choice=all"}' in glue
    glue = str(Widget(widget_id=ID, strategy="consent", strategy_options=predicate).render())
    assert "function(){\nreturn window.CookieConsent && CookieConsent" in glue


def test_the_external_tag_is_what_render_gives() -> None:
    shown = " ".join(snippet("external-tag").split())
    widget = Widget(widget_id=ID, static_url="/static/jivo/")
    html = str(widget.render(user_token="u-42", nonce="n0nce"))
    assert widget.static_script is not None
    generalised = (
        html.replace(widget.static_script.name[12:24], "HASH")
        .replace(widget.static_script.integrity, "sha256-…")
        .replace("n0nce", "…")
    )
    assert re.sub(r"jivo-widget\.[0-9a-f]{12}\.js", "jivo-widget.HASH.js", shown) == generalised


def test_the_static_script_route_lines_serve_the_file() -> None:
    lines = [line for line in snippet("static-script-routes").splitlines() if line[:1] != "#"]
    django_line, starlette_line, fastapi_line = lines
    widget = Widget(widget_id=ID, static_url="/jivo/")
    script = widget.static_script
    assert script is not None

    namespace: dict[str, object] = {"urlpatterns": [], "path": path, "include": include}
    exec(django_line, namespace)
    (resolver,) = namespace["urlpatterns"]  # type: ignore[misc]
    assert resolver.resolve(script.url.lstrip("/")).url_name == "jivo_widget_static_script"

    for line, app in (
        (starlette_line, None),
        (fastapi_line, FastAPI()),
    ):
        namespace = {
            "Starlette": Starlette,
            "static_script_routes": static_script_routes,
            "widget": widget,
            "routes": [Route("/", lambda request: None)],
            "app": app,
        }
        exec(line, namespace)
        with TestClient(namespace["app"]) as client:  # type: ignore[arg-type]
            response = client.get(script.url)
            assert response.status_code == 200 and response.text == script.text

    # Flask: JivoWidget(app) by itself.
    flask_app = flask.Flask(__name__)
    flask_app.config["JIVO_WIDGET"] = {"widget_id": ID, "static_url": "/jivo/"}
    JivoWidget(flask_app)
    assert flask_app.test_client().get(script.url).data == script.text.encode()
