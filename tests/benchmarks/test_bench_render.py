"""The render benchmark's size figures: what a glue adds to a gzip page."""

from __future__ import annotations

import gzip

from benchmarks import bench_render


def test_what_the_glue_adds_to_a_gzip_page() -> None:
    html = bench_render._external()
    assert bench_render.added_to_page("") == 0
    added = bench_render.added_to_page(html)
    # Less than its own gzip size (the container's 18 B come once per page), and more than
    # the request's data alone, which the tag carries.
    assert 0 < added < len(gzip.compress(html.encode(), 9)) - 10
    assert added > len(gzip.compress(html.split("data-jivo='")[1].encode(), 9)) - 18
