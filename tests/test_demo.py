"""The demo site (`make demo`) as a newcomer sees it: a real `jivo-widget demo` + Chromium."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from jivo_widget.demo.app import DEFAULT_CONFIG, demo_loader_script
from jivo_widget.testing import mock_loader_script

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).with_name("jivo-widget")

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_command(workdir: Path, *args: str) -> list[str]:
    """`jivo-widget demo ARGS` with its event store in ``workdir`` (not the repo)."""
    return [str(CLI), "demo", *args, "--store", f"sqlite:///{workdir / 'events.db'}"]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory, serving: Any) -> Iterator[str]:
    """The demo with its default config, started outside the repository (as after a pip
    install); the default config is the same file `make demo` reads (see below)."""
    workdir = tmp_path_factory.mktemp("demo")
    with serving(demo_command(workdir), workdir) as url:
        yield url


def test_shipped_default_config_is_the_examples_config() -> None:
    # `make demo` and the examples read examples/demo/jivo.toml; the package ships a copy,
    # and of the Python callbacks it names.
    examples = (ROOT / "examples/demo/jivo.toml").read_bytes()
    assert DEFAULT_CONFIG.read_bytes() == examples
    callbacks = (ROOT / "examples/demo/jivo_callbacks.py").read_bytes()
    assert (DEFAULT_CONFIG.parent / "jivo_callbacks.py").read_bytes() == callbacks


def test_page_shows_the_python_callbacks_beside_their_javascript_and_runs_them(
    page: Page, demo_url: str
) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(demo_url)
    panel = page.locator("#python-callbacks")
    python = (ROOT / "examples/demo/jivo_callbacks.py").read_text()
    assert panel.locator("pre.python").inner_text().strip() == python.strip()
    javascript = panel.locator("pre.javascript").inner_text()
    assert '"jivo_onIntroduction":' in javascript and "jivo_api.getContactInfo" in javascript
    status = page.locator("#py-callbacks-status")
    expect(status).to_have_text("widget loaded; agents are online")
    page.get_by_role("button", name="introduces themselves").click()
    expect(status).to_have_text("Ann introduced themselves (ann@example.com)")
    page.get_by_role("button", name="opens chat").click()
    expect(status).to_have_text("the chat window opened")
    assert page.evaluate("document.body.classList.contains('jivo-open')")
    assert page.evaluate("document.documentElement.dataset.jivo") == "ready"
    assert problems == []


def test_mock_loader_is_built_once_per_widget_id() -> None:
    first = demo_loader_script("DemoWdg123")
    assert first == mock_loader_script("DemoWdg123").encode()
    assert demo_loader_script("DemoWdg123") is first
    assert demo_loader_script("Other12345") is not first


def test_real_mode_page_says_the_live_log_stays_empty(tmp_path: Path, serving: Any) -> None:
    config = str(ROOT / "examples/demo/jivo.toml")
    with serving(demo_command(tmp_path, "--real", "--config", config), tmp_path) as url:
        html = httpx.get(url).text
    assert "REAL Jivo loader: https://code.jivosite.com/widget/DemoWdg123" in html
    assert 'id="real-log-note"' in html
    assert "this log stays empty" in html
    assert "Mocked Jivo widget" not in html


def test_mock_mode_page_has_no_real_mode_note(demo_url: str) -> None:
    assert 'id="real-log-note"' not in httpx.get(demo_url).text


def test_page_shows_the_glue_calls_live(page: Page, demo_url: str) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)

    response = page.goto(demo_url)
    assert response is not None
    assert "'nonce-" in response.headers["content-security-policy"]
    expect(page.get_by_text("Mocked Jivo widget")).to_be_visible()
    log = page.locator("#jivo-log")
    expect(log).to_contain_text("jivo_onLoadCallback")
    expect(log).to_contain_text("setUserToken")
    expect(log).to_contain_text('["demo-user-42"]')
    expect(log).to_contain_text("setCustomData")

    page.get_by_role("button", name="accepts").click()
    expect(log).to_contain_text("jivo_onAccept")
    page.get_by_role("button", name="opens chat").click()
    expect(log).to_contain_text("jivo_onOpen")
    expect(page.locator("tr.violation")).to_have_count(0)
    assert problems == []


def test_triggered_webhook_shows_on_the_events_page(page: Page, demo_url: str) -> None:
    result = subprocess.run(
        [
            str(CLI),
            "trigger",
            "chat_accepted",
            "--url",
            f"{demo_url}/jivo/webhook/demo-secret",
            "--set",
            "visitor.email=ann@example.com",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout[result.stdout.index("{") :])
    assert answer["crm_link"] == "https://crm.example.com/u/42"

    page.goto(f"{demo_url}/events")
    row = page.locator("tbody tr").filter(has_text="chat_accepted").first
    expect(row).to_contain_text("processed")
    expect(row).to_contain_text("https://crm.example.com/u/42")


def test_wrong_webhook_secret_is_refused(demo_url: str) -> None:
    response = httpx.post(f"{demo_url}/jivo/webhook/not-the-secret", content=b"{}")
    assert response.status_code == 404


def test_bad_config_exits_2_naming_the_field(tmp_path: Path) -> None:
    config = tmp_path / "jivo.toml"
    config.write_text('widget_id = "bad id!"\n')
    result = subprocess.run(
        [str(CLI), "demo", "--config", str(config), "--port", str(_free_port())],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ},
    )
    assert result.returncode == 2
    assert "widget_id" in result.stderr
    assert "Traceback" not in result.stderr


def test_strategy_switcher_with_the_facade_loads_nothing_before_the_click(
    page: Page, demo_url: str
) -> None:
    page.goto(demo_url + "?strategy=click&facade=1")
    expect(page.locator("#current-strategy")).to_have_text("click")
    expect(page.locator("#costs")).to_contain_text("facade")  # the measured cost is shown
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.jivo_api") == "undefined"
    page.get_by_role("button", name="Open chat").click()
    log = page.locator("#jivo-log")
    expect(log).to_contain_text("setUserToken")
    expect(log).to_contain_text("open")
    expect(page.locator("#jivo-facade")).to_have_count(0)


def test_consent_strategy_waits_for_the_banner(page: Page, demo_url: str) -> None:
    page.goto(demo_url + "?strategy=consent")
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.jivo_api") == "undefined"
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.locator("#jivo-log")).to_contain_text("setUserToken")
