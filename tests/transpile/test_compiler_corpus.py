"""Proof of equal meaning, part 1: every corpus program means in Chromium what it means in CPython.

Each program of callbacks_corpus.py runs in CPython against fake_browser and, compiled, in
Chromium against the jivo_mock widget; the jivo_api calls (names, arguments, results, order),
the callbacks fired, the console output, window.dataLayer, the body's classes and the names of
the reported errors must be equal.
"""

from __future__ import annotations

from typing import Any

import pytest
from callbacks_corpus import CORPUS
from callbacks_harness import Program, run_browser, run_python, serve
from playwright.sync_api import Page

from jivo_widget.testing import JivoMock
from jivo_widget.transpile import CompiledCallbacks, compile_many

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def compiled() -> dict[str, CompiledCallbacks]:
    """Every corpus program, compiled in one Transcrypt run."""
    results = compile_many([(p.source, "corpus.py") for p in CORPUS])
    out: dict[str, CompiledCallbacks] = {}
    for program, result in zip(CORPUS, results, strict=True):
        assert isinstance(result, CompiledCallbacks), f"{program.name}: {result}"
        out[program.name] = result
    return out


def test_the_corpus_covers_item_1() -> None:
    assert len(CORPUS) >= 40
    assert len({p.name for p in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(
    "program",
    [
        pytest.param(
            p,
            id=p.name,
            marks=pytest.mark.jivo_mock(**p.mock, allow_page_errors=p.allow_errors),
        )
        for p in CORPUS
    ],
)
def test_program_means_the_same_in_chromium(
    program: Program,
    compiled: dict[str, CompiledCallbacks],
    page: Page,
    jivo_mock: JivoMock,
    live_server: Any,
) -> None:
    url = serve(live_server, compiled[program.name], program.path)
    in_python = run_python(program, url)
    in_chromium = run_browser(program, page, jivo_mock, url)
    assert in_chromium == in_python
    assert bool(in_python["errors"]) == program.allow_errors
