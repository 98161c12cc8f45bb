"""``jivo-widget compile CALLBACKS.py [-o FILE.js]`` and ``jivo-widget check CALLBACKS.py``.

``compile`` writes one classic script that installs the module's callbacks on any page (with or
without the jivo-widget glue); ``check`` only runs the checker. A refused construct exits with
status 2 and ``file:line:col: message`` lines; a Transcrypt failure exits with status 1 and
Transcrypt's output; a missing Transcrypt says what to install.
"""

from __future__ import annotations

from pathlib import Path

import click

from jivo_widget.cli import BadInput, cli

__all__ = ["check", "compile_"]


def _read(path: Path) -> str:
    from jivo_widget.transpile import read_source

    try:
        return read_source(path)
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None


@cli.command("compile")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, writable=True),
    help="Write the script to this file instead of stdout.",
)
@click.option("--readable", is_flag=True, help="Do not minify (commented, indented JavaScript).")
@click.option("--no-cache", is_flag=True, help="Compile even if the cache has this module.")
def compile_(source: Path, output: Path | None, readable: bool, no_cache: bool) -> None:
    """Compile SOURCE (Python callbacks) into one classic <script> file."""
    from jivo_widget.transpile import compile_callbacks

    compiled = compile_callbacks(_read(source), str(source), use_cache=not no_cache)
    script = compiled.standalone_script(minify=not readable)
    if output is None:
        click.echo(script, nl=False)
        return
    try:
        output.write_text(script, encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"{output}: cannot write ({exc.strerror})") from None
    names = ", ".join(compiled.callback_names) or "no callbacks"
    click.echo(f"{output}: {len(script.encode('utf-8'))} bytes ({names})", err=True)


@cli.command("check")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
def check(source: Path) -> None:
    """Check SOURCE (Python callbacks) without compiling it."""
    from jivo_widget.transpile import check_source

    handlers = check_source(_read(source), str(source))
    listed = ", ".join(f"{name} ({len(fns)})" for name, fns in handlers.items())
    click.echo(f"{source}: ok; handles {listed or 'no callbacks'}")
