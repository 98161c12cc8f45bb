"""The README's API tables are the catalog's, so they cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

from jivo_widget import catalog

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_api_tables_match_the_catalog() -> None:
    text = README.read_text("utf-8")
    match = re.search(r"<!-- catalog:start -->\n(.*?)<!-- catalog:end -->", text, re.S)
    assert match, "README.md lacks the <!-- catalog:start/end --> markers"
    assert match.group(1) == catalog.as_markdown(), (
        "README API tables are stale; replace them with jivo_widget.catalog.as_markdown()"
    )


def test_every_callback_and_method_is_listed() -> None:
    table = catalog.as_markdown()
    for name in [*catalog.CALLBACKS, *catalog.METHODS, *catalog.GLOBALS]:
        assert f"`{name}`" in table or f".{name}`" in table, name
