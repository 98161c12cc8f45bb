"""Programs on which the differential fuzzer once found Chromium and CPython disagreeing.

Each stays here as a fixed example (test_transpile_fuzz.py runs them through the same check);
the comment says what was wrong and where it was fixed.
"""

from __future__ import annotations

REGRESSIONS = [
    # Float floor division: Math.floor(1 / 0.1) is 10, Python's 1 // 0.1 is 9.0 (helpers.js
    # _jw_floordiv now follows CPython's float algorithm). Found while writing the generator.
    "def jivo_onLoadCallback():\n    return [1 // 0.1, -7.5 // 2, 7 // -2, 0.5 // 0.1]\n",
]
