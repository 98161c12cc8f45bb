"""Fixtures for the webhook tests: real uvicorn servers on 127.0.0.1, file-backed stores."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn


def _resolve(app: Any) -> Any:
    if isinstance(app, str):
        module_name, _, attr = app.partition(":")
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
        return target
    return app


@contextmanager
def running_uvicorn(app: Any, **config: Any) -> Iterator[str]:
    """Run ``app`` (an ASGI app or ``"module:attr"``) under uvicorn on a free 127.0.0.1 port in a
    thread; yields the base URL once the server accepts connections, stops it afterwards."""
    settings: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "on"}
    settings.update(config)
    server = uvicorn.Server(uvicorn.Config(_resolve(app), host="127.0.0.1", port=0, **settings))
    started = threading.Event()
    original_startup = server.startup

    async def startup(sockets: Any = None) -> None:
        await original_startup(sockets)
        started.set()  # uvicorn has no start callback: signal right after its own startup

    server.startup = startup  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    while not started.wait(0.05):
        if not thread.is_alive():
            raise RuntimeError("uvicorn exited during startup (see the log above)")
    if server.should_exit:
        thread.join(10)
        raise RuntimeError("uvicorn failed to start (see the log above)")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def serve_asgi() -> Iterator[Callable[..., str]]:
    """Start an ASGI app (object or ``"module:attr"``) under a real uvicorn; returns its URL.

    ``url = serve_asgi(hooks.asgi())``; extra keyword arguments go to ``uvicorn.Config``. Every
    server started is stopped at teardown.
    """
    stack: list[Any] = []

    def start(app: Any, **config: Any) -> str:
        manager = running_uvicorn(app, **config)
        url = manager.__enter__()
        stack.append(manager)
        return url

    yield start
    while stack:
        stack.pop().__exit__(None, None, None)


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A fresh SQLite store URL in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'events.db'}"


def _writable(path: Path) -> bool:
    try:
        with path.open("r+b"):
            return True
    except OSError:
        return False


class ReadOnlyFiles:
    """Makes files unwritable for the test, also for root; see the ``make_read_only`` fixture."""

    def __init__(self) -> None:
        self._immutable: list[Path] = []

    def __call__(self, path: Path, *, even_open_files: bool = False) -> None:
        """Make ``path`` read-only; skip the test if that is impossible here.

        ``even_open_files``: writes through already open descriptors must fail too, which only
        the immutable attribute (``chattr +i``, root) achieves; a mode change does not.
        """
        if not even_open_files:
            path.chmod(0o444)
        if (even_open_files or _writable(path)) and shutil.which("chattr"):
            done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
            if done.returncode == 0:
                self._immutable.append(path)
        if _writable(path) or (even_open_files and path not in self._immutable):
            pytest.skip("cannot make a file read-only here (needs chattr +i as root)")

    def undo(self) -> None:
        """Make every file writable again."""
        while self._immutable:
            subprocess.run(["chattr", "-i", str(self._immutable.pop())], check=False)


@pytest.fixture
def make_read_only() -> Iterator[ReadOnlyFiles]:
    """``make_read_only(path)`` makes a file unwritable (chmod, or ``chattr +i`` for root);
    ``make_read_only.undo()`` reverts; skips the test where that is impossible."""
    files = ReadOnlyFiles()
    yield files
    files.undo()


class SmallDisk:
    """A real, small filesystem (tmpfs) that a test can fill up; see the ``small_disk`` fixture."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._filler = path / "filler"

    def fill(self) -> None:
        """Use up every free byte (as another program filling the disk would)."""
        fd = os.open(self._filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for size in (65536, 4096, 1):
                while True:
                    try:
                        if os.write(fd, b"\0" * size) == 0:
                            break
                    except OSError:  # ENOSPC at this size: go on with smaller writes
                        break
        finally:
            os.close(fd)

    def free(self) -> None:
        """Give the space back."""
        self._filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 1 MiB tmpfs mounted for this test (needs root, or the test is skipped)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield SmallDisk(mount_point)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
