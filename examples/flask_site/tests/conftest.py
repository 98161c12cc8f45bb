"""The shop on Flask's own (Werkzeug) server on 127.0.0.1, for Chromium with jivo_mock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from shop import create_app
from werkzeug.serving import make_server


@pytest.fixture(scope="session")
def shop_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shop's base URL; its webhook events go to a temporary SQLite file."""
    store = Path(tmp_path_factory.mktemp("events")) / "events.db"
    server = make_server("127.0.0.1", 0, create_app(store=f"sqlite:///{store}"), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)
