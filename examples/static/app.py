"""A plain-Jinja site with the Jivo widget, on the standard library's HTTP server.

    python examples/static/app.py            # http://127.0.0.1:8001/ with the mocked widget
    python examples/static/app.py --real     # Jivo's real loader (internet + a real widget id)

Per request: a fresh CSP nonce (sent in the Content-Security-Policy header and put on every
script by ``widget.render``), the signed-in user's identity, and a page rendered by Jinja. The
Widget is built once, at start-up, from ``jivo.toml`` next to this file.
"""

from __future__ import annotations

import argparse
import secrets
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jinja2

from jivo_widget import Widget

HERE = Path(__file__).resolve().parent
MOCK_LOADER = "/jivo-mock/widget/{widget_id}"

# Stand-in for the site's session: who is signed in.
USER = {"id": "u-1042", "name": "Ann O'Brien", "email": "ann@example.com", "plan": "Pro"}


def build_widget(real: bool) -> Widget:
    """The site's widget: the TOML config, pointed at the local mock unless ``real``."""
    widget = Widget.from_file(HERE / "jivo.toml")
    if real:
        return widget
    return widget.model_copy(update={"loader_url": MOCK_LOADER.format(widget_id=widget.widget_id)})


def make_server(
    host: str = "127.0.0.1", port: int = 8001, real: bool = False
) -> ThreadingHTTPServer:
    """The example site's HTTP server (not started); ``port=0`` picks a free port."""
    widget = build_widget(real)
    pages = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    page = pages.get_template("page.html")
    mock_path = MOCK_LOADER.format(widget_id=widget.widget_id)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/":
                self._page()
            elif self.path == mock_path and not real:
                self._mock_loader()
            else:
                self._send(404, "text/plain", b"not found", {})

        def _page(self) -> None:
            nonce = secrets.token_urlsafe(16)
            glue = widget.render(
                user_token=USER["id"],
                contact={"name": USER["name"], "email": USER["email"]},
                custom_data=[{"title": "Plan", "content": USER["plan"]}],
                page_title="Pricing",
                nonce=nonce,
            )
            body = page.render(title="Pricing", user=USER, jivo=glue, mock=not real)
            loader_origin = "'self'" if not real else f"https://{widget.loader_host}"
            csp = f"script-src 'nonce-{nonce}' 'strict-dynamic' {loader_origin}; object-src 'none'"
            self._send(
                200, "text/html; charset=utf-8", body.encode(), {"Content-Security-Policy": csp}
            )

        def _mock_loader(self) -> None:
            from jivo_widget.testing.scripts import mock_loader_script  # dev/testing install

            script = mock_loader_script(widget.widget_id).encode()
            self._send(200, "application/javascript", script, {})

        def _send(
            self, status: int, content_type: str, body: bytes, headers: dict[str, str]
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # request lines would carry nothing useful here

    return ThreadingHTTPServer((host, port), Handler)


def main() -> None:
    """Serve the example until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--real", action="store_true", help="use Jivo's real loader")
    args = parser.parse_args()
    server = make_server(args.host, args.port, args.real)
    print(f"static example on http://{args.host}:{server.server_address[1]}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
