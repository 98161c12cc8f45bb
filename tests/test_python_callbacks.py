"""Widget(callbacks=...): Python callbacks named as a path, a module or functions, compiled into
the glue once per Widget (cached by content), never per request; errors as `jivo-widget check`
prints them. The browser side is in tests/assets/test_callbacks.py."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jivo_widget import JivoConfigError, Widget
from jivo_widget.cli import main as cli_main
from jivo_widget.errors import CallbackSourceError, TranscryptMissing
from jivo_widget.render import asset
from jivo_widget.transpile import cache, compile_callbacks, runner

ID = "AbCdEf1234"
JOIN = asset("callbacks.min.js")
ImportFile = Callable[[Path, str], types.ModuleType]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test compiles into its own cache directory (and works in tmp_path)."""
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(directory))
    monkeypatch.chdir(tmp_path)
    return directory


@pytest.fixture
def transcrypt_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many modules each Transcrypt run compiled, in order."""
    runs: list[int] = []
    real = runner.run_many

    def counting(sources: list[str], timeout: float | None = None) -> Any:
        runs.append(len(sources))
        return real(sources, timeout)

    monkeypatch.setattr(runner, "run_many", counting)
    return runs


def write(path: Path, source: str) -> Path:
    path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return path


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# ---------------------------------------------------------------------- the three ways to name them


def test_a_path_compiles_the_module_into_the_bootstrap(issue_example: Path) -> None:
    widget = Widget(widget_id=ID, callbacks=str(issue_example))
    # The page names the file without the directories outside the working directory.
    expected = compile_callbacks(issue_example.read_text(), "jivo_callbacks.py")
    boot = widget.renderer.bootstrap
    handlers = '{"jivo_onLoadCallback":[]}'
    assert f"({JOIN})({handlers},{expected.minified_expression()})" in boot
    # Inline: one script, whose hash is the CSP hash, with the compiled code in it.
    assert widget.csp_hashes() == (sha256_source(boot),)
    html = str(widget.render(nonce="n0nce"))
    assert html.count("<script") == 1 and 'nonce="n0nce"' in html
    assert expected.minified_expression() in html


def test_without_callbacks_the_bootstrap_does_not_carry_the_join() -> None:
    plain = Widget(widget_id=ID).renderer.bootstrap
    assert JOIN not in plain
    assert Widget(widget_id=ID, callbacks=None).renderer.bootstrap == plain
    assert Widget(widget_id=ID, callbacks=[]).renderer.bootstrap == plain


def test_an_imported_module_is_compiled_from_its_file(
    issue_example: Path, import_file: ImportFile
) -> None:
    module = import_file(issue_example, "jivo_callbacks")
    by_module = Widget(widget_id=ID, callbacks=module)
    by_path = Widget(widget_id=ID, callbacks=issue_example)
    assert by_module.callbacks == by_path.callbacks
    assert by_module.csp_hashes() == by_path.csp_hashes()


APP = """
import os
import sys
from dataclasses import dataclass

from jivo_widget import Widget
from jivo_widget.browser import jivo_api, on, window

PLAN = os.environ.get("PLAN", "free")


@dataclass
class Settings:
    debug: bool = False


@on("introduction")
def send_lead() -> None:
    info = jivo_api.getContactInfo()
    window.dataLayer.push({"event": "jivo_lead", "email": info.email})


def jivo_onOpen() -> None:
    window.dataLayer.push("opened")


def jivo_onClose() -> None:
    window.dataLayer.push("closed")


def not_a_callback() -> None:
    pass


