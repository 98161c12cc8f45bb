"""Running the real ``jivo-widget`` console script from tests: one-shot commands and ``serve``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

EXE = str(Path(sys.executable).with_name("jivo-widget"))
SECRET = "cli-secret"


def env_for(**extra: str) -> dict[str, str]:
    """This process's environment without any ``JIVO_WEBHOOK_*`` setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIVO_WEBHOOK_")}
    return {**env, **extra}


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``jivo-widget ARGS`` to completion."""
    return subprocess.run(
        [EXE, *args], cwd=cwd, env=env_for(**env), capture_output=True, text=True, timeout=60
    )


def run_bytes(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    """Run ``jivo-widget ARGS`` to completion; stdout and stderr as the exact bytes written
    (no newline translation, which would turn a ``\\r`` into ``\\n``)."""
    return subprocess.run(
        [EXE, *args], cwd=cwd, env=env_for(**env), capture_output=True, timeout=60
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    """A running ``jivo-widget serve``."""

    proc: subprocess.Popen[str]
    base: str
    store: str
    cwd: Path

    def url(self, secret: str = SECRET) -> str:
        return f"{self.base}/jivo/webhook/{secret}"

    def stop(self) -> str:
        """Stop with Ctrl-C and return what it wrote on stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


def start_serve(cwd: Path, *args: str, **env: str) -> Served:
    """Start ``jivo-widget serve ARGS`` on a free port and wait for /healthz."""
    port = free_port()
    store = f"sqlite:///{cwd / 'events.db'}"
    proc = subprocess.Popen(
        [EXE, "serve", "--port", str(port), "--store", store, *args],
        cwd=cwd,
        env=env_for(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = Served(proc, f"http://127.0.0.1:{port}", store, cwd)
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited {proc.returncode}: {served.stop()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"serve not healthy: {served.stop()}")
        try:
            if httpx.get(f"{served.base}/healthz", timeout=1).status_code == 200:
                return served
        except httpx.TransportError:
            time.sleep(0.05)  # not listening yet; nothing else to wait on
