"""Benchmark: ``Widget.render`` per request against a hand-written Jinja template.

The page: user token + contact + 5 custom fields + CSP nonce (a signed-in visitor on a shop).
The baseline is what a careful site would write by hand: an autoescaping Jinja template using
``|tojson`` that makes the same jivo_api calls in ``jivo_onLoadCallback`` and includes the
loader. Both run in the same process, interleaved in rounds so machine noise hits both alike;
the figure is the ratio of the medians (target: <= 1.0). Also reported: the gzip size of the
inline glue of that page (budget: <= 1,250 B; target: <= 1,150 B), and of its static bootstrap
alone.

Verified identity, the same page with ``render(visitor_id=…)`` instead of a plain token: the
baseline template then signs the visitor's JWT by hand with PyJWT on every request (what a careful
site writes: ``jwt.encode({"id": …}, secret, algorithm="HS256")``; with ``iat``/``exp`` for
expiring tokens). Two cases: tokens without time, which the Widget signs once per visitor (a
visitor's next pages hit the cache; the rounds cycle through 100 visitors, all cached after the
first round), and expiring tokens, which both sides sign on every request. The cached case is also
compared with the plain-token baseline (what signing costs over no signing at all).

Run alone: ``python -m benchmarks.bench_render [--rounds N] [--number N]``.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import statistics
import time
import timeit
from collections.abc import Callable
from typing import Any

import jinja2
import jwt

from jivo_widget import Widget

WIDGET_ID = "AbCdEf1234"
USER_TOKEN = "u-42-7f3a9c"
CONTACT = {
    "name": "Ann O'Brien",
    "email": "ann@example.com",
    "phone": "+14084987855",
    "description": "Pro plan since 2021",
}
CUSTOM_DATA = [
    {"title": "Plan", "content": "Pro", "link": "https://crm.example.com/u/42"},
    {"title": "Seats", "content": "12"},
    {"title": "MRR", "content": "$480", "link": "https://billing.example.com/c/42"},
    {"title": "Last order", "content": "#10428 <shipped>", "key": "order"},
    {"title": "Region", "content": "EU"},
]
NONCE = "r4nd0mN0nce+/="
#: The example secret in Jivo's JWT docs.
SECRET = "tye64d8818007570e9fd4e9736da383b0ee124e91e4d44ce852432456df0e986"
#: Visitors cycled through by the identity cases (each side sees the same sequence).
VISITORS = [f"Visitor{n}" for n in range(100)]
GZIP_BUDGET = 1250  # bytes of the whole inline glue of this page, gzip -9
GZIP_TARGET = 1150
EXTERNAL_TARGET = 400  # the same page in external mode: only the request's data inline

HAND_WRITTEN = """\
<script nonce="{{ nonce }}">
window.jivo_onLoadCallback = function () {
  jivo_api.setUserToken({{ user_token|tojson }});
  jivo_api.setContactInfo({{ contact|tojson }});
  jivo_api.setCustomData({{ custom_data|tojson }});
};
</script>
<script nonce="{{ nonce }}" src="https://code.jivosite.com/widget/{{ widget_id }}" async></script>
"""


def _baseline() -> Callable[[], str]:
    template = jinja2.Environment(autoescape=True).from_string(HAND_WRITTEN)

    def render() -> str:
        return template.render(
            nonce=NONCE,
            user_token=USER_TOKEN,
            contact=CONTACT,
            custom_data=CUSTOM_DATA,
            widget_id=WIDGET_ID,
        )

    return render


def _ours() -> Callable[[], Any]:
    widget = Widget(widget_id=WIDGET_ID)

    def render() -> Any:
        return widget.render(
            user_token=USER_TOKEN, contact=CONTACT, custom_data=CUSTOM_DATA, nonce=NONCE
        )

    return render


def _baseline_signed(expires_in: int | None) -> Callable[[], str]:
    template = jinja2.Environment(autoescape=True).from_string(HAND_WRITTEN)
    key = SECRET.encode()
    visitors = itertools.cycle(VISITORS)

    def render() -> str:
        payload: dict[str, Any] = {"id": next(visitors)}
        if expires_in is not None:
            now = int(time.time())
            payload.update(iat=now, exp=now + expires_in)
        return template.render(
            nonce=NONCE,
            user_token=jwt.encode(payload, key, algorithm="HS256"),
            contact=CONTACT,
            custom_data=CUSTOM_DATA,
            widget_id=WIDGET_ID,
        )

    return render


def _ours_signed(expires_in: int | None) -> Callable[[], Any]:
    widget = Widget(widget_id=WIDGET_ID, identity_secret=SECRET, identity_expires_in=expires_in)
    visitors = itertools.cycle(VISITORS)

    def render() -> Any:
        return widget.render(
            visitor_id=next(visitors), contact=CONTACT, custom_data=CUSTOM_DATA, nonce=NONCE
        )

    return render


def _paired(
    sides: dict[str, Callable[[], Any]], rounds: int, number: int
) -> dict[str, list[float]]:
    """µs per call of each side, per round; adjacent rounds alternate which side goes first, so
    both share the machine's load of the moment."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    for i in range(rounds):
        order = list(sides.items())
        for name, fn in order if i % 2 else order[::-1]:
            times[name].append(timeit.timeit(fn, number=number) / number * 1e6)
    return times


def _ratio(times: dict[str, list[float]], ours: str, baseline: str) -> float:
    """The median of the per-round ratios."""
    return statistics.median(a / b for a, b in zip(times[ours], times[baseline], strict=True))


