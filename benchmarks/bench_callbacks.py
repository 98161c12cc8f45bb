"""Benchmark: Python callbacks compiled to JS -- size against naive Transcrypt, compile times.

- Size: the issue's example module (3 callbacks) and the same with two more typical callbacks
  (5), as the standalone script ``jivo-widget compile`` writes, gzip -9; baseline: what
  Transcrypt 3.9.5 gives for the same module with ``-n`` (its ES module plus the runtime it
  imports), also gzip -9. Target <= 1.5 KB, >= 8x smaller.
- Compile time: cold (checker, lowering, Transcrypt subprocess, linker; cache off) and a cache
  hit, medians of several runs in this process; target <= 1 s and <= 20 ms. The cache hit is
  also given as a ratio to ``import`` of the cache module in a fresh interpreter (both are
  "the cost of getting the compiled module").
- Per-request render cost with compiled callbacks: ``Widget.render`` (a token, a contact, a
  nonce) of a Widget with the 5-callback module, against the same Widget without callbacks in
  the same run (medians of interleaved rounds); target: unchanged (ratio ~1.0), since the
  compiled code is part of the static bootstrap.

Run alone: ``python -m benchmarks.bench_callbacks [--runs N]``.
"""

# ruff: noqa: E501 (table rows read better on one line)

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

from jivo_widget import Widget
from jivo_widget.transpile import compile_callbacks

ISSUE_EXAMPLE = """\
from jivo_widget.browser import jivo_api, window, document

def jivo_onIntroduction():
    info = jivo_api.getContactInfo()
    window.dataLayer.push({"event": "jivo_lead", "name": info.client_name, "email": info.email})

def jivo_onChangeState(state):
    if state in ("chat", "chat/min"):
        document.body.classList.add("jivo-open")
    else:
        document.body.classList.remove("jivo-open")

def jivo_onLoadCallback():
    if window.location.pathname.startswith("/pricing"):
        jivo_api.showProactiveInvitation("Questions about plans?")
"""

FIVE_CALLBACKS = (
    ISSUE_EXAMPLE
    + """
def jivo_onMessageSent():
    window.dataLayer.push({"event": "jivo_first_message", "page": window.location.pathname})

def jivo_onCallEnd(res=None):
    if res is not None and res.result == "fail":
        window.dataLayer.push({"event": "jivo_call_failed", "reason": res.reason})
"""
)


def gz(text: str) -> int:
    return len(gzip.compress(text.encode("utf-8"), 9))


def naive_transcrypt(source: str) -> tuple[int, int]:
    """Bytes and gzip bytes of Transcrypt's own output (module + runtime + copy.js)."""
    body = "\n".join(line for line in source.splitlines() if not line.startswith("from "))
    with tempfile.TemporaryDirectory() as work:
        module = Path(work) / "jivo_callbacks.py"
        module.write_text(body)
        target = Path(work) / "out"
        subprocess.run(
            [sys.executable, "-m", "transcrypt", "-b", "-n", "-od", str(target), str(module)],
            check=True,
            capture_output=True,
            cwd=work,
        )
        files = [p for p in target.iterdir() if p.suffix == ".js"]
        text = "".join(p.read_text() for p in sorted(files))
    return len(text.encode()), gz(text)


def timed(function: object, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return times


def fresh_import_seconds(runs: int) -> float:
    code = "import time; t = time.perf_counter(); import jivo_widget.transpile.cache; print(time.perf_counter() - t)"
    values = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(values)


FRESH_HIT = """
import sys, time
started = time.perf_counter()
from jivo_widget import Widget
from jivo_widget.transpile import compile_callbacks
compiled = compile_callbacks(sys.argv[1], "jivo_callbacks.py", cache_dir=__import__("pathlib").Path(sys.argv[2]))
assert compiled.from_cache
print(time.perf_counter() - started)
"""


def fresh_hit_seconds(source: str, directory: Path, runs: int) -> float:
    """A cache hit in a new interpreter, imports included (a web app's first Widget)."""
    values = [
        float(
            subprocess.run(
                [sys.executable, "-c", FRESH_HIT, source, str(directory)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(values)


def render_cost(directory: Path, rounds: int = 15, number: int = 2000) -> tuple[float, float]:
    """Median µs per ``render()`` without and with the compiled 5-callback module."""
    module = directory / "jivo_callbacks.py"
    module.write_text(FIVE_CALLBACKS, encoding="utf-8")
    plain = Widget(widget_id="AbCdEf1234")
    with_callbacks = Widget(widget_id="AbCdEf1234", callbacks=module)
    request = {"user_token": "u-42", "contact": {"name": "Ann", "email": "ann@example.com"}}
    times: dict[str, list[float]] = {"plain": [], "callbacks": []}
    for _ in range(rounds):  # interleaved: the machine's load affects both alike
        for name, widget in (("plain", plain), ("callbacks", with_callbacks)):
            seconds = timeit.timeit(
                lambda w=widget: w.render(**request, nonce="n0nce"), number=number
            )
            times[name].append(seconds / number * 1e6)
    return statistics.median(times["plain"]), statistics.median(times["callbacks"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    print("| module | compiled B | compiled gzip | naive Transcrypt B | naive gzip | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, source in (
        ("issue example (3 callbacks)", ISSUE_EXAMPLE),
        ("5 callbacks", FIVE_CALLBACKS),
    ):
        script = compile_callbacks(source, "jivo_callbacks.py", use_cache=False).standalone_script()
        raw, packed = naive_transcrypt(source)
        size = gz(script)
        print(
            f"| {label} | {len(script.encode()):,} | **{size:,}** | {raw:,} | {packed:,} | **{packed / size:.1f}x** |"
        )

    with tempfile.TemporaryDirectory() as cache_dir:
        directory = Path(cache_dir)
        cold = timed(
            lambda: compile_callbacks(FIVE_CALLBACKS, "jivo_callbacks.py", use_cache=False),
            args.runs,
        )
        compile_callbacks(FIVE_CALLBACKS, "jivo_callbacks.py", cache_dir=directory)
        hit = timed(
            lambda: compile_callbacks(FIVE_CALLBACKS, "jivo_callbacks.py", cache_dir=directory),
            args.runs * 10,
        )
        fresh = fresh_hit_seconds(FIVE_CALLBACKS, directory, 5)
        plain_us, callbacks_us = render_cost(directory)
    importing = fresh_import_seconds(5)
    print()
    print("| compile (5 callbacks) | median | min | max |")
    print("|---|---:|---:|---:|")
    print(
        f"| cold (no cache) | **{statistics.median(cold) * 1000:.0f} ms** | {min(cold) * 1000:.0f} ms | {max(cold) * 1000:.0f} ms |"
    )
    print(
        f"| cache hit | **{statistics.median(hit) * 1000:.2f} ms** | {min(hit) * 1000:.2f} ms | {max(hit) * 1000:.2f} ms |"
    )
    print(f"| cache hit in a fresh interpreter, imports included | {fresh * 1000:.1f} ms | | |")
    print(f"| import of the cache module, fresh interpreter | {importing * 1000:.2f} ms | | |")
    print(
        f"\ncache hit / fresh import of the cache module: {statistics.median(hit) / importing:.2f}"
    )
    print()
    print("| render() per request (token, contact, nonce) | median µs |")
    print("|---|---:|")
    print(f"| Widget without callbacks (baseline) | {plain_us:.2f} |")
    print(f"| Widget(callbacks=<5-callback module>) | {callbacks_us:.2f} |")
    print(f"\nrender with callbacks / without: **{callbacks_us / plain_us:.2f}**")


if __name__ == "__main__":
    main()
