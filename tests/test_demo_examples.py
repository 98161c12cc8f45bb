"""`make demo` as a newcomer runs it: the demo page links to the four example shops, and each
shop shows the mocked widget and its calls live (examples/demo/run_all.py)."""

from __future__ import annotations

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

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port_block(size: int) -> int:
    """A port P with P..P+size-1 free on 127.0.0.1 (checked, then released)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + size > 65535:
            continue
        sockets = []
        try:
            for port in range(base, base + size):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no block of free ports")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port_block(5)
    log = tmp_path_factory.mktemp("demo") / "run_all.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "examples/demo/run_all.py"), "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                if httpx.get(url + "healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("make demo did not start:\n" + log.read_text())
            time.sleep(0.1)  # polling a server that is not up yet
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
    # Every shop stopped with it: nothing listens on their ports any more.
    for offset in range(1, 5):
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port + offset}/", timeout=2)


@pytest.mark.parametrize("stack", ["Django", "Flask", "FastAPI", "Static site"])
def test_the_demo_links_to_each_stack_showing_its_calls(page: Page, demo: str, stack: str) -> None:
    page.goto(demo)
    section = page.locator("#your-stack")
    expect(section).to_contain_text("{% jivo_widget %}")
    section.get_by_role("link", name=stack, exact=True).click()
    calls = page.get_by_role("complementary", name="Jivo calls (mock)")
    expect(calls).to_contain_text("jivo_onLoadCallback")
    expect(page.locator("#jivo-mock-widget")).to_be_visible()
