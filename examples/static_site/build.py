"""Build the static shop: Jinja templates -> HTML files, the widget through ``JivoExtension``.

    python build.py site/          # then serve site/ (serve.py also runs the API and webhooks)

Static files have no per-request nonce, so the CSP (a <meta> tag) allows the glue by its hash,
``widget.csp_hashes()``, which is the same on every page of a Widget; per-visitor data never
goes into the HTML: ``assets/account.js`` hands it to the widget in the browser.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import jinja2

from jivo_widget import Widget
from jivo_widget.demo import mock_mode

HERE = Path(__file__).resolve().parent
PAGES = {"index.html": "Coffee gear", "login.html": "Sign in"}
PRODUCTS = [("Espresso beans, 1 kg", "$24"), ("Pour-over kettle", "$59"), ("Burr grinder", "$139")]


def build(out: Path, *, demo: bool = False) -> Widget:
    """Write the site into ``out``; ``demo``: load the mocked widget from the site itself."""
    widget = Widget.from_file(HERE / "jivo.toml")
    if demo:
        widget = mock_mode.with_mock_loader(widget)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        extensions=["jivo_widget.integrations.jinja.JivoExtension"],
    )
    env.jivo_widget_config = widget  # type: ignore[attr-defined]
    # The glue by its hash; the site's own scripts from 'self'; Jivo's loader and the scripts
    # it adds from Jivo's hosts.
    csp = (
        f"script-src 'self' {' '.join(widget.csp_hashes())} https://*.jivosite.com; "
        "object-src 'none'; base-uri 'none'"
    )
    out.mkdir(parents=True, exist_ok=True)
    for name, title in PAGES.items():
        html = env.get_template(name).render(title=title, csp=csp, products=PRODUCTS, demo=demo)
        (out / name).write_text(html, encoding="utf-8")
    shutil.copy(HERE / "assets" / "account.js", out / "account.js")
    return widget


def main() -> None:
    """``python build.py OUT [--demo]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--demo", action="store_true", help="load the mocked widget")
    args = parser.parse_args()
    build(args.out, demo=args.demo)
    print(f"built {', '.join(PAGES)} into {args.out}")


if __name__ == "__main__":
    main()
