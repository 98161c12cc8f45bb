"""The page benchmark's own parts: the heavy stand-in has Jivo's profile, the figures add up.

The benchmark itself runs with ``make bench``; these check what its numbers rest on.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from benchmarks import bench_page


def test_the_stand_in_weighs_what_jivo_does() -> None:
    bodies = bench_page.stand_in(per_ms=1000)
    sizes = {url: len(body) for url, (_, body) in bodies.items()}
    loader = f"https://code.jivosite.com/widget/{bench_page.WIDGET_ID}"
    assert 20_000 <= sizes[loader] < 20_200
    assert 280_000 <= sizes[bench_page.BUNDLE_URL] < 280_200
    assert 295_000 < sum(sizes.values()) < 330_000  # ≈ 300 KB of script, plus CSS and an image
    # Every Jivo URL it answers is one the test routes (the loader's and its follow-ups).
    assert all(bench_page.JIVO_URL.match(url) for url in bodies)


def test_the_stand_in_work_adds_up_to_about_a_second_under_the_throttle() -> None:
    total = (
        bench_page.LOADER_WORK_MS
        + bench_page.BUNDLE_EVAL_MS
        + bench_page.INIT_TASKS * bench_page.INIT_TASK_MS
    )
    assert 950 <= total <= 1050


def test_the_stand_in_scripts_are_valid_javascript(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.fail("node not found: Node.js checks the scripts' syntax (it builds the JS too)")
    bodies = bench_page.stand_in(per_ms=1000)
    scripts = {url: body for url, (kind, body) in bodies.items() if "javascript" in kind}
    scripts["app.js"] = bench_page.app_js(1000).encode()
    for i, body in enumerate(scripts.values()):
        path = tmp_path / f"s{i}.js"
        path.write_bytes(body)
        result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_blocking_time_counts_the_part_of_long_tasks_over_50_ms_in_the_window() -> None:
    tasks = [[10.0, 120.0], [500.0, 50.0], [900.0, 80.0], [4100.0, 300.0]]
    assert bench_page._tbt(tasks, 0, 4000) == 70 + 0 + 30
    assert bench_page._tbt(tasks, 0, 900) == 70  # a task starting at the trigger is after it


def test_jivo_bytes_are_those_requested_before_the_cut() -> None:
    sizes = {"https://code.jivosite.com/widget/X": 20, "https://code.jivosite.com/js/b.js": 280}
    entries = [
        ["https://code.jivosite.com/widget/X", 100.0],
        ["https://code.jivosite.com/js/b.js?rand=5", 300.0],
    ]
    assert bench_page._jivo_bytes(entries, sizes, 100.0) == 0
    assert bench_page._jivo_bytes(entries, sizes, 200.0) == 20
    assert bench_page._jivo_bytes(entries, sizes, 301.0) == 300
