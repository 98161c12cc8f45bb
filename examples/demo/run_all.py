"""`make demo`: the demo site and the four example shops, each with the mocked widget.

    python examples/demo/run_all.py [--port 8000]

The demo listens on PORT and links to the shops on PORT+1 (Django), PORT+2 (Flask), PORT+3
(FastAPI) and PORT+4 (static site), all on 127.0.0.1. Each shop runs in demo mode
(``JIVO_DEMO=1``): it serves the mocked widget itself and shows a live list of its calls.
Webhook events go to a temporary directory. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).with_name("jivo-widget")


def commands(port: int) -> dict[str, tuple[str, list[list[str]]]]:
    """Each shop: its directory and the commands that start it on ``port``."""
    python = sys.executable
    return {
        "Django": (
            "django_site",
            [
                [python, "manage.py", "migrate", "--noinput", "-v", "0"],
                [python, "manage.py", "runserver", f"127.0.0.1:{port + 1}", "--noreload"],
            ],
        ),
        "Flask": (
            "flask_site",
            [
                [python, "-m", "flask", "--app", "shop", "run", "--port", str(port + 2)],
            ],
        ),
        "FastAPI": (
            "fastapi_site",
            [
                [
                    python,
                    "-m",
                    "uvicorn",
                    "shop:create_app",
                    "--factory",
                    "--port",
                    str(port + 3),
                    "--log-level",
                    "warning",
                ],
            ],
        ),
        "Static site": (
            "static_site",
            [
                [python, "serve.py", "--port", str(port + 4)],
            ],
        ),
    }


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Poll ``url`` until it answers (the process exiting first is an error)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{url} did not start") from None
            time.sleep(0.1)  # polling a server that is not up yet


def main() -> None:
    """Start everything, wait for Ctrl-C (or SIGTERM), stop everything."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    # A SIGTERM (a test, a process manager) stops the shops too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    events = Path(tempfile.mkdtemp(prefix="jivo-demo-"))
    processes: list[subprocess.Popen[bytes]] = []
    links = []
    try:
        for offset, (name, (directory, steps)) in enumerate(commands(args.port).items(), 1):
            env = {
                **os.environ,
                "JIVO_DEMO": "1",
                "JIVO_WEBHOOK_STORE": f"sqlite:///{events / directory}.db",
            }
            if name == "Django":
                env["DJANGO_SETTINGS_MODULE"] = "shop.settings"
                env["SHOP_DATABASE"] = str(events / "django.sqlite3")
            *setup, serve = steps
            for step in setup:
                subprocess.run(step, cwd=EXAMPLES / directory, env=env, check=True)
            processes.append(subprocess.Popen(serve, cwd=EXAMPLES / directory, env=env))
            url = f"http://127.0.0.1:{args.port + offset}/"
            wait_until_up(url, processes[-1])
            links.append(f"{name}={url}")
        demo = [
            str(CLI),
            "demo",
            "--port",
            str(args.port),
            "--config",
            str(EXAMPLES / "demo" / "jivo.toml"),
            "--store",
            f"sqlite:///{events / 'demo.db'}",
        ]
        for link in links:
            demo += ["--example", link]
        processes.append(subprocess.Popen(demo))
        print("example shops: " + ", ".join(links), flush=True)
        processes[-1].wait()
    except KeyboardInterrupt:
        pass
    finally:  # also on SystemExit from SIGTERM
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
