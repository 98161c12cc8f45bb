"""Proof of equal meaning, part 2: a differential fuzzer (hypothesis).

Random programs in the accepted subset (conftest's generator) run in CPython and, compiled, in
Chromium; their outcomes (the values they computed, or the name of the error they raised) must
be equal. A generated program the checker refuses, or that Transcrypt or the linker fails on,
fails the test too: the subset is compiled correctly or refused, never miscompiled. Every
mismatch ever found stays in data/fuzz_regressions.toml.

Speed: hypothesis picks the seed of a run; its programs come in batches of 250, each compiled
by one Transcrypt run. Two batches compile at once (Transcrypt is a subprocess: it uses the
other core) while the batch compiled before is evaluated, all of it in one page evaluation.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Page

from jivo_widget.transpile import CallbackSourceError, CompiledCallbacks, compile_many

pytestmark = pytest.mark.browser

BATCH = 250
#: 4 batches of 250 programs: at least 1,000 per CI run. JIVO_FUZZ_BATCHES raises it.
BATCHES = int(os.environ.get("JIVO_FUZZ_BATCHES", "4"))
#: Batches compiling at once (each a Transcrypt subprocess).
PARALLEL = 2


def compiled_batches(batches: list[list[str]]) -> Iterator[list[CompiledCallbacks]]:
    """Each batch compiled (no cache: every program is new), in order, as soon as it is done;
    a program of the subset that the checker refuses fails here."""

    def compile_batch(sources: list[str]) -> list[CompiledCallbacks | CallbackSourceError]:
        return compile_many([(source, "fuzz.py") for source in sources], use_cache=False)

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        for sources, future in [(b, pool.submit(compile_batch, b)) for b in batches]:
            compiled: list[CompiledCallbacks] = []
            for source, result in zip(sources, future.result(), strict=True):
                assert isinstance(result, CompiledCallbacks), (
                    f"the checker refused a program of the subset:\n{source}\n{result}"
                )
                compiled.append(result)
            yield compiled


def check_batches(batches: list[list[str]], page: Page, fuzzer: Any) -> None:
    for sources, compiled in zip(batches, compiled_batches(batches), strict=True):
        in_chromium: list[Any] = page.evaluate(fuzzer.batch_script(compiled))
        for source, outcome in zip(sources, in_chromium, strict=True):
            expected = fuzzer.run_in_python(source)
            assert outcome == expected, (
                f"different meaning in Chromium:\n{source}\nCPython: {expected}\n"
                f"Chromium: {outcome}"
            )


@pytest.mark.timeout(900)
@settings(
    max_examples=1,
    deadline=None,
    phases=[Phase.generate],
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(seed=st.integers(0, 2**64))
def test_random_programs_mean_the_same_in_chromium(seed: int, page: Page, fuzzer: Any) -> None:
    # hypothesis picks the seed (and reports it on failure); the programs come from
    # Random(seed:i): lists drawn by hypothesis itself repeat elements a lot.
    programs = [fuzzer.program_from(random.Random(f"{seed}:{i}")) for i in range(BATCH * BATCHES)]
    batches = [programs[i : i + BATCH] for i in range(0, len(programs), BATCH)]
    started = time.perf_counter()
    check_batches(batches, page, fuzzer)
    print(f"fuzz: {len(programs)} programs in {time.perf_counter() - started:.1f} s")


def test_a_ci_run_fuzzes_at_least_1000_programs() -> None:
    # One hypothesis example (generate phase only, seeds from 0..2**64: never exhausted) of
    # BATCHES batches; JIVO_FUZZ_BATCHES can only raise it in CI (it is unset there).
    if "JIVO_FUZZ_BATCHES" not in os.environ:
        assert BATCHES * BATCH >= 1000


def test_every_mismatch_the_fuzzer_found_stays_fixed(
    page: Page, fuzzer: Any, fuzz_regressions: list[str]
) -> None:
    assert fuzz_regressions
    check_batches([fuzz_regressions], page, fuzzer)