def measure_identity(rounds: int, number: int) -> dict[str, Any]:
    """The visitor_id cases: median µs of each side and the paired ratios."""
    times = _paired(
        {
            "baseline, plain token": _baseline(),
            "baseline, jwt.encode per request": _baseline_signed(None),
            "Widget.render(visitor_id=…), cached": _ours_signed(None),
            "baseline, jwt.encode with exp": _baseline_signed(3600),
            "Widget.render(visitor_id=…), expiring": _ours_signed(3600),
        },
        rounds,
        number,
    )
    return {
        "median_us": {name: statistics.median(values) for name, values in times.items()},
        "cached": _ratio(
            times, "Widget.render(visitor_id=…), cached", "baseline, jwt.encode per request"
        ),
        "cached_vs_plain": _ratio(
            times, "Widget.render(visitor_id=…), cached", "baseline, plain token"
        ),
        "expiring": _ratio(
            times, "Widget.render(visitor_id=…), expiring", "baseline, jwt.encode with exp"
        ),
    }


def measure(rounds: int, number: int) -> dict[str, Any]:
    """Median µs per render of both, interleaved over ``rounds``; plus gzip sizes."""
    baseline, ours = _baseline(), _ours()
    times: dict[str, list[float]] = {"baseline": [], "jivo-widget": []}
    ratios = []
    for i in range(rounds):
        # Adjacent pairs, alternating which goes first, share the machine's load of the moment.
        order = [("baseline", baseline), ("jivo-widget", ours)]
        for name, fn in order if i % 2 else order[::-1]:
            times[name].append(timeit.timeit(fn, number=number) / number * 1e6)
        ratios.append(times["jivo-widget"][-1] / times["baseline"][-1])
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {
        "median_us": medians,
        "min_us": {name: min(values) for name, values in times.items()},
        "ratio": statistics.median(ratios),
        "ratio_of_mins": min(times["jivo-widget"]) / min(times["baseline"]),
        "gzip": {
            "baseline": len(gzip.compress(baseline().encode(), 9)),
            "jivo-widget": len(gzip.compress(str(ours()).encode(), 9)),
        },
        "raw": {"baseline": len(baseline().encode()), "jivo-widget": len(str(ours()).encode())},
        # The same bytes on every page of the Widget (what an external, cached file would hold).
        "gzip_bootstrap": len(gzip.compress(_bootstrap().encode(), 9)),
        "gzip_external": len(gzip.compress(_external().encode(), 9)),
        "gzip_external_in_page": added_to_page(_external()),
    }


def added_to_page(html: str) -> int:
    """What ``html`` adds to a gzip -9 page (the page benchmark's shop page): the bytes a
    visitor downloads for it. Less than its own gzip size: gzip's 18 B of header and trailer
    come once per response, and words the page has already (``script``, ``src``) are
    back-references."""
    from benchmarks.bench_page import page_html

    def size(widget_html: str) -> int:
        return len(gzip.compress(page_html(widget_html, banner=False).encode(), 9))

    return size(html) - size("")


def _bootstrap() -> str:
    return Widget(widget_id=WIDGET_ID).renderer.bootstrap


def _external() -> str:
    """The page's glue in external mode: a script tag with the request's data, file on site."""
    widget = Widget(widget_id=WIDGET_ID, static_url="/static/jivo/")
    return str(
        widget.render(user_token=USER_TOKEN, contact=CONTACT, custom_data=CUSTOM_DATA, nonce=NONCE)
    )


def main(argv: list[str] | None = None) -> None:
    """Run the render benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(prog="bench_render", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--number", type=int, default=1000, help="renders per round and side")
    args = parser.parse_args(argv)
    result = measure(args.rounds, args.number)
    print(
        "| render (token + contact + 5 custom fields + nonce) | median µs | min µs "
        "| HTML bytes | gzip bytes |"
    )
    print("|---|---:|---:|---:|---:|")
    for name in ("baseline", "jivo-widget"):
        label = "hand-written Jinja + tojson" if name == "baseline" else "Widget.render"
        print(
            f"| {label} | {result['median_us'][name]:.1f} | {result['min_us'][name]:.1f} "
            f"| {result['raw'][name]} | {result['gzip'][name]} |"
        )
    ratio, size = result["ratio"], result["gzip"]["jivo-widget"]
    print(
        f"\nratio Widget.render / baseline (median of paired rounds): **{ratio:.2f}** "
        f"(ratio of minimums {result['ratio_of_mins']:.2f}; target <= 1.0)"
    )
    print(
        f"inline glue gzip: **{size} B** (budget <= {GZIP_BUDGET} B, target <= {GZIP_TARGET} B);"
        f" its static bootstrap alone: {result['gzip_bootstrap']} B"
    )
    identity = measure_identity(args.rounds, args.number)
    print("\n| render with a verified identity (visitor_id + the same page) | median µs |")
    print("|---|---:|")
    for name, value in identity["median_us"].items():
        print(f"| {name} | {value:.1f} |")
    print(
        f"\nratio Widget.render(visitor_id) / baseline signing per request: "
        f"**{identity['cached']:.2f}** (token without time, cached per visitor; target <= 1.0); "
        f"**{identity['expiring']:.2f}** (expiring token, signed per request by both; "
        f"target <= 1.0); cached vs the plain-token baseline: {identity['cached_vs_plain']:.2f}"
    )
    print(
        f"external mode (static_url on the site): inline **{result['gzip_external_in_page']} B**"
        f" added to the gzip page (target <= {EXTERNAL_TARGET} B; {result['gzip_external']} B"
        " gzip on its own; the request's data is most of it), the file cached: 0 B on repeat"
        " views"
    )


if __name__ == "__main__":
    main()