widget = Widget(widget_id="AbCdEf1234", callbacks=[send_lead, jivo_onOpen])
"""


def test_functions_among_other_code_are_compiled_alone(
    tmp_path: Path, import_file: ImportFile
) -> None:
    app = import_file(write(tmp_path / "views.py", APP), "views")
    widget: Widget = app.widget
    boot = widget.renderer.bootstrap
    assert '"jivo_onIntroduction":[' in boot and '"jivo_onOpen":[' in boot
    assert "closed" not in boot  # jivo_onClose was not named
    assert "PLAN" not in boot and "Settings" not in boot
    (module,) = widget.callbacks
    assert module.functions == ("send_lead", "jivo_onOpen")
    assert module.path == tmp_path / "views.py"


def test_functions_of_two_files_are_two_modules_in_order(
    tmp_path: Path, import_file: ImportFile
) -> None:
    app = import_file(write(tmp_path / "views.py", APP), "views")
    other = import_file(
        write(
            tmp_path / "more.py",
            """
            from jivo_widget.browser import console

            def jivo_onAccept() -> None:
                console.log("accepted")
            """,
        ),
        "more",
    )
    widget = Widget(widget_id=ID, callbacks=[app.send_lead, other.jivo_onAccept, app.jivo_onOpen])
    assert [(m.path.name, m.functions) for m in widget.callbacks] == [
        ("views.py", ("send_lead", "jivo_onOpen")),
        ("more.py", ("jivo_onAccept",)),
    ]
    assert widget.renderer.bootstrap.count("(function(){") >= 2


def test_a_selected_function_keeps_its_line_in_errors(
    tmp_path: Path, import_file: ImportFile
) -> None:
    source = APP.replace('push("opened")', 'push(("opened", 1))').replace(
        "widget = Widget(", "widget = None and Widget("
    )
    app = import_file(write(tmp_path / "views.py", source), "views")
    with pytest.raises(CallbackSourceError) as caught:
        Widget(widget_id=ID, callbacks=[app.jivo_onOpen])
    line = source.lstrip().splitlines().index('    window.dataLayer.push(("opened", 1))') + 1
    assert str(caught.value).startswith(f"views.py:{line}:27: a tuple is not supported")


def test_a_named_function_must_handle_a_callback(tmp_path: Path, import_file: ImportFile) -> None:
    app = import_file(write(tmp_path / "views.py", APP), "views")
    with pytest.raises(JivoConfigError) as caught:
        Widget(widget_id=ID, callbacks=[app.not_a_callback])
    assert str(caught.value) == (
        "callbacks: not_a_callback (views.py) is not a Jivo callback: name it "
        'jivo_on<Callback> or decorate it with @on("<callback>") from jivo_widget.browser'
    )


def test_what_cannot_be_compiled_is_refused_naming_it(
    tmp_path: Path, import_file: ImportFile, issue_example: Path
) -> None:
    app = import_file(write(tmp_path / "views.py", APP), "views")

    def nested() -> None:
        pass

    class Handlers:
        def jivo_onOpen(self) -> None:
            pass

    cases: list[tuple[Any, str]] = [
        (lambda: None, "callbacks: item 0: test_what_cannot_be_compiled_is_refused_naming_it.<"),
        (nested, "callbacks: item 0: test_what_cannot_be_compiled_is_refused_naming_it.<loc"),
        (Handlers.jivo_onOpen, "callbacks: item 0: test_what_cannot_be_compiled_is_refused"),
        (print, "callbacks: item 0: must be a path, a module, a function, or a list of them, "),
        (sys, "callbacks: item 0: module sys has no .py file"),
        ([app.send_lead, app.send_lead], "callbacks: item 1: send_lead is listed twice"),
        ([issue_example, str(issue_example)], "callbacks: item 1: "),
        ([app, app.send_lead], "callbacks: send_lead is listed both alone and with its whole"),
        ({"path": 3}, "callbacks: path: Input is not a valid path"),
    ]
    for value, message in cases:
        listed = value if isinstance(value, list | dict) else [value]
        with pytest.raises(JivoConfigError) as caught:
            Widget(widget_id=ID, callbacks=listed)
        assert str(caught.value).startswith(message), (value, str(caught.value))
        if callable(value) and not isinstance(value, type(print)):
            assert "is not a top-level function; callbacks are top-level def" in str(caught.value)
    with pytest.raises(JivoConfigError, match=r"^callbacks: must be a path, .*got int$"):
        Widget(widget_id=ID, callbacks=3)


def test_an_unreadable_file_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(JivoConfigError) as caught:
        Widget(widget_id=ID, callbacks="missing.py")
    assert str(caught.value) == "callbacks: cannot read missing.py (No such file or directory)"
    (tmp_path / "latin1.py").write_bytes(b"# caf\xe9\n")
    with pytest.raises(JivoConfigError, match=r"^callbacks: latin1\.py is not UTF-8 text$"):
        Widget(widget_id=ID, callbacks="latin1.py")


# ---------------------------------------------------------------------- errors


BAD = """
from jivo_widget.browser import jivo_api

def jivo_onIntroduce():
    jivo_api.setCustomData({"content": "Pro"})
