"""The compile cache: keyed by content, atomic, shared by processes, never serving a bad entry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jivo_widget.transpile import cache, compile_callbacks, runner

SOURCE = "from jivo_widget.browser import jivo_api\n\ndef jivo_onOpen():\n    jivo_api.close()\n"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "jivo-cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(directory))
    return directory


def forbid_transcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Transcrypt ran on a cache hit")

    monkeypatch.setattr(runner, "run_many", refuse)


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json"))


def test_jivo_cache_dir_overrides_and_a_hit_does_not_compile(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = compile_callbacks(SOURCE, "cb.py")
    assert not first.from_cache
    assert len(entries(cache_dir)) == 1
    forbid_transcrypt(monkeypatch)
    second = compile_callbacks(SOURCE, "cb.py")
    assert second.from_cache
    assert second == first


def test_the_default_directory_is_the_user_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    expected = Path(platformdirs.user_cache_dir("jivo-widget", appauthor=False)) / "callbacks"
    assert cache.cache_dir() == expected


def test_the_key_covers_source_file_name_and_compiler(monkeypatch: pytest.MonkeyPatch) -> None:
    key = cache.cache_key(SOURCE, "cb.py")
    assert cache.cache_key(SOURCE + "\n", "cb.py") != key
    assert cache.cache_key(SOURCE, "other.py") != key  # the name appears in error messages
    cache._compiler_fingerprint.cache_clear()
    monkeypatch.setattr(runner, "TRANSCRYPT_VERSION", "9.9.9")
    try:
        assert cache.cache_key(SOURCE, "cb.py") != key
    finally:
        cache._compiler_fingerprint.cache_clear()


def corrupt_variants(text: str) -> list[str]:
    data = json.loads(text)
    tampered = json.loads(text)
    tampered["payload"]["expression"] = "(function(){ window.__pwned = 1; return {}; })()"
    wrong_key = json.loads(text)
    wrong_key["payload"]["key"] = "0" * 64
    return [
        text[: len(text) // 2],
        "",
        "null",
        json.dumps(tampered),
        json.dumps(wrong_key),
        json.dumps({**data, "format": 99}),
    ]


@pytest.mark.parametrize("variant", range(6))
def test_a_corrupt_entry_is_recompiled_never_served(
    variant: int, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = compile_callbacks(SOURCE, "cb.py")
    (entry,) = entries(cache_dir)
    entry.write_text(corrupt_variants(entry.read_text())[variant])
    ran: list[int] = []
    real = runner.run_many

    def counting(sources: list[str], *args: object) -> object:
        ran.append(len(sources))
        return real(sources)

    monkeypatch.setattr(runner, "run_many", counting)
    again = compile_callbacks(SOURCE, "cb.py")
    assert ran == [1]
    assert not again.from_cache and again.expression == good.expression
    assert "__pwned" not in again.expression
    assert cache.load(entry.stem, cache_dir) is not None  # replaced by a good entry


def test_an_unwritable_cache_does_not_stop_compiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker / "cache"))
    assert compile_callbacks(SOURCE, "cb.py").handlers == {"jivo_onOpen": ["jivo_onOpen"]}


WORKER = textwrap.dedent(
    """
    import json, sys
    from jivo_widget.transpile import compile_callbacks
    source = sys.argv[1]
    compiled = compile_callbacks(source, "cb.py")
    print(json.dumps({"expression": compiled.expression, "cached": compiled.from_cache}))
    """
)


def test_several_processes_compiling_at_once_share_the_cache_safely(cache_dir: Path) -> None:
    sources = [SOURCE, SOURCE.replace("close", "open"), SOURCE]
    env = {**os.environ, cache.CACHE_ENV: str(cache_dir)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, source], env=env, stdout=subprocess.PIPE, text=True
        )
        for source in sources * 2
    ]
    outputs = [json.loads(w.communicate(timeout=300)[0]) for w in workers]
    assert all(w.returncode == 0 for w in workers)
    by_source: dict[str, set[str]] = {}
    for source, output in zip(sources * 2, outputs, strict=True):
        by_source.setdefault(source, set()).add(output["expression"])
    assert all(len(expressions) == 1 for expressions in by_source.values())
    assert len(entries(cache_dir)) == 2
    assert not [p for p in cache_dir.iterdir() if p.suffix != ".json"]  # no temporary left
    for entry in entries(cache_dir):
        assert cache.load(entry.stem, cache_dir) is not None
