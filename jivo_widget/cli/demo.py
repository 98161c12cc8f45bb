"""``jivo-widget demo``: the demo site (see :mod:`jivo_widget.demo`)."""

from __future__ import annotations

from pathlib import Path

import click

from jivo_widget.cli import BadInput, cli
from jivo_widget.errors import JivoConfigError


@cli.command()
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The widget's TOML config (default: the demo config shipped with the package, "
    "a copy of examples/demo/jivo.toml).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--store",
    default="sqlite:///jivo-demo-events.db",
    show_default=True,
    help="Where the demo's webhook receiver stores events.",
)
@click.option("--secret", default="demo-secret", show_default=True, help="Webhook URL secret.")
@click.option(
    "--example",
    "examples",
    multiple=True,
    metavar="NAME=URL",
    help="A running example site to link from the page (repeatable), e.g. Django=http://…/",
)
@click.option(
    "--real",
    is_flag=True,
    help="Load Jivo's REAL widget (needs the internet and a real widget id) instead of the mock.",
)
def demo(
    config: Path | None,
    host: str,
    port: int,
    store: str,
    secret: str,
    examples: tuple[str, ...],
    real: bool,
) -> None:
    """Serve a demo shop page with the widget, a live call log and the webhook receiver."""
    try:
        import uvicorn

        from jivo_widget.demo import DemoSettings, create_app
        from jivo_widget.demo.app import DEFAULT_CONFIG
    except ImportError as exc:  # the server extra is missing
        raise click.ClickException(
            f"the demo needs the server extra: pip install 'jivo-widget[server]' ({exc})"
        ) from None
    links = []
    for spec in examples:
        name, equals, url = spec.partition("=")
        if not equals or not name or not url.startswith(("http://", "https://")):
            raise BadInput(f"--example: expected NAME=http(s)://URL, got {spec!r}")
        links.append((name, url))
    try:
        settings = DemoSettings(
            config=config or DEFAULT_CONFIG,
            store=store,
            secret=secret,
            real=real,
            examples=tuple(links),
        )
        app = create_app(settings)
    except JivoConfigError as exc:
        raise BadInput(str(exc)) from None
    base = f"http://{host}:{port}"
    mode = "REAL Jivo loader" if real else "mocked Jivo widget"
    click.echo(f"jivo-widget demo ({mode}) on {base}/")
    click.echo(
        f"  webhook receiver: POST {base}/jivo/webhook/{secret}   stored events: {base}/events"
    )
    click.echo(
        f"  try: jivo-widget trigger chat_accepted --url {base}/jivo/webhook/{secret}"
        " --set visitor.email=ann@example.com"
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