"""


def test_a_refused_module_raises_what_check_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "bad.py", BAD)
    with pytest.raises(CallbackSourceError) as caught:
        Widget(widget_id=ID, callbacks="bad.py")
    assert isinstance(caught.value, JivoConfigError)
    with pytest.raises(SystemExit) as exited:
        cli_main(["check", "bad.py"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == f"Error: {caught.value}\n"
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("bad.py:3:1: jivo_onIntroduce is not a Jivo callback; did you")
    assert lines[1].startswith("bad.py:4:28: jivo_api.setCustomData: fields must be array")


@pytest.fixture
def without_transcrypt(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name.split(".")[0] == "transcrypt" else real(name, *args, **kwargs)

    runner._check_extra.cache_clear()
    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    yield
    monkeypatch.undo()
    runner._check_extra.cache_clear()


def test_without_the_extra_the_widget_says_what_to_install(
    issue_example: Path, without_transcrypt: None
) -> None:
    with pytest.raises(TranscryptMissing) as caught:
        Widget(widget_id=ID, callbacks=issue_example)
    assert str(caught.value) == (
        "callbacks: compiling Python callbacks needs Transcrypt 3.9.5, which is not installed: "
        "pip install 'jivo-widget[callbacks]'"
    )
    Widget(widget_id=ID)  # a Widget without callbacks needs no Transcrypt


# ---------------------------------------------------------------------- once, never per request


def test_compiled_once_per_content_never_per_request(
    tmp_path: Path, issue_example: Path, transcrypt_runs: list[int]
) -> None:
    path = tmp_path / "jivo_callbacks.py"
    path.write_text(issue_example.read_text())
    first = Widget(widget_id=ID, callbacks=path)
    assert transcrypt_runs == [1]
    again = Widget(widget_id=ID, callbacks=path)  # another Widget, another process: the cache
    assert again.model_copy(update={"strict": True}).csp_hashes() == first.csp_hashes()
    assert transcrypt_runs == [1]
    for _ in range(50):
        first.render(user_token="u-1", nonce="n")
        first.render_data(user_token="u-2")
    assert transcrypt_runs == [1]
    path.write_text(issue_example.read_text().replace("/pricing", "/plans"))
    changed = Widget(widget_id=ID, callbacks=path)
    assert transcrypt_runs == [1, 1]
    assert changed.csp_hashes() != first.csp_hashes()  # the hash follows the content


def test_a_rendered_page_is_the_same_bytes_as_without_compiling_again(
    issue_example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    widget = Widget(widget_id=ID, callbacks=issue_example)
    before = str(widget.render(user_token="u-1"))

    def no_compiling(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled during a request")

    monkeypatch.setattr(runner, "run_many", no_compiling)
    monkeypatch.setattr(cache, "load", no_compiling)
    assert str(widget.render(user_token="u-1")) == before


# ---------------------------------------------------------------------- TOML, copies, names


def test_toml_paths_are_relative_to_the_toml_file(
    tmp_path: Path, issue_example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "jivo_callbacks.py").write_text(issue_example.read_text())
    write(site / "more.py", "def jivo_onAccept():\n    pass\n")
    (site / "jivo.toml").write_text(f'widget_id = "{ID}"\ncallbacks = "jivo_callbacks.py"\n')
    (site / "two.toml").write_text(
        f'widget_id = "{ID}"\ncallbacks = ["jivo_callbacks.py", "more.py"]\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    one = Widget.from_file(site / "jivo.toml")
    assert one.callbacks[0].path == site / "jivo_callbacks.py"
    assert '"jivo_onIntroduction":[' in one.renderer.bootstrap
    two = Widget.from_file(site / "two.toml")
    assert [m.path.name for m in two.callbacks] == ["jivo_callbacks.py", "more.py"]
    assert '"jivo_onAccept":[' in two.renderer.bootstrap


def test_a_toml_error_names_the_file_as_written(tmp_path: Path) -> None:
    write(tmp_path / "bad.py", BAD)
    (tmp_path / "jivo.toml").write_text(f'widget_id = "{ID}"\ncallbacks = "bad.py"\n')
    with pytest.raises(CallbackSourceError, match=r"^bad\.py:3:1: jivo_onIntroduce"):
        Widget.from_file("jivo.toml")


def test_copies_and_json_keep_the_callbacks(issue_example: Path) -> None:
    widget = Widget(widget_id=ID, callbacks=issue_example)
    copy = widget.model_copy(update={"loader_url": "/mock/widget"})
    assert copy.callbacks == widget.callbacks
    assert JOIN in copy.renderer.bootstrap
    again = Widget.model_validate_json(widget.model_dump_json())
    assert again.csp_hashes() == widget.csp_hashes()


def test_the_page_names_the_file_without_the_servers_directories(
    tmp_path: Path, issue_example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = tmp_path / "srv" / "app"
    code.mkdir(parents=True)
    (code / "jivo_callbacks.py").write_text(issue_example.read_text())
    monkeypatch.chdir(tmp_path / "srv")
    inside = Widget(widget_id=ID, callbacks=code / "jivo_callbacks.py").renderer.bootstrap
    assert '"app/jivo_callbacks.py"' in inside and str(tmp_path) not in inside
    monkeypatch.chdir(tmp_path)
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path / "other")
    outside = Widget(widget_id=ID, callbacks=code / "jivo_callbacks.py").renderer.bootstrap
    assert '"jivo_callbacks.py"' in outside and str(tmp_path) not in outside


def test_configured_handlers_and_callbacks_are_joined_in_order(issue_example: Path) -> None:
    widget = Widget(
        widget_id=ID,
        handlers={"jivo_onIntroduction": "window.dataLayer.push('js');"},
        callbacks=issue_example,
    )
    boot = widget.renderer.bootstrap
    configured = (
        '{"jivo_onLoadCallback":[],"jivo_onIntroduction":[function(){\n'
        "window.dataLayer.push('js');\n}]}"
    )
    assert f"({JOIN})({configured},(function(){{" in boot


# ---------------------------------------------------------------------- @widget.on(...)

DECORATED = """
import json

