"""Running Transcrypt 3.9.5: a subprocess with ``-n``, in a private temporary directory.

Why this way (transcrypt.md §2): Transcrypt's in-process ``main()`` rewrites ``sys.path`` and
keeps global state; without ``-n`` it runs Java for 5 s (or aborts without Java); ``-b`` wipes
its whole output directory, so it only ever gets a fresh one of ours; it prints errors on
stdout and may exit 0 on failure, so we parse what it says and check the file it must write.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jivo_widget.transpile.errors import TranscryptFailed, TranscryptMissing

__all__ = [
    "INSTALL_HINT",
    "TRANSCRYPT_VERSION",
    "TranscryptOutput",
    "ensure_available",
    "run",
    "run_many",
]

#: The one Transcrypt release the lowering and the linker are proven against.
TRANSCRYPT_VERSION = "3.9.5"
INSTALL_HINT = "pip install 'jivo-widget[callbacks]'"
#: A compile takes 0.2-1 s; a minute means it hangs.
TIMEOUT_SECONDS = 60.0
_MODULE = "jivo_callbacks"


@dataclass(frozen=True)
class TranscryptOutput:
    """What one run produced: the module's JavaScript and everything it printed."""

    javascript: str
    printed: str


#: The other modules of the ``callbacks`` extra (import name -> distribution).
EXTRA_MODULES = {
    "tree_sitter": "tree-sitter",
    "tree_sitter_javascript": "tree-sitter-javascript",
    "platformdirs": "platformdirs",
    "rjsmin": "rjsmin",
}


def ensure_available() -> None:
    """Raise :class:`TranscryptMissing` (saying what to install) unless the ``callbacks`` extra
    is installed: Transcrypt 3.9.5 and the parser, cache and minifier libraries.

    Checked once per process when it succeeds (find_spec and metadata reads cost milliseconds).
    """
    _check_extra()


@functools.cache
def _check_extra() -> None:
    try:
        spec = importlib.util.find_spec("transcrypt.__main__")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise TranscryptMissing(
            f"compiling Python callbacks needs Transcrypt {TRANSCRYPT_VERSION}, which is not "
            f"installed: {INSTALL_HINT}"
        )
    from importlib import metadata

    try:
        version = metadata.version("transcrypt")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source checkout on sys.path
        return
    if version != TRANSCRYPT_VERSION:
        raise TranscryptMissing(
            f"compiling Python callbacks needs Transcrypt {TRANSCRYPT_VERSION}, found {version}: "
            f"{INSTALL_HINT}"
        )
    missing = [dist for module, dist in EXTRA_MODULES.items() if _find(module) is None]
    if missing:
        raise TranscryptMissing(
            f"compiling Python callbacks needs {', '.join(missing)} (the callbacks extra): "
            f"{INSTALL_HINT}"
        )


def _find(module: str) -> object:
    try:
        return importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None


def run(python_source: str, timeout: float = TIMEOUT_SECONDS) -> TranscryptOutput:
    """Compile one module with Transcrypt; raise :class:`TranscryptFailed` when it fails."""
    return run_many([python_source], timeout)[0]


def run_many(python_sources: list[str], timeout: float | None = None) -> list[TranscryptOutput]:
    """Compile several modules in one Transcrypt run (a main module imports them all).

    One process start and one parse of Transcrypt itself instead of one per module: the corpus
    and the fuzzer compile hundreds of modules this way.
    """
    ensure_available()
    if not python_sources:
        return []
    if timeout is None:  # a busy machine compiles a batch of hundreds in tens of seconds
        timeout = TIMEOUT_SECONDS + len(python_sources)
    names = [f"{_MODULE}_{index}" for index in range(len(python_sources))]
    with tempfile.TemporaryDirectory(prefix="jivo-transcrypt-") as work:
        for name, text in zip(names, python_sources, strict=True):
            (Path(work) / f"{name}.py").write_text(text, encoding="utf-8")
        if len(names) == 1:
            main = Path(work) / f"{names[0]}.py"
        else:
            main = Path(work) / f"{_MODULE}_batch.py"
            main.write_text("".join(f"import {name}\n" for name in names), encoding="utf-8")
        target = Path(work) / "target"
        command = [sys.executable, "-m", "transcrypt", "-b", "-n", "-od", str(target), str(main)]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8"}
        try:
            done = subprocess.run(
                command,
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            printed = _text(exc.stdout) + _text(exc.stderr)
            message = f"Transcrypt did not finish within {timeout:g} s"
            raise TranscryptFailed(message, printed) from None
        printed = done.stdout + done.stderr
        outputs = [target / f"{name}.js" for name in names]
        said_error = "Error while compiling" in done.stdout or "Aborted" in done.stdout
        if done.returncode != 0 or said_error or not all(o.is_file() for o in outputs):
            raise TranscryptFailed(f"Transcrypt failed (exit status {done.returncode})", printed)
        return [TranscryptOutput(o.read_text(encoding="utf-8"), printed) for o in outputs]


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data
