"""``jivo-widget events openapi``: write the webhook endpoint's OpenAPI 3.1 document.

The document is generated from the event and response models
(:mod:`jivo_widget.webhooks.openapi`); ``serve`` answers the same at ``GET /openapi.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from jivo_widget.cli._errors import RuntimeFailure

__all__ = ["openapi"]


@click.command("openapi")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the document to this file instead of standard output.",
)
@click.option(
    "--metrics",
    is_flag=True,
    help="Include GET /metrics (served by apps that keep metrics: serve --metrics).",
)
def openapi(output: Path | None, metrics: bool) -> None:
    """Write the OpenAPI 3.1 document of the webhook endpoint (JSON)."""
    from jivo_widget.webhooks.openapi import openapi_document

    text = json.dumps(openapi_document(metrics=metrics), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {output}: {exc.strerror}") from exc
    click.echo(f"wrote {output}", err=True)
