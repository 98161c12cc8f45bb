"""Proof of equal meaning, part 1: every corpus program means in Chromium what it means in CPython.

Each program of data/corpus.toml runs in CPython against fake_browser and, compiled, in
Chromium against the mocked widget; the jivo_api calls (names, arguments, results, order), the
callbacks fired, the console output, window.dataLayer, the body's classes and the names of the
reported errors must be equal. As under a strict jivo_mock test, the mock must record no
contract violation, and no page error unless the program raises on purpose.

All programs compile in one Transcrypt run; they share one browser page per set of mock
options (conftest.CorpusPages), each program in a document of its own.
"""

from __future__ import annotations

from typing import Any

import pytest

from jivo_widget.transpile import CompiledCallbacks, compile_many

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def compiled(corpus: list[Any]) -> dict[str, CompiledCallbacks]:
    """Every corpus program, compiled in one Transcrypt run."""
    results = compile_many([(p.source, "corpus.py") for p in corpus])
    out: dict[str, CompiledCallbacks] = {}
    for program, result in zip(corpus, results, strict=True):
        assert isinstance(result, CompiledCallbacks), f"{program.name}: {result}"
        out[program.name] = result
    return out


def test_the_corpus_covers_every_construct(corpus: list[Any]) -> None:
    assert len(corpus) >= 40
    assert len({p.name for p in corpus}) == len(corpus)


def test_program_means_the_same_in_chromium(
    corpus_program: Any,
    compiled: dict[str, CompiledCallbacks],
    corpus_pages: Any,
    harness: Any,
    live_server: Any,
) -> None:
    program = corpus_program
    url = harness.serve(live_server, compiled[program.name], program.path)
    mock, page_errors = corpus_pages.mock_for(program.mock)
    in_python = harness.run_python(program, url)
    in_chromium = harness.run_browser(program, mock, url)
    violations, hidden = in_chromium.pop("violations"), in_chromium.pop("hiddenErrors")
    assert in_chromium == in_python
    assert bool(in_python["errors"]) == program.allow_errors
    assert violations == []
    if not program.allow_errors:
        assert page_errors + hidden == []
    else:
        assert len(page_errors) == len(in_python["errors"])
