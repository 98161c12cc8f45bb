"""The demo site (`make demo`) as a newcomer sees it: a real `jivo-widget demo` + Chromium."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).with_name("jivo-widget")

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo, started exactly as `make demo` starts it, on a free loopback port."""
    workdir = tmp_path_factory.mktemp("demo")
    port = _free_port()
    process = subprocess.Popen(
        [
            str(CLI),
            "demo",
            "--config",
            str(ROOT / "examples/demo/jivo.toml"),
            "--port",
            str(port),
            "--store",
            f"sqlite:///{workdir / 'events.db'}",
        ],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    try:
        while True:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"the demo did not start:\n{output}")
            time.sleep(0.05)  # polling a condition: the server is not up yet
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


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
