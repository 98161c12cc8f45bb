"""Proof of equal meaning, part 2: a differential fuzzer (hypothesis).

Random programs in the accepted subset (callbacks_fuzz.py) run in CPython and, compiled, in
Chromium; their outcomes (the values they computed, or the name of the error they raised) must
be equal. Programs are compiled in batches with one Transcrypt run and evaluated in one page per
batch, so >= 1,000 programs take about a minute. A generated program the checker refuses, or
that Transcrypt or the linker fails on, fails the test too: the subset is compiled correctly or
refused, never miscompiled. Every mismatch ever found stays in fuzz_regressions.py.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

import pytest
from callbacks_fuzz import batch_script, program_from, run_in_python
from fuzz_regressions import REGRESSIONS
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Page

from jivo_widget.transpile import CompiledCallbacks, compile_many

pytestmark = pytest.mark.browser

BATCH = 250
#: 4 batches of 250: the >= 1,000 programs per CI run issue 8 asks for.
BATCHES = int(os.environ.get("JIVO_FUZZ_BATCHES", "4"))


def check_batch(sources: list[str], page: Page) -> None:
    results = compile_many([(source, "fuzz.py") for source in sources], use_cache=False)
    compiled: list[CompiledCallbacks] = []
    for source, result in zip(sources, results, strict=True):
        assert isinstance(result, CompiledCallbacks), (
            f"the checker refused a program of the subset:\n{source}\n{result}"
        )
        compiled.append(result)
    in_chromium: list[Any] = page.evaluate(batch_script(compiled))
    for source, outcome in zip(sources, in_chromium, strict=True):
        expected = run_in_python(source)
        assert outcome == expected, (
            f"different meaning in Chromium:\n{source}\nCPython: {expected}\nChromium: {outcome}"
        )


@pytest.mark.timeout(900)
@settings(
    max_examples=BATCHES,
    deadline=None,
    phases=[Phase.generate],
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(seed=st.integers(0, 2**64))
def test_random_programs_mean_the_same_in_chromium(seed: int, page: Page) -> None:
    # hypothesis picks one seed per batch (and reports it on failure); the batch's programs
    # come from Random(seed:i): lists drawn by hypothesis itself repeat elements a lot.
    batch = [program_from(random.Random(f"{seed}:{index}")) for index in range(BATCH)]
    started = time.perf_counter()
    check_batch(batch, page)
    print(f"fuzz batch: {len(batch)} programs in {time.perf_counter() - started:.1f} s")


def test_a_ci_run_fuzzes_at_least_1000_programs() -> None:
    # hypothesis runs max_examples=BATCHES batches (generate phase only, seeds from 0..2**64:
    # never exhausted), so the count is the configuration's; JIVO_FUZZ_BATCHES can only raise it
    # in CI (it is unset there).
    if "JIVO_FUZZ_BATCHES" not in os.environ:
        assert BATCHES * BATCH >= 1000


def test_every_mismatch_the_fuzzer_found_stays_fixed(page: Page) -> None:
    assert REGRESSIONS
    check_batch(list(REGRESSIONS), page)
