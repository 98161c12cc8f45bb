"""Run every ``benchmarks/bench_*.py`` module's ``main()`` in turn.

``python -m benchmarks`` runs them all; ``python -m benchmarks render webhooks`` only the named
ones (``bench_`` prefix optional). A failing benchmark is reported and the others still run; the
exit status is 1 if any failed.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path


def discover() -> list[str]:
    """Names of the benchmark modules, sorted (``bench_render``, ``bench_webhooks``...)."""
    here = str(Path(__file__).resolve().parent)
    return sorted(m.name for m in pkgutil.iter_modules([here]) if m.name.startswith("bench_"))


def run(argv: list[str]) -> int:
    """Run the selected benchmarks; returns the process exit status."""
    available = discover()
    wanted = [a if a.startswith("bench_") else f"bench_{a}" for a in argv] or available
    unknown = [w for w in wanted if w not in available]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}")
        return 2
    failed = []
    for name in wanted:
        print(f"\n## {name}\n", flush=True)
        started = time.perf_counter()
        saved_argv = sys.argv
        sys.argv = [f"benchmarks.{name}"]  # each main() parses its own (empty) command line
        try:
            importlib.import_module(f"benchmarks.{name}").main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        finally:
            sys.argv = saved_argv
        print(f"\n({name}: {time.perf_counter() - started:.1f} s)", flush=True)
    if failed:
        print(f"\nFAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
