"""The built site, served with its API by a real uvicorn on 127.0.0.1, for Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import uvicorn
from build import build
from serve import create_app


@pytest.fixture(scope="session")
def shop_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shop's base URL: built into a temporary directory, events in a temporary file."""
    site = tmp_path_factory.mktemp("site")
    build(site)
    store = tmp_path_factory.mktemp("events") / "events.db"
    config = uvicorn.Config(
        create_app(site, store=f"sqlite:///{store}"), host="127.0.0.1", port=0, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn failed to start"
        thread.join(0.05)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(10)
