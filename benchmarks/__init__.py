"""Benchmarks run by ``make bench`` (``python -m benchmarks``).

Each ``bench_*.py`` module has a ``main()`` that measures against a baseline in the same run and
prints a Markdown table; figures are recorded in ``benchmarks/RESULTS.md``.
"""