from jivo_widget import Widget
from jivo_widget.browser import jivo_api, window

widget = Widget(widget_id="AbCdEf1234", handlers={"jivo_onOpen": "window.opened = true;"})


def index() -> str:
    return json.dumps({"page": "app-index-page"})


@widget.on("introduction")
def send_lead() -> None:
    info = jivo_api.getContactInfo()
    window.dataLayer.push({"event": "jivo_lead", "name": info.client_name})


@widget.on("jivo_onChangeState")
async def track_state(state: str) -> None:
    window.dataLayer.push({"event": "jivo_state", "state": state})
"""


def test_widget_on_compiles_the_decorated_functions_into_its_glue(
    tmp_path: Path, import_file: ImportFile, transcrypt_runs: list[int]
) -> None:
    plain = Widget(widget_id=ID, handlers={"jivo_onOpen": "window.opened = true;"})
    app = import_file(write(tmp_path / "views.py", DECORATED), "views")
    widget: Widget = app.widget
    (module,) = widget.callbacks
    assert module.functions == ("send_lead", "track_state")
    assert module.path == tmp_path / "views.py"
    boot = widget.renderer.bootstrap
    assert '"jivo_onIntroduction":[' in boot and '"jivo_onChangeState":[' in boot
    assert "app-index-page" not in boot  # the app's own code stays out
    # One inline script, whose CSP hash follows the glue as it is now; the configured handler
    # is still there.
    assert widget.csp_hashes() == (sha256_source(boot),) != plain.csp_hashes()
    assert "window.opened = true;" in boot
    assert expected_in(str(widget.render(nonce="n0nce")), boot)
    # The functions are returned unchanged (callable in Python, e.g. by fake_browser).
    assert (
        app.send_lead.__name__ == "send_lead" and app.send_lead.__jivo_callback__ == "introduction"
    )
    assert transcrypt_runs == [1, 1]  # one compile per registration, none per render
    widget.render(user_token="u-1")
    assert transcrypt_runs == [1, 1]


def expected_in(html: str, bootstrap: str) -> bool:
    return html.count("<script") == 1 and bootstrap in html


def test_widget_on_is_the_same_as_naming_the_functions(
    tmp_path: Path, import_file: ImportFile
) -> None:
    app = import_file(write(tmp_path / "views.py", DECORATED), "views")
    named = Widget(
        widget_id=ID,
        handlers={"jivo_onOpen": "window.opened = true;"},
        callbacks=[app.send_lead, app.track_state],
    )
    assert named.callbacks == app.widget.callbacks
    assert named.csp_hashes() == app.widget.csp_hashes()


def test_widget_on_registering_again_changes_nothing(
    tmp_path: Path, import_file: ImportFile
) -> None:
    # A module imported twice (a reloader, a test) must not make a handler run twice.
    app = import_file(write(tmp_path / "views.py", DECORATED), "views")
    before = app.widget.renderer.bootstrap
    assert app.widget.on("introduction")(app.send_lead) is app.send_lead
    assert app.widget.renderer.bootstrap == before


def test_widget_on_refuses_an_unknown_callback_when_decorating(tmp_path: Path) -> None:
    widget = Widget(widget_id=ID)
    with pytest.raises(JivoConfigError) as caught:
        widget.on("introduce")
    assert str(caught.value).startswith(
        "callbacks: @widget.on('introduce'): not a Jivo callback; valid names: LoadCallback, Open,"
    )


def test_widget_on_raises_at_import_and_leaves_the_widget_as_it_was(
    tmp_path: Path, import_file: ImportFile
) -> None:
    source = DECORATED.replace('"state": state}', '"state": (state, 1)}')
    path = write(tmp_path / "views.py", source)
    with pytest.raises(CallbackSourceError) as caught:
        import_file(path, "views")
    line = (
        path.read_text()
        .splitlines()
        .index('    window.dataLayer.push({"event": "jivo_state", "state": (state, 1)})')
        + 1
    )
    assert str(caught.value).startswith(f"views.py:{line}:")
    assert "a tuple is not supported" in str(caught.value)
    # The widget the failed import built keeps only what compiled (send_lead).
    widget = Widget(widget_id=ID)
    good = import_file(write(tmp_path / "good.py", DECORATED), "good")
    before = widget.renderer.bootstrap
    with pytest.raises(JivoConfigError):
        widget.on("open")(lambda: None)
    assert widget.renderer.bootstrap == before and widget.callbacks == ()
    widget.on("introduction")(good.send_lead)
    assert len(widget.callbacks) == 1


def test_widget_on_and_the_whole_module_would_run_twice(
    tmp_path: Path, import_file: ImportFile
) -> None:
    path = write(
        tmp_path / "jivo_callbacks.py",
        """
        from jivo_widget.browser import console

        def jivo_onOpen() -> None:
            console.log("opened")
        """,
    )
    callbacks = import_file(path, "jivo_callbacks")
    widget = Widget(widget_id=ID, callbacks=path)
    with pytest.raises(JivoConfigError) as caught:
        widget.on("open")(callbacks.jivo_onOpen)
    assert str(caught.value) == (
        f"callbacks: jivo_onOpen is registered with @widget.on(...) and its whole module {path} "
        "is listed too (it would run twice)"
    )


# ---------------------------------------------------------------------- framework settings

CALLBACKS_FILE = """
from jivo_widget.browser import console

