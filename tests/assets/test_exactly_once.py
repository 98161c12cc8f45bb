"""Property: every queued ``jivo_api`` call and every handler runs exactly once, whatever the
strategy and the timing.

Hypothesis draws batches of scenarios: a loading strategy (with or without the facade), the
glue inline or external (its static part a file, ``static_url``), an order of arrival (the
glue first; Jivo's loader before the glue; Jivo already initialised when the glue comes; the
glue added after the page loaded, as an SPA does), the moments at which
the page queues calls (in the glue's data, right after the glue, at DOMContentLoaded, before the
trigger, right after it, after Jivo is ready) and registers a handler, and how the page defines
its own ``jivo_onOpen`` (none, a declaration before or after the glue, the wrapper pattern).
Each scenario runs in an iframe of one page, so a batch costs one page load: the frames run
stage by stage (settle, calls, trigger, calls, Jivo ready, calls, jivo_onOpen fired).

Checked in every frame: the calls arrive in the order they were made, each once; the configured
``jivo_onLoadCallback`` handler ran once; each ``jivo_onOpen`` handler ran once per time Jivo
fired it since the handler existed; the mock saw no contract violation and no page error.
(Handlers compiled from Python are not wired into ``Widget`` yet; they are to join the same
handlers object, and so this fan-out.)

Cost: a batch is one page load, ≈ 2 s. ``make test`` runs two covering batches (every
strategy in each: inline without the facade, then external with it; between them every order
of arrival, every way of defining ``jivo_onOpen``, every call moment) and
``$JIVO_WIDGET_PROPERTY_BATCHES`` (default 2) drawn ones; a thorough run sets it higher:
``make test-thorough`` runs 50.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Page

from jivo_widget import Widget
from jivo_widget.testing import JivoMock

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Glue = Callable[..., Widget]

LOADER = "https://code.jivosite.com/widget/AbCdEf1234"
STRATEGIES = ["eager", "onload", "idle", "interaction", "click", "visible", "consent", "manual"]
ORDERS = ["glue-first", "loader-first", "ready-first", "glue-late"]
MOMENTS = ["inline", "domcontentloaded", "before-trigger", "after-trigger", "after-load"]
PAGE_FUNCTIONS = ["none", "declared-before", "declared-after", "wrapper-after"]
HANDLERS = {
    "jivo_onLoadCallback": "seen.push('cfg:load')",
    "jivo_onOpen": "seen.push('cfg:open')",
}

# In every frame, before anything else.
PRELUDE = """<script>
window.seen = []; window.issued = []; window.onAt = -1;
function issue(tags) {
  tags.forEach(function (tag) {
    issued.push(tag);
    jivoWidget.call("setCustomData", [{content: tag}]);
  });
}
function opens() {
  return __jivoMock.callbacks.filter(function (c) { return c.name === "jivo_onOpen"; }).length;
}
function registerOn() {
  onAt = opens();
  jivoWidget.on("jivo_onOpen", function () { seen.push("on:open"); });
}
</script>"""

# The trigger of each strategy, run in the frame (frames share cookies: one name per frame).
TRIGGERS = {
    "eager": "",
    "onload": "",
    "idle": "",
    "interaction": "window.dispatchEvent(new KeyboardEvent('keydown', {key: 'a'}));",
    "click": "document.querySelector('.chat').click();",
    "visible": "document.getElementById('contact').scrollIntoView();",
    "consent": "document.cookie = 'consent_' + frameIndex + '=yes'; jivoWidget.consent();",
    "manual": "jivoWidget.load();",
}
# The facade is gone already when Jivo was there first (or loaded by an eager strategy).
FACADE_TRIGGER = "var b = document.querySelector('#jivo-facade button'); if (b) b.click();"


@dataclass(frozen=True)
class Scenario:
    strategy: str
    facade: bool
    external: bool  # the glue's static part as a file (static_url), its data inline
    idle_timeout: float
    order: str
    page_function: str
    calls: tuple[tuple[str, int], ...]  # (moment, how many)
    on_moment: str | None  # when jivoWidget.on registers a jivo_onOpen handler

    def count(self, moment: str) -> int:
        return sum(n for m, n in self.calls if m == moment)


scenarios = st.builds(
    Scenario,
    strategy=st.sampled_from(STRATEGIES),
    facade=st.booleans(),
    external=st.booleans(),
    idle_timeout=st.sampled_from([0.05, 0.5]),
    order=st.sampled_from(ORDERS),
    page_function=st.sampled_from(PAGE_FUNCTIONS),
    calls=st.lists(st.tuples(st.sampled_from(MOMENTS), st.integers(1, 2)), max_size=4).map(tuple),
    on_moment=st.none()
    | st.sampled_from(["inline", "before-trigger", "after-trigger", "after-load"]),
)


#: Drawn batches per run (besides the covering ones below).
BATCHES = int(os.environ.get("JIVO_WIDGET_PROPERTY_BATCHES", "2"))


def _covering(facade: bool, external: bool, shift: int) -> list[Scenario]:
    """One scenario per strategy; orders, page functions, call moments and the moment of
    ``jivoWidget.on`` rotate with ``shift``, so two batches cover each of them."""
    on_moments = [None, "inline", "before-trigger", "after-trigger", "after-load"]
    return [
        Scenario(
            strategy=strategy,
            facade=facade,
            external=external,
            idle_timeout=0.05,
            order=ORDERS[(i + shift) % len(ORDERS)],
            page_function=PAGE_FUNCTIONS[(i + shift) % len(PAGE_FUNCTIONS)],
            calls=tuple((MOMENTS[(i + j + shift) % len(MOMENTS)], 1 + j % 2) for j in range(3)),
            on_moment=on_moments[(i + shift) % len(on_moments)],
        )
        for i, strategy in enumerate(STRATEGIES)
    ]


#: Every strategy with and without the facade, inline and external (the first batch inline
#: without the facade, the second external with it), every order, page function and moment.
COVERING = [_covering(False, False, 0), _covering(True, True, 1)]


def _script(code: str) -> str:
    return f"<script>{code}</script>" if code else ""


def _tags(index: int, moment: str, n: int) -> str:
    return json.dumps([f"{moment}-{index}-{i}" for i in range(n)])


class Batch:
    """The frames of one page, one scenario each, driven stage by stage."""

    def __init__(self, page: Page, live_server: Any, glue_for: Callable[[Scenario], Any]) -> None:
        self.page = page
        self.server = live_server
        self.glue_for = glue_for

    def frame_html(self, index: int, scenario: Scenario) -> tuple[str, str | None]:
        """The frame's HTML, and the glue's (data, code) to inject later for late orders."""
        glue = self.glue_for(scenario)
        rendered = str(glue.render(custom_data=[{"content": f"data-{index}"}]))
        late = scenario.order in ("ready-first", "glue-late")
        inline = f"issue({_tags(index, 'inline', scenario.count('inline'))});"
        inline += "registerOn();" if scenario.on_moment == "inline" else ""
        dcl = f"issue({_tags(index, 'domcontentloaded', scenario.count('domcontentloaded'))});"
        parts = [PRELUDE, f"<script>window.frameIndex = {index};</script>"]
        if scenario.page_function == "declared-before":
            parts.append("<script>function jivo_onOpen() { seen.push('page:open') }</script>")
        if scenario.order in ("loader-first", "ready-first"):
            parts.append(f'<script src="{LOADER}"></script>')
        if not late:
            parts.append(rendered)
            parts.append(_script(inline))
            parts.append(
                _script(f"document.addEventListener('DOMContentLoaded', function () {{{dcl}}});")
            )
        elif glue.facade is not None:
            parts.append(glue.render_facade())
        if scenario.page_function == "declared-after":
            parts.append("<script>function jivo_onOpen() { seen.push('page:open') }</script>")
        if scenario.page_function == "wrapper-after":
            parts.append(
                "<script>var old = window.jivo_onOpen; window.jivo_onOpen = function () {"
                " if (old) old.apply(this, arguments); seen.push('page:open') };</script>"
            )
        parts.append(
            "<button class='chat'>Chat</button><div style='height: 1200px'></div>"
            "<footer id='contact'>Contact</footer>"
        )
        inject = None
        script = glue.static_script
        if script is not None:
            self.server.add(script.url, script.text, "text/javascript")
        if late:
            inject = json.dumps(
                [
                    glue.render_data(custom_data=[{"content": f"data-{index}"}]),
                    glue.renderer.bootstrap if script is None else None,
                    None if script is None else [script.url, script.integrity],
                    inline + dcl,
                ]
            )
        return "".join(parts), inject

    def run(self, batch: list[Scenario]) -> list[dict[str, Any]]:
        injections = []
        frames_html = []
        for index, scenario in enumerate(batch):
            html, inject = self.frame_html(index, scenario)
            path = self.server.add(f"/frame{index}", f"<!doctype html><body>{html}</body>")
            frames_html.append(f"<iframe src='{path}' width='320' height='160'></iframe>")
            injections.append(inject)
        self.page.goto(self.server.add("/", "<!doctype html><body>" + "".join(frames_html)))
        frames = [self.frame(i) for i in range(len(batch))]

        def each(stage: Callable[[Frame, Scenario, int], None]) -> None:
            for index, (frame, scenario) in enumerate(zip(frames, batch, strict=True)):
                stage(frame, scenario, index)

        def inject(frame: Frame, scenario: Scenario, index: int) -> None:
            if injections[index] is None:
                return
            if scenario.order == "ready-first":
                frame.wait_for_function("window.__jivoMock.loaded")
            # Inline: the script runs as it is added. External: once its file has loaded.
            frame.evaluate(
                """([data, code, file, after]) => new Promise((resolve, reject) => {
                const s = document.createElement("script");
                s.dataset.jivo = data;
                const go = () => { (0, eval)(after); resolve(); };
                if (file) {
                  [s.src, s.integrity, s.crossOrigin] = [file[0], file[1], "anonymous"];
                  s.onload = go; s.onerror = reject;
                  document.body.appendChild(s);
                } else {
                  s.textContent = code; document.body.appendChild(s); go();
                } })""",
                json.loads(injections[index]),
            )

        def calls_at(moment: str) -> Callable[[Frame, Scenario, int], None]:
            def stage(frame: Frame, scenario: Scenario, index: int) -> None:
                code = f"issue({_tags(index, moment, scenario.count(moment))});"
                if scenario.on_moment == moment:
                    code += "registerOn();"
                frame.evaluate(f"() => {{ {code} }}")

            return stage

        def trigger(frame: Frame, scenario: Scenario, index: int) -> None:
            code = TRIGGERS[scenario.strategy]
            if scenario.facade:
                # The visitor clicks the facade; with consent, before giving it.
                code = FACADE_TRIGGER + (code if scenario.strategy == "consent" else "")
            after = f"issue({_tags(index, 'after-trigger', scenario.count('after-trigger'))});"
            if scenario.on_moment == "after-trigger":
                after += "registerOn();"
            frame.evaluate(f"() => {{ {code} {after} }}")

        def ready(frame: Frame, scenario: Scenario, index: int) -> None:
            try:
                frame.wait_for_function("window.__jivoMock.loaded")
            except PlaywrightError:
                status = frame.evaluate(
                    "[__jivoMock.read('status'), [...document.scripts].map(s => s.src)]"
                )
                raise AssertionError(
                    f"frame {index}: Jivo never ready: {status}\n{scenario}"
                ) from None

        def fire(frame: Frame, scenario: Scenario, index: int) -> None:
            frame.evaluate("__jivoMock.fire('jivo_onOpen')")

        each(inject)
        each(calls_at("before-trigger"))
        each(trigger)
        each(ready)
        each(calls_at("after-load"))
        each(fire)
        return [
            frame.evaluate(
                """() => ({issued: issued, seen: seen, onAt: onAt, opens: opens(),
                calls: JSON.parse(__jivoMock.read("calls")),
                violations: __jivoMock.violations.map(v => v.message),
                errors: __jivoMock.pageErrors.map(e => e.message)})"""
            )
            for frame in frames
        ]

    def frame(self, index: int) -> Frame:
        for frame in self.page.frames:
            if frame.url.endswith(f"/frame{index}"):
                return frame
        raise AssertionError(f"frame {index} not found")


def check(index: int, scenario: Scenario, result: dict[str, Any]) -> None:
    where = f"frame {index}: {scenario}"
    assert result["violations"] == [] and result["errors"] == [], where
    delivered = [
        call["args"][0][0]["content"] for call in result["calls"] if call["name"] == "setCustomData"
    ]
    assert delivered == [f"data-{index}", *result["issued"]], where
    seen, opens = result["seen"], result["opens"]
    assert seen.count("cfg:load") == 1, where
    assert opens >= 1, where
    assert seen.count("cfg:open") == opens, where
    if scenario.page_function != "none":
        assert seen.count("page:open") == opens, where
    expected_on = opens - result["onAt"] if scenario.on_moment is not None else 0
    assert seen.count("on:open") == expected_on, where


@settings(
    max_examples=BATCHES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(scenarios, min_size=8, max_size=14))
@example(batch=COVERING[0])
@example(batch=COVERING[1])
def test_every_call_and_handler_runs_exactly_once(
    page: Page, jivo_mock: JivoMock, live_server: Any, lazy_widget: Glue, batch: list[Scenario]
) -> None:
    cache: dict[tuple[str, bool, bool, float], Any] = {}

    def glue_for(scenario: Scenario) -> Any:
        key = (scenario.strategy, scenario.facade, scenario.external, scenario.idle_timeout)
        if key not in cache:
            options = {
                "idle": {"timeout": scenario.idle_timeout},
                "click": {"selector": ".chat", "open": False},
                "visible": {"selector": "#contact"},
                "consent": {
                    "predicate": "return document.cookie.indexOf('consent_' +"
                    " window.frameIndex + '=yes') >= 0"
                },
            }.get(scenario.strategy)
            cache[key] = lazy_widget(
                scenario.strategy,
                options,
                facade=scenario.facade,
                handlers=HANDLERS,
                static_url="/static/" if scenario.external else None,
            )
        return cache[key]

    page.set_default_timeout(8000)
    results = Batch(page, live_server, glue_for).run(batch)
    for index, (scenario, result) in enumerate(zip(batch, results, strict=True)):
        check(index, scenario, result)
