"""Running Transcrypt 3.9.5: a subprocess with ``-n``, in a private temporary directory.

Why this way (transcrypt.md §2): Transcrypt's in-process ``main()`` rewrites ``sys.path`` and
keeps global state; without ``-n`` it runs Java for 5 s (or aborts without Java); ``-b`` wipes
its whole output directory, so it only ever gets a fresh one of ours; it prints errors on
stdout and may exit 0 on failure, so we parse what it says and check the file it must write.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jivo_widget.transpile.errors import TranscryptFailed, TranscryptMissing

__all__ = ["INSTALL_HINT", "TRANSCRYPT_VERSION", "TranscryptOutput", "ensure_available", "run"]

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


def ensure_available() -> None:
    """Raise :class:`TranscryptMissing` (saying what to install) unless Transcrypt 3.9.5 is."""
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


def run(python_source: str, timeout: float = TIMEOUT_SECONDS) -> TranscryptOutput:
    """Compile one module with Transcrypt; raise :class:`TranscryptFailed` when it fails."""
    ensure_available()
    with tempfile.TemporaryDirectory(prefix="jivo-transcrypt-") as work:
        source = Path(work) / f"{_MODULE}.py"
        source.write_text(python_source, encoding="utf-8")
        target = Path(work) / "target"
        command = [sys.executable, "-m", "transcrypt", "-b", "-n", "-od", str(target), str(source)]
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
            raise TranscryptFailed(
                f"Transcrypt did not finish within {timeout:g} s", printed
            ) from None
        printed = done.stdout + done.stderr
        output = target / f"{_MODULE}.js"
        failed = (
            done.returncode != 0
            or "Error while compiling" in done.stdout
            or "Aborted" in done.stdout
        )
        if failed or not output.is_file():
            raise TranscryptFailed(f"Transcrypt failed (exit status {done.returncode})", printed)
        return TranscryptOutput(output.read_text(encoding="utf-8"), printed)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data
