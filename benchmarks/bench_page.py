"""Benchmark: what Jivo's widget costs a page under each loading strategy, in a real Chromium.

A local test page (text, a hero image for LCP, a site script with some work of its own) is
loaded with the glue of each strategy, with the facade, and without any widget, in the same run,
``--runs`` times each (interleaved, so the machine's load hits every configuration alike;
medians reported), with the CPU throttled 4x through CDP like Lighthouse's mobile profile.
Jivo's hosts are routed to a **heavy stand-in** with the real widget's measured profile:
≈ 300 KB of script (a 20 KB loader, then a 280 KB bundle), ≈ 1 s of main-thread work under
the throttle split into tasks (loader 60 ms, bundle evaluation 300 ms, then 8 tasks of 80 ms),
and follow-up requests (a stylesheet, a telemetry POST, an image); then the mocked widget
(``jivo_widget.testing``) boots and calls ``jivo_onLoadCallback``. Work is a fixed number of
loop iterations, calibrated on this machine unthrottled, so the throttle scales it as it does
real script.

The visitor does nothing for the first ``WINDOW_MS`` (4 s), then does what the strategy waits
for (a key, a click on the chat link, a scroll to the footer, accepting the cookie banner, the
page calling ``jivoWidget.load()``, a click on the facade). Measured in the page:

- Jivo bytes before the trigger (for ``idle``: before the idle callback; without a trigger,
  ``eager``, ``onload`` and no widget: the whole first window) and in the first window;
- total blocking time before the trigger and in the first window: the part over 50 ms of every
  long task from the start of navigation (Lighthouse starts at the first contentful paint;
  here the page's own first tasks straddle it, and the figure would depend on the noise of
  when it paints); LCP;
- after the trigger: the time to the first queued ``jivo_api`` call, and that call's delay
  after the widget's ``jivo_onLoadCallback``.

Targets (issue 11): 0 Jivo bytes before the trigger and TBT ≤ 1.05x the no-widget page for
idle (before idle), interaction, click, visible, consent and the facade; eager as the baseline;
the first queued call within 100 ms of ``jivo_onLoadCallback``. Writes the chart
``benchmarks/page_performance.png`` (TBT and Jivo bytes per configuration) and the figures the
demo's strategy switcher shows (``jivo_widget/demo/page_costs.json``).

Run alone: ``python -m benchmarks.bench_page [--runs N] [--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import itertools
import json
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from jivo_widget import Widget
from jivo_widget.testing.chromium import find_chromium
from jivo_widget.testing.controller import JIVO_URL
from jivo_widget.testing.scripts import mock_init_script

HERE = Path(__file__).resolve().parent
CHART = HERE / "page_performance.png"
#: The figures the demo's strategy switcher shows (package data, committed with the chart).
DEMO_COSTS = HERE.parent / "jivo_widget" / "demo" / "page_costs.json"
WIDGET_ID = "AbCdEf1234"
CPU_THROTTLE = 4
WINDOW_MS = 4000  # the visitor does nothing this long after navigation starts
AFTER_MS = 3000  # observed after the trigger
TBT_RATIO_TARGET = 1.05
FIRST_CALL_TARGET_MS = 100
VIEWPORT = {"width": 412, "height": 823}  # Lighthouse's mobile screen

# ----------------------------------------------------------------------- the heavy stand-in

# Main-thread work in ms under the 4x throttle (converted to loop iterations by calibration).
LOADER_WORK_MS = 60
BUNDLE_EVAL_MS = 300
INIT_TASKS = 8
INIT_TASK_MS = 80
LOADER_BYTES = 20_000
BUNDLE_BYTES = 280_000
CSS_BYTES = 12_000
IMAGE_BYTES = 6_000

BUNDLE_URL = "https://code.jivosite.com/js/bundle_en.js"
CSS_URL = "https://code.jivosite.com/css/widget.css"
TELEMETRY_URL = "https://telemetry.jivosite.com/event"
IMAGE_URL = "https://cdn-ca.jivosite.com/img/agent.png"

# One unit of work: a loop the JIT cannot drop (its result is kept).
WORK = """function __jvWork(ms) {
  var n = ms * %(per_ms)d, x = 0;
  for (var i = 0; i < n; i++) x = (x + i * 7) %% 1000003;
  window.__jvSink = x;
}"""


def _padding(size: int, prefix: str) -> str:
    """Real, parseable JavaScript of ``size`` bytes: functions the bundle never calls (V8
    pre-parses them, as it does most of a real bundle)."""
    parts, total = [], 0
    for i in itertools.count():
        line = f"function {prefix}{i}(a,b){{return a*{i % 97}+b-{i % 13}||'{prefix}{i}'}}\n"
        parts.append(line)
        total += len(line)
        if total >= size:
            return "".join(parts)
    raise AssertionError("unreachable")


def stand_in(per_ms: int) -> dict[str, tuple[str, bytes]]:
    """Jivo's URLs (without query) → (content type, body) of the heavy stand-in."""
    work = WORK % {"per_ms": per_ms}
    loader = f"""(function () {{
{work}
__jvWork({LOADER_WORK_MS});
var script = document.createElement("script");
script.src = "{BUNDLE_URL}?rand=" + Date.now();
script.nonce = document.currentScript ? document.currentScript.nonce : "";
document.head.appendChild(script);
}})();
"""
    bundle = f"""(function () {{
{work}
__jvWork({BUNDLE_EVAL_MS});
var link = document.createElement("link");
link.rel = "stylesheet"; link.href = "{CSS_URL}"; document.head.appendChild(link);
fetch("{TELEMETRY_URL}", {{method: "POST", body: "load", mode: "no-cors"}}).catch(function () {{}});
new Image().src = "{IMAGE_URL}";
var left = {INIT_TASKS};
(function step() {{
  __jvWork({INIT_TASK_MS});
  if (--left) setTimeout(step, 0);
  else window.__jivoMock.boot({{widget_id: "{WIDGET_ID}"}}, null);
}})();
}})();
"""
    loader += _padding(LOADER_BYTES - len(loader), "__jvL")
    bundle += _padding(BUNDLE_BYTES - len(bundle), "__jvB")
    css = "jdiv{display:block}\n" + "".join(
        f".__jv{i}{{margin:{i % 9}px;color:#{i % 4096:03x}}}\n" for i in range(CSS_BYTES // 30)
    )
    return {
        f"https://code.jivosite.com/widget/{WIDGET_ID}": (
            "application/javascript",
            loader.encode(),
        ),
        BUNDLE_URL: ("application/javascript", bundle.encode()),
        CSS_URL: ("text/css", css.encode()),
        TELEMETRY_URL: ("text/plain", b"ok"),
        IMAGE_URL: ("image/png", b"\x89PNG" + b"\0" * (IMAGE_BYTES - 4)),
    }


# --------------------------------------------------------------------------- the test page

# The site's own script, in ms under the throttle: some while parsing (before the first paint),
# then tasks after DOMContentLoaded (hydration, analytics), which count in its blocking time.
APP_PARSE_MS = 60
APP_TASKS_MS = (150, 100, 80)

# Installed before any page script: what the benchmark reads afterwards.
OBSERVERS = """(() => {
  const bench = window.__bench = {longtasks: [], lcp: 0, fcp: 0, loaderInserted: 0,
    idle: 0, onLoad: 0, firstCall: 0, trigger: 0};
  // When an idle callback runs: the idle strategy's trigger.
  const requestIdle = window.requestIdleCallback;
  window.requestIdleCallback = (callback, options) => requestIdle((deadline) => {
    bench.idle = bench.idle || performance.now();
    callback(deadline);
  }, options);
  new PerformanceObserver(list => list.getEntries().forEach(e =>
    bench.longtasks.push([e.startTime, e.duration]))).observe({type: "longtask", buffered: true});
  new PerformanceObserver(list => list.getEntries().forEach(e => { bench.lcp = e.startTime; }))
    .observe({type: "largest-contentful-paint", buffered: true});
  new PerformanceObserver(list => list.getEntries().forEach(e => {
    if (e.name === "first-contentful-paint") bench.fcp = e.startTime;
  })).observe({type: "paint", buffered: true});
  new MutationObserver(records => records.forEach(r => r.addedNodes.forEach(n => {
    if (!bench.loaderInserted && n.src && n.src.indexOf("jivosite.com/widget/") > 0)
      bench.loaderInserted = performance.now();
  }))).observe(document, {childList: true, subtree: true});
  window.addEventListener("jivo-mock", e => {
    const r = e.detail;
    if (r.kind === "callback" && r.name === "jivo_onLoadCallback" && !bench.onLoad)
      bench.onLoad = performance.now();
    if (r.kind === "call" && !bench.firstCall) bench.firstCall = performance.now();
  });
})();"""

TEXT = (
    "Our shop sells hand-made things; every order ships within two days, and our support team"
    " answers in the chat during working hours."
)


def page_html(widget_html: str, *, banner: bool) -> str:
    paragraphs = "".join(f"<p>{TEXT}</p>" for _ in range(12))
    cookie_banner = (
        "<div id='banner' role='dialog' aria-label='Cookies'>We use cookies."
        " <button id='accept'>Accept</button></div>"
        "<script>document.getElementById('accept').onclick = function () {"
        " document.cookie = 'cmp=all; path=/'; this.parentNode.remove();"
        " if (window.jivoWidget) jivoWidget.consent(); };</script>"
        if banner
        else ""
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title>
<style>body{{font:16px/1.5 sans-serif;margin:0 16px}}img{{width:100%;height:auto}}</style>
<script src="/app.js"></script></head><body>
<h1>Hand-made things</h1><img src="/hero.png" width="800" height="450" alt="Our workshop">
<p><a class="chat-link" href="#chat">Chat with us</a></p>{paragraphs}
<footer id="contact"><p>Contact: help@shop.example</p></footer>
{cookie_banner}{widget_html}</body></html>"""


def app_js(per_ms: int) -> str:
    """The site's own script: some work while parsing, then tasks after DOMContentLoaded."""
    tasks = ",".join(str(ms) for ms in APP_TASKS_MS)
    return (
        WORK % {"per_ms": per_ms}
        + f"\n__jvWork({APP_PARSE_MS});\n"
        + "document.addEventListener('DOMContentLoaded', function () {\n"
        + f"  [{tasks}].forEach(function (ms, i) {{ setTimeout(__jvWork, 50 * (i + 1), ms); }});\n"
        + "});\n"
    )


def hero_png() -> bytes:
    """An 800x450 gradient: the page's largest contentful paint."""
    import numpy as np
    from matplotlib import pyplot as plt

    x = np.linspace(0, 1, 800)
    y = np.linspace(0, 1, 450)[:, None]
    image = np.dstack(
        [0.2 + 0.6 * x * np.ones_like(y), 0.3 + 0.4 * y * np.ones_like(x), 0.5 + 0 * y * x]
    )
    buffer = io.BytesIO()
    plt.imsave(buffer, image, format="png")
    return buffer.getvalue()


# ----------------------------------------------------------------------- configurations


@dataclass(frozen=True)
class Config:
    """One way of putting (or not putting) the widget on the test page."""

    name: str
    strategy: str | None  # None: no widget
    options: dict[str, Any] | None = None
    facade: bool = False
    #: What the visitor (or page) does after the first window; "" for nothing.
    trigger: str = ""
    describe: str = ""
    targeted: bool = True  # the 0-bytes / 1.05x TBT targets apply

    def widget(self) -> Widget | None:
        if self.strategy is None:
            return None
        return Widget(
            widget_id=WIDGET_ID,
            strategy=self.strategy,
            strategy_options=self.options,
            facade=self.facade,
        )

    def widget_html(self) -> str:
        widget = self.widget()
        return "" if widget is None else str(widget.render(user_token="u-42"))


CONFIGS = [
    Config("no widget", None, targeted=False, describe="the page alone"),
    Config("eager", "eager", targeted=False, describe="baseline: loader at once"),
    Config("onload", "onload", targeted=False, describe="after window load"),
    Config("idle", "idle", describe="first idle period after load (5 s cap)"),
    Config("interaction", "interaction", trigger="key", describe="first key/scroll/pointer"),
    Config("click", "click", {"selector": ".chat-link"}, trigger="click", describe="chat link"),
    Config("visible", "visible", {"selector": "#contact"}, trigger="scroll", describe="footer"),
    Config(
        "consent",
        "consent",
        {"cookie": "cmp", "cookie_value": "all"},
        trigger="accept",
        describe="cookie banner accepted",
    ),
    Config("manual", "manual", trigger="load", describe="page calls jivoWidget.load()"),
    Config("facade", "manual", facade=True, trigger="facade", describe="click on the facade"),
]


# ------------------------------------------------------------------------------ the run


class _Server:
    """The test page and its assets on 127.0.0.1 (a real HTTP server, port 0)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                content_type, body = files.get(self.path, ("text/plain", b""))
                self.send_response(200 if self.path in files else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Run:
    """The figures of one page load."""

    jivo_bytes_before_trigger: int
    jivo_bytes_window: int
    tbt_before_trigger: float
    tbt_window: float
    lcp: float
    trigger_to_first_call: float | None = None
    onload_to_first_call: float | None = None
    longtasks_after_trigger: float = 0.0


@dataclass
class Results:
    calibration: int
    runs: dict[str, list[Run]] = field(default_factory=dict)
    #: gzip -9 bytes of what each configuration adds to the page (glue, facade markup and CSS).
    inline_gzip: dict[str, int] = field(default_factory=dict)


def _tbt(longtasks: list[list[float]], start: float, end: float) -> float:
    return sum(max(0.0, d - 50) for s, d in longtasks if start <= s < end)


def _jivo_bytes(entries: list[list[Any]], sizes: dict[str, int], before: float) -> int:
    return sum(sizes.get(name.split("?")[0], 0) for name, started in entries if started < before)


TRIGGERS: dict[str, Callable[[Any], None]] = {
    "key": lambda page: page.keyboard.press("ArrowDown"),
    "click": lambda page: page.click(".chat-link"),
    "scroll": lambda page: page.evaluate("document.getElementById('contact').scrollIntoView()"),
    "accept": lambda page: page.click("#accept"),
    "load": lambda page: page.evaluate("jivoWidget.load()"),
    "facade": lambda page: page.click("#jivo-facade button"),
}


def measure(
    browser: Any,
    server: _Server,
    config: Config,
    sizes: dict[str, int],
    bodies: dict[str, tuple[str, bytes]],
    path: str,
) -> Run:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        context.add_init_script(mock_init_script())
        context.add_init_script(OBSERVERS)

        def answer(route: Any) -> None:
            url = route.request.url.split("?")[0]
            if url in bodies:
                content_type, body = bodies[url]
                route.fulfill(status=200, content_type=content_type, body=body)
            else:
                route.abort()

        context.route(JIVO_URL, answer)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_THROTTLE})
        page.goto(server.url + path, wait_until="load", timeout=60_000)
        page.wait_for_function(f"performance.now() > {WINDOW_MS}", timeout=60_000, polling=100)
        trigger = float(WINDOW_MS)
        if config.trigger:
            trigger = page.evaluate("__bench.trigger = performance.now()")
            TRIGGERS[config.trigger](page)
        loads = config.strategy is not None
        if loads:
            page.wait_for_function("__bench.firstCall > 0", timeout=60_000, polling=50)
            start = trigger if config.trigger else page.evaluate("__bench.loaderInserted")
            page.wait_for_function(
                f"performance.now() > {start + AFTER_MS}", timeout=60_000, polling=100
            )
        bench = page.evaluate("__bench")
        entries = page.evaluate(
            "performance.getEntriesByType('resource')"
            ".filter(e => /jivosite|jivo\\.ru/.test(e.name)).map(e => [e.name, e.startTime])"
        )
    finally:
        context.close()
    # For idle the trigger is the idle callback.
    if config.strategy == "idle":
        trigger = bench["idle"] or trigger
    run = Run(
        jivo_bytes_before_trigger=_jivo_bytes(entries, sizes, trigger),
        jivo_bytes_window=_jivo_bytes(entries, sizes, WINDOW_MS),
        tbt_before_trigger=_tbt(bench["longtasks"], 0, min(trigger, WINDOW_MS)),
        tbt_window=_tbt(bench["longtasks"], 0, WINDOW_MS),
        lcp=bench["lcp"],
    )
    if loads and config.trigger:
        run.trigger_to_first_call = bench["firstCall"] - trigger
    if loads:
        run.onload_to_first_call = bench["firstCall"] - bench["onLoad"]
        since = trigger if config.trigger else 0.0
        run.longtasks_after_trigger = sum(d for s, d in bench["longtasks"] if s >= since)
    return run


def calibrate(browser: Any) -> int:
    """Loop iterations per ms of work under the throttle: the fastest of 9 unthrottled timings
    (the machine's speed when nothing else competes for it; contention then shows as longer
    tasks, as it would on a visitor's busy phone, rather than as less work)."""
    page = browser.new_page()
    try:
        rates = page.evaluate(
            """() => { const rates = [];
            for (let k = 0; k < 9; k++) { const n = 3e6; let x = 0; const t = performance.now();
              for (let i = 0; i < n; i++) x = (x + i * 7) % 1000003;
              window.__sink = x; rates.push(n / (performance.now() - t)); }
            return rates; }"""
        )
    finally:
        page.close()
    return int(max(rates) / CPU_THROTTLE)


@contextmanager
def _browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    choice = find_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=choice.path if choice else None,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def run_all(runs: int, configs: list[Config]) -> Results:
    server = _Server()
    try:
        with _browser() as browser:
            per_ms = calibrate(browser)
            bodies = stand_in(per_ms)
            sizes = {url: len(body) for url, (_, body) in bodies.items()}
            server.files["/app.js"] = ("application/javascript", app_js(per_ms).encode())
            server.files["/hero.png"] = ("image/png", hero_png())
            paths = {}
            results = Results(calibration=per_ms, runs={c.name: [] for c in configs})
            for i, config in enumerate(configs):
                paths[config.name] = f"/page{i}"
                widget_html = config.widget_html()
                results.inline_gzip[config.name] = (
                    len(gzip.compress(widget_html.encode(), 9)) if widget_html else 0
                )
                html = page_html(widget_html, banner=config.trigger == "accept")
                server.files[f"/page{i}"] = ("text/html; charset=utf-8", html.encode())
            # One load of each first, not counted: the browser's first pages pay for warming
            # up (code caches, the first process), which would land on whichever came first.
            for config in configs:
                measure(browser, server, config, sizes, bodies, paths[config.name])
            for round_ in range(runs):
                order = configs if round_ % 2 == 0 else configs[::-1]
                for config in order:
                    results.runs[config.name].append(
                        measure(browser, server, config, sizes, bodies, paths[config.name])
                    )
                print(f"round {round_ + 1}/{runs} done", flush=True)
    finally:
        server.close()
    return results


# -------------------------------------------------------------------------- reporting


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def summary(results: Results, configs: list[Config]) -> list[dict[str, Any]]:
    rows = []
    base = _median([r.tbt_window for r in results.runs.get("no widget", [])])
    for config in configs:
        runs = results.runs[config.name]
        row: dict[str, Any] = {
            "name": config.name,
            "describe": config.describe,
            "targeted": config.targeted,
            "kb_before": _median([r.jivo_bytes_before_trigger for r in runs]) / 1000,
            "kb_window": _median([r.jivo_bytes_window for r in runs]) / 1000,
            "tbt_before": _median([r.tbt_before_trigger for r in runs]),
            "tbt_window": _median([r.tbt_window for r in runs]),
            "lcp": _median([r.lcp for r in runs]),
            "trigger_to_call": _median([r.trigger_to_first_call for r in runs]),
            "onload_to_call": _median([r.onload_to_first_call for r in runs]),
            "after": _median([r.longtasks_after_trigger for r in runs]),
            "inline_gzip": results.inline_gzip.get(config.name, 0),
        }
        row["ratio"] = row["tbt_before"] / base if base else None
        rows.append(row)
    return rows


def _fmt(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def print_table(rows: list[dict[str, Any]], results: Results, runs: int) -> None:
    print(
        f"CPU throttle {CPU_THROTTLE}x, {runs} runs each (medians), first window {WINDOW_MS} ms;"
        f" calibration {results.calibration:,} iterations per throttled ms\n"
    )
    print(
        "| configuration | Jivo KB before trigger | Jivo KB in first 4 s | TBT before trigger ms "
        "| ratio to no widget | TBT first 4 s ms | LCP ms | trigger → first call ms "
        "| onLoadCallback → first call ms | long tasks after trigger ms | inline gzip B |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['name']} ({row['describe']}) | {_fmt(row['kb_before'], 1)} "
            f"| {_fmt(row['kb_window'], 1)} | {_fmt(row['tbt_before'])} | {_fmt(row['ratio'], 2)} "
            f"| {_fmt(row['tbt_window'])} | {_fmt(row['lcp'])} | {_fmt(row['trigger_to_call'])} "
            f"| {_fmt(row['onload_to_call'], 1)} | {_fmt(row['after'])} "
            f"| {row['inline_gzip']:,} |"
        )
    print()
    for row in rows:
        if not row["targeted"]:
            continue
        ok_bytes = row["kb_before"] == 0
        ok_tbt = row["ratio"] is not None and row["ratio"] <= TBT_RATIO_TARGET
        ok_call = (
            row["onload_to_call"] is not None and row["onload_to_call"] <= FIRST_CALL_TARGET_MS
        )
        print(
            f"- {row['name']}: 0 Jivo bytes before trigger {'met' if ok_bytes else 'NOT met'}; "
            f"TBT ≤ {TBT_RATIO_TARGET}x no widget {'met' if ok_tbt else 'NOT met'}; first call "
            f"≤ {FIRST_CALL_TARGET_MS} ms after onLoadCallback {'met' if ok_call else 'NOT met'}"
        )


def chart(rows: list[dict[str, Any]], path: Path) -> None:
    """Two bar charts: TBT before the trigger, and Jivo KB before the trigger."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    names = [row["name"] for row in rows][::-1]
    tbt = [row["tbt_before"] or 0 for row in rows][::-1]
    window = [row["tbt_window"] or 0 for row in rows][::-1]
    kb = [row["kb_before"] or 0 for row in rows][::-1]
    colors = ["#9aa0a6" if not row["targeted"] else "#1b7f4b" for row in rows][::-1]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.8), sharey=True)
    # The outline: the first window without input (idle's cost lands there, after idle).
    left.barh(names, window, color="none", edgecolor="#5f6368", linestyle=":", linewidth=1)
    left.barh(names, tbt, color=colors)
    base = next((row["tbt_before"] for row in rows if row["name"] == "no widget"), None)
    if base:
        left.axvline(base * TBT_RATIO_TARGET, color="#c5221f", linestyle="--", linewidth=1)
        left.text(
            base * TBT_RATIO_TARGET,
            -0.9,
            f" {TBT_RATIO_TARGET}x no widget",
            color="#c5221f",
            fontsize=8,
            va="bottom",
        )
    left.set_xlabel("Total blocking time before the trigger, ms (median; dotted: first 4 s)")
    right.barh(names, kb, color=colors)
    right.set_xlabel("Jivo KB before the trigger (median)")
    for axis, values, digits in ((left, tbt, 0), (right, kb, 0)):
        for y, value in enumerate(values):
            axis.text(value, y, f" {value:,.{digits}f}", va="center", fontsize=8)
        axis.spines[["top", "right"]].set_visible(False)
    figure.suptitle(
        f"Jivo widget cost by loading strategy (CPU {CPU_THROTTLE}x throttled, heavy stand-in)",
        fontsize=11,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    """Run the page benchmark, print a Markdown table and write the chart."""
    parser = argparse.ArgumentParser(prog="bench_page", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="configuration names (default: all)")
    parser.add_argument("--json", type=Path, help="also write the runs as JSON here")
    args = parser.parse_args(argv)
    configs = [c for c in CONFIGS if not args.only or c.name in args.only or c.name == "no widget"]
    started = time.perf_counter()
    results = run_all(args.runs, configs)
    rows = summary(results, configs)
    print_table(rows, results, args.runs)
    chart(rows, CHART)
    if not args.only:  # a partial run does not replace the demo's figures
        DEMO_COSTS.write_text(
            json.dumps(
                {
                    "measured": time.strftime("%Y-%m-%d"),
                    "runs": args.runs,
                    "load_average": round(os.getloadavg()[0], 1),
                    "rows": [
                        {k: row[k] for k in ("name", "kb_before", "tbt_before", "ratio")}
                        for row in rows
                    ],
                },
                indent=1,
            )
            + "\n"
        )
    print(f"\nchart: {CHART.relative_to(HERE.parent)} ({time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(
            json.dumps({"rows": rows, "calibration": results.calibration}, indent=1)
        )


if __name__ == "__main__":
    main()
