"""No import cycles inside the package, counting every import.

Every ``import`` statement counts: module level, inside functions, and under ``TYPE_CHECKING``
(grimp reads them all from the source, without importing anything). A cycle means two modules
each need the other: neither can be read, tested or moved alone, and an import-time cycle
breaks as soon as someone reorders imports. Data flows one way (config → render → serialize),
so the graph has no cycle; this test keeps it so.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

#: Cycles on the webhook side, which that side is removing (the CLI's commands importing
#: the group from ``cli/__init__``, and ``webhooks/__init__`` → app → wsgi → ``webhooks``). Each
#: is listed exactly: a new cycle, or one of these changing, fails the test. Empty this when
#: they are gone.
PENDING: list[set[str]] = [
    {
        "jivo_widget.cli",
        "jivo_widget.cli.compile",
        "jivo_widget.cli.demo",
        "jivo_widget.cli.render",
        "jivo_widget.cli.static_js",
        "jivo_widget.cli.token",
        "jivo_widget.cli.webhooks",
    },
    {"jivo_widget.webhooks", "jivo_widget.webhooks.app", "jivo_widget.webhooks.wsgi"},
]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    """Every import inside jivo_widget, from the source (nothing is imported)."""
    return grimp.build_graph("jivo_widget", cache_dir=None)


def import_cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The groups of modules that import each other, directly or through others."""
    cyclic = {
        module
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if imported == module or graph.chain_exists(importer=imported, imported=module)
    }
    groups: list[set[str]] = []
    for module in sorted(cyclic):
        if not any(module in group for group in groups):
            groups.append(
                {
                    other
                    for other in cyclic
                    if other == module
                    or (
                        graph.chain_exists(importer=module, imported=other)
                        and graph.chain_exists(importer=other, imported=module)
                    )
                }
            )
    return groups


def describe(graph: grimp.ImportGraph, group: set[str]) -> str:
    """Each import inside a cycle group, with its line: what to cut."""
    lines = []
    for importer in sorted(group):
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & group):
            for detail in graph.get_import_details(importer=importer, imported=imported):
                lines.append(f"  {importer}:{detail['line_number']} {detail['line_contents']}")
    return "\n".join(lines)


def test_a_type_checking_or_function_level_import_makes_a_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check below is only as good as the graph: it must see the imports that run late or
    # never (TYPE_CHECKING), which is where cycles hide.
    package = tmp_path / "cycle_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cycle_probe import b\n"
    )
    (package / "b.py").write_text("def late():\n    from cycle_probe import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    probe = grimp.build_graph("cycle_probe", cache_dir=None)
    assert import_cycles(probe) == [{"cycle_probe.a", "cycle_probe.b"}]


def test_no_import_cycles(graph: grimp.ImportGraph) -> None:
    cycles = import_cycles(graph)
    new = [group for group in cycles if group not in PENDING]
    assert not new, "import cycles:\n" + "\n\n".join(describe(graph, group) for group in new)
    gone = [group for group in PENDING if group not in cycles]
    assert not gone, f"these cycles are gone: remove them from PENDING: {gone}"
