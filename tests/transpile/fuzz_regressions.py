"""Programs on which the differential fuzzer once found Chromium and CPython disagreeing.

Each stays here as a fixed example (test_transpile_fuzz.py runs them through the same check);
the comment says what was wrong and where it was fixed.
"""

from __future__ import annotations

REGRESSIONS = [
    # Float floor division: Math.floor(1 / 0.1) is 10, Python's 1 // 0.1 is 9.0 (helpers.js
    # _jw_floordiv now follows CPython's float algorithm). Found while writing the generator.
    "def jivo_onLoadCallback():\n    return [1 // 0.1, -7.5 // 2, 7 // -2, 0.5 // 0.1]\n",
    # A dict that changes size while a loop walks its items: Python raises RuntimeError, the
    # JS loop walked a snapshot silently (lower.py now watches dicts with _jw_more). Found by
    # the fuzzer (seed batch of JIVO_FUZZ_BATCHES=12), reduced by hand.
    """def jivo_onLoadCallback():
    out = []
    v2 = {"c": 1, "k": 1}
    for v27, v28 in v2.items():
        out.append(v2.pop("x", None))
        v2.update({"x": 1})
    return out
""",
    """def jivo_onLoadCallback():
    d = {"a": 1}
    for k in d:
        d["b"] = 2
    return d
""",
    """def jivo_onLoadCallback():
    d = {"a": 1, "b": 2}
    return [d.pop(k) for k in d]
""",
    """def jivo_onLoadCallback():
    d = {"a": 1, "b": 2}
    out = []
    for v in d.values():
        d["a"] = v + 1
        out.append(v)
    return [out, d]
""",
    # Python evaluates an assignment's value before the target's index: here v6[-8] raises
    # IndexError before v6.index(-2) could raise ValueError; _jw_setitem(o, k, v) evaluated k
    # first (lower.py store() now evaluates the value into a temporary first). Fuzzer, 16 batches.
    """def jivo_onLoadCallback():
    v6 = sorted([-9, 9, 2, 5])
    v6[(v6.index(-2) * sum([]))] = v6[-8]
    return v6
""",
    """def jivo_onLoadCallback():
    log = []
    holder = {"a": 1}
    def value():
        log.append("value")
        return 2
    def target():
        log.append("target")
        return holder
    target()["a"] = value()
    return [log, holder]
""",
    # Found while reviewing the helpers for the fuzzer's blind spots (not by the fuzzer: its
    # keys are always strings): a list used as a dict key is a TypeError (unhashable), not a
    # KeyError or False.
    """def jivo_onLoadCallback():
    out = []
    try:
        out.append([1] in {"a": 1})
    except TypeError:
        out.append("unhashable in")
    try:
        out.append({"a": 1}[[1]])
    except TypeError:
        out.append("unhashable key")
    return out
""",
]
