"""The files jivo-widget ships beside its code, found one way wherever the package runs.

Every non-Python file the toolkit reads at run time is named by its path inside the package and
read here: the glue's Jinja templates (``templates/jivo_widget/glue.html.j2``), the minified
JavaScript (``assets/glue.min.js``), the mocked widget (``testing/mock_widget.js``), the webhook
samples (``webhooks/samples/chat_accepted.json``) and the demo's pages (``demo/pages/``).

They all sit inside the package directory, in a wheel, an editable install and a source
checkout alike, except one folder: the templates live in the repository's top-level
``templates/`` (the layout the project promises its users, beside ``jivo_widget/``), and the
wheel build copies them to ``jivo_widget/templates/``. An editable install runs the package
from the source tree, where that copy does not exist, so ``templates/…`` is looked up inside
the package first and then beside it; an edited template is then seen at once, as an edited
module is. Nothing else falls back anywhere.
"""

from __future__ import annotations

from pathlib import Path

from jivo_widget.errors import JivoError

__all__ = ["listing", "path", "read_bytes", "read_text"]

_PACKAGE = Path(__file__).resolve().parent
#: The one folder kept outside the package in the source tree (see the module docstring).
_TEMPLATES = "templates"


def path(name: str) -> Path:
    """The file or folder ``name`` (``/``-separated, relative to the package).

    Raises :class:`~jivo_widget.errors.JivoError` naming where it looked when it is missing.
    """
    parts = name.split("/")
    places = [_PACKAGE.joinpath(*parts)]
    if parts[0] == _TEMPLATES:
        places.append(_PACKAGE.parent.joinpath(*parts))  # the source tree's top-level templates/
    for place in places:
        if place.exists():
            return place
    raise JivoError(
        f"jivo-widget file missing: {name} (looked in {' and '.join(map(str, places))})"
    )


def read_text(name: str) -> str:
    """The UTF-8 text of the file ``name`` (see :func:`path`)."""
    return path(name).read_text(encoding="utf-8")


def read_bytes(name: str) -> bytes:
    """The bytes of the file ``name`` (see :func:`path`)."""
    return path(name).read_bytes()


def listing(folder: str, suffix: str) -> list[str]:
    """The names (without ``suffix``) of the files in ``folder`` that end with it, sorted."""
    return sorted(
        entry.name.removesuffix(suffix)
        for entry in path(folder).iterdir()
        if entry.name.endswith(suffix) and entry.is_file()
    )
