"""Benchmark: signing and verifying Jivo JWT user tokens against PyJWT called by hand.

The baseline is what a careful site writes without jivo-widget: ``jwt.encode({"id": …, "iat": …,
"exp": …}, secret, algorithm="HS256")`` per page view and ``jwt.decode(token, secret,
algorithms=["HS256"])`` per webhook. Ours adds the visitor-id rule, rotation, a result object
and, for tokens without a time (Jivo's minimal payload), a per-visitor cache. All run in the same
process, interleaved in rounds; the figures are ratios of medians (target: sign and verify <= 1.2
of the baseline; the cached sign far below it). ``Widget.render`` is timed too, to show what
signing adds to a page.

Run alone: ``python -m benchmarks.bench_identity [--rounds N] [--number N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import timeit
from collections.abc import Callable
from typing import Any

import jwt

from jivo_widget import Widget
from jivo_widget.identity import UserTokens

SECRET = "tye64d8818007570e9fd4e9736da383b0ee124e91e4d44ce852432456df0e986"  # Jivo's example
KEY = SECRET.encode()
VISITOR = "Visitor42"


def _hand_signed() -> str:
    now = int(time.time())
    return jwt.encode({"id": VISITOR, "iat": now, "exp": now + 3600}, KEY, algorithm="HS256")


def _cases() -> dict[str, Callable[[], Any]]:
    timeless, expiring = UserTokens(SECRET), UserTokens(SECRET, expires_in="1h")
    token = jwt.encode({"id": VISITOR}, KEY, algorithm="HS256")
    widget = Widget(widget_id="AbCdEf1234")
    return {
        "jwt.encode by hand, with exp": _hand_signed,
        "UserTokens.sign, with exp": lambda: expiring.sign(VISITOR),
        "UserTokens.sign, no time (cached)": lambda: timeless.sign(VISITOR),
        "jwt.decode by hand": lambda: jwt.decode(token, KEY, algorithms=["HS256"]),
        "UserTokens.verify": lambda: timeless.verify(token),
        "Widget.render(user_token=…)": lambda: widget.render(user_token=token),
    }


def measure(rounds: int, number: int) -> dict[str, float]:
    """Median µs per call of every case, interleaved over ``rounds`` (order alternated)."""
    cases = _cases()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(rounds):
        order = list(cases.items())
        for name, fn in order if i % 2 else order[::-1]:
            times[name].append(timeit.timeit(fn, number=number) / number * 1e6)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> None:
    """Run the identity benchmark and print a Markdown table and the ratios."""
    parser = argparse.ArgumentParser(prog="bench_identity", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=1000, help="calls per round and case")
    args = parser.parse_args(argv)
    medians = measure(args.rounds, args.number)
    print("| case | median µs |")
    print("|---|---:|")
    for name, value in medians.items():
        print(f"| {name} | {value:.1f} |")
    sign = medians["UserTokens.sign, with exp"] / medians["jwt.encode by hand, with exp"]
    cached = medians["UserTokens.sign, no time (cached)"] / medians["jwt.encode by hand, with exp"]
    verify = medians["UserTokens.verify"] / medians["jwt.decode by hand"]
    print(
        f"\nratio sign (exp) / jwt.encode: **{sign:.2f}** (target <= 1.2); "
        f"cached sign / jwt.encode: **{cached:.2f}**; "
        f"verify / jwt.decode: **{verify:.2f}** (target <= 1.2)"
    )


if __name__ == "__main__":
    main()
