"""``jivo-widget render CONFIG.toml [--context CONTEXT.json] [-o FILE]``.

Prints (or writes) the glue snippet for one request. TOML keys are :class:`~jivo_widget.Widget`
fields; the context file's keys are :meth:`~jivo_widget.Widget.render` arguments. Any bad input
exits with status 2 and one line naming the field.
"""

from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path
from typing import Any

import click

from jivo_widget.cli._errors import BadInput
from jivo_widget.config import JivoConfigWarning, Widget
from jivo_widget.errors import JivoConfigError

__all__ = ["render"]

#: The request data ``Widget.render`` accepts, in signature order (not ``strict``: the CLI is a
#: checking tool, its rendering is always strict).
CONTEXT_KEYS = tuple(p for p in inspect.signature(Widget.render).parameters if p != "self")[:-1]


def _read_context(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"{path}: cannot read context ({exc.strerror})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: invalid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadInput(f"{path}: the context must be a JSON object of render() arguments")
    unknown = [key for key in data if key not in CONTEXT_KEYS]
    if unknown:
        raise BadInput(
            f"{path}: unknown context key {unknown[0]!r}; valid keys: {', '.join(CONTEXT_KEYS)}"
        )
    return data


@click.command()
@click.argument("config", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--context",
    "context_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSON object of render() arguments (user_token, contact, custom_data, nonce, ...).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, writable=True),
    help="Write the snippet to this file instead of stdout.",
)
def render(config: Path, context_path: Path | None, output: Path | None) -> None:
    """Render the widget glue for CONFIG (a TOML file of Widget fields)."""
    context = _read_context(context_path) if context_path is not None else {}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", JivoConfigWarning)
            widget = Widget.from_file(config)
            html = str(widget.render(**context, strict=True))
    except JivoConfigError as exc:
        raise BadInput(str(exc)) from None
    for warning in caught:
        click.echo(f"Warning: {warning.message}", err=True)
    if output is None:
        click.echo(html)
    else:
        try:
            output.write_text(html + "\n", encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"{output}: cannot write ({exc.strerror})") from None