def jivo_onAccept() -> None:
    console.log("accepted")
"""


def test_setting_paths_are_relative_to_the_apps_directory(tmp_path: Path) -> None:
    # What Django's JIVO_WIDGET (base_dir: BASE_DIR) and Flask's app.config["JIVO_WIDGET"]
    # (base_dir: the app's root) go through; the working directory is elsewhere.
    from jivo_widget.integrations._core import widget_from_setting

    site = tmp_path / "site"
    site.mkdir()
    write(site / "jivo_callbacks.py", CALLBACKS_FILE)
    (site / "jivo.toml").write_text('widget_id = "AbCdEf1234"\n')
    as_dict = widget_from_setting(
        {"widget_id": ID, "callbacks": "jivo_callbacks.py"}, name="JIVO_WIDGET", base_dir=site
    )
    # An override of the TOML file's values is relative to the same directory.
    overridden = widget_from_setting(
        {"config": "jivo.toml", "callbacks": ["jivo_callbacks.py"]},
        name="JIVO_WIDGET",
        base_dir=site,
    )
    assert as_dict.callbacks == overridden.callbacks
    assert [m.path for m in as_dict.callbacks] == [site / "jivo_callbacks.py"]
    assert '"jivo_onAccept":[' in overridden.renderer.bootstrap
    with pytest.raises(JivoConfigError) as caught:
        widget_from_setting(
            {"widget_id": ID, "callbacks": "missing.py"}, name="JIVO_WIDGET", base_dir=site
        )
    assert str(caught.value).startswith(
        f"JIVO_WIDGET: callbacks: cannot read {site / 'missing.py'}"
    )


def test_flask_app_config_compiles_the_callbacks(tmp_path: Path) -> None:
    import flask

    from jivo_widget.integrations.flask import JivoWidget

    write(tmp_path / "jivo_callbacks.py", CALLBACKS_FILE)
    app = flask.Flask("shop", root_path=str(tmp_path))
    app.config["JIVO_WIDGET"] = {"widget_id": ID, "callbacks": "jivo_callbacks.py"}
    JivoWidget(app)
    widget = JivoWidget.widget(app)
    with app.test_request_context("/"):
        html = flask.render_template_string("{{ jivo_widget() }}")
    assert '"jivo_onAccept":[' in html and widget.renderer.bootstrap in html
