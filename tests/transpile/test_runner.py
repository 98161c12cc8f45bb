"""Transcrypt as a subprocess: missing, wrong version, failing, hanging, private directory."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jivo_widget.transpile import TranscryptFailed, TranscryptMissing, compile_callbacks, runner

SOURCE = "def jivo_onOpen():\n    pass\n"


@pytest.fixture(autouse=True)
def recheck_the_extra() -> Iterator[None]:
    """The extra is checked once per process: start and end each test with a fresh check."""
    runner._check_extra.cache_clear()
    yield
    runner._check_extra.cache_clear()


def hide_transcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "transcrypt" or name.startswith("transcrypt."):
            return None
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_without_transcrypt_compiling_says_exactly_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hide_transcrypt(monkeypatch)
    with pytest.raises(TranscryptMissing) as caught:
        compile_callbacks(SOURCE, "cb.py", use_cache=False)
    assert str(caught.value) == (
        "compiling Python callbacks needs Transcrypt 3.9.5, which is not installed: "
        "pip install 'jivo-widget[callbacks]'"
    )


def test_another_transcrypt_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    real = metadata.version
    monkeypatch.setattr(
        metadata, "version", lambda name: "3.9.4" if name == "transcrypt" else real(name)
    )
    with pytest.raises(
        TranscryptMissing, match=r"needs Transcrypt 3\.9\.5, found 3\.9\.4: pip install"
    ):
        runner.ensure_available()


def test_a_missing_library_of_the_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a, **k: None if name == "tree_sitter" else real(name, *a, **k),
    )
    with pytest.raises(TranscryptMissing) as caught:
        compile_callbacks(SOURCE, "cb.py", use_cache=False)
    assert str(caught.value) == (
        "compiling Python callbacks needs tree-sitter (the callbacks extra): "
        "pip install 'jivo-widget[callbacks]'"
    )


def test_a_transcrypt_failure_is_reported_with_its_output() -> None:
    # Not reachable from checked code; Transcrypt given a broken module shows how it is reported.
    with pytest.raises(TranscryptFailed) as caught:
        runner.run("def broken(:\n    pass\n")
    assert "Transcrypt failed" in str(caught.value)
    assert "--- Transcrypt output ---" in str(caught.value)
    assert caught.value.output.strip()


def test_a_hanging_transcrypt_is_stopped() -> None:
    with pytest.raises(TranscryptFailed, match="did not finish within"):
        runner.run(SOURCE, timeout=0.01)


def test_it_works_in_a_private_directory_and_leaves_the_current_one_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("mine")
    created: list[str] = []
    import tempfile

    real = tempfile.TemporaryDirectory

    def recording(*args: Any, **kwargs: Any) -> Any:
        directory = real(*args, **kwargs)
        created.append(directory.name)
        return directory

    monkeypatch.setattr(tempfile, "TemporaryDirectory", recording)
    output = runner.run(SOURCE)
    assert "jivo_onOpen" in output.javascript
    assert sorted(os.listdir(tmp_path)) == ["keep.txt"]
    assert created and not any(Path(c).exists() for c in created)  # removed afterwards
