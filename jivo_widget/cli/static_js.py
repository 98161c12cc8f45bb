"""``jivo-widget static-js DIR --config CONFIG.toml``.

External mode (a config with ``static_url``): writes the glue's static file into DIR, named by
its content (``jivo-widget.<hash>.js``), and prints its path. Serve DIR at ``static_url``. Run it
whenever the config or jivo-widget changes (a deploy step): pages then name the new file, and
the old one can stay for pages still cached by browsers.
"""

from __future__ import annotations

from pathlib import Path

import click

from jivo_widget.cli._errors import BadInput
from jivo_widget.config import Widget
from jivo_widget.errors import JivoConfigError

__all__ = ["static_js"]


@click.command("static-js")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--config",
    "config",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="TOML file of Widget fields, with static_url (external mode).",
)
def static_js(directory: Path, config: Path) -> None:
    """Write the glue's static file (external mode) into DIRECTORY and print its path."""
    try:
        widget = Widget.from_file(config)
    except JivoConfigError as exc:
        raise BadInput(str(exc)) from None
    script = widget.static_script
    if script is None:
        raise BadInput(
            f"{config}: static_url is not set: external mode needs it (the /path/ or https URL "
            "where DIRECTORY is served)"
        )
    try:
        path = script.write(directory)
    except OSError as exc:
        raise BadInput(f"{directory}: cannot write ({exc.strerror})") from None
    click.echo(str(path))
