"""The compile cache: one JSON file per (source, file name, toolkit, Transcrypt) key.

Compiling takes a Transcrypt subprocess (~0.3 s); a hit must cost milliseconds. Entries live
in the user cache directory (``platformdirs``), or in ``$JIVO_CACHE_DIR``. Writes go to a
temporary file in the same directory and are renamed into place, so a reader never sees half an
entry and several processes compiling the same module at once simply write the same bytes. An
entry that does not parse, has the wrong key or fails its checksum is ignored (and replaced by
the recompiled one): a corrupt entry is never served.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["CACHE_ENV", "CacheEntry", "cache_dir", "cache_key", "load", "store"]

#: Environment variable that overrides the cache directory.
CACHE_ENV = "JIVO_CACHE_DIR"
_FORMAT = 1
# The compiler's own files: a change in any of them must miss the cache, even within a release.
_COMPILER_FILES = ("helpers.js", "check.py", "lower.py", "link.py", "subset.py", "compiler.py")


@dataclass(frozen=True)
class CacheEntry:
    """A cached compile: the linked module expression and the handlers it exports."""

    expression: str
    handlers: dict[str, list[str]]


def cache_dir() -> Path:
    """``$JIVO_CACHE_DIR``, else the platform's user cache dir for jivo-widget."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("jivo-widget", appauthor=False)) / "callbacks"


@functools.cache
def _compiler_fingerprint() -> str:
    from jivo_widget._version import __version__
    from jivo_widget.transpile.runner import TRANSCRYPT_VERSION

    digest = hashlib.sha256(f"{__version__}\0{TRANSCRYPT_VERSION}\0".encode())
    package = resources.files("jivo_widget.transpile")
    for name in _COMPILER_FILES:
        digest.update(package.joinpath(name).read_bytes())
    return digest.hexdigest()


def cache_key(source: str, filename: str) -> str:
    """The key of a compile: source content, the name shown in errors, the compiler's version."""
    digest = hashlib.sha256()
    for part in (_compiler_fingerprint(), filename, source):
        encoded = part.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
    return digest.hexdigest()


def _checksum(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def load(key: str, directory: Path | None = None) -> CacheEntry | None:
    """The entry for ``key``, or ``None`` when it is missing or corrupt."""
    path = (directory or cache_dir()) / f"{key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        payload = data["payload"]
        if (
            data.get("format") != _FORMAT
            or payload.get("key") != key
            or data.get("sha256") != _checksum(payload)
        ):
            return None
        expression, handlers = payload["expression"], payload["handlers"]
        if not isinstance(expression, str) or not isinstance(handlers, dict):
            return None
        return CacheEntry(expression, {str(k): [str(f) for f in v] for k, v in handlers.items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def store(key: str, entry: CacheEntry, directory: Path | None = None) -> None:
    """Write the entry atomically; a cache that cannot be written is skipped, never fatal."""
    directory = directory or cache_dir()
    payload = {"key": key, "expression": entry.expression, "handlers": entry.handlers}
    text = json.dumps({"format": _FORMAT, "payload": payload, "sha256": _checksum(payload)})
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{key[:16]}-", suffix=".tmp", dir=directory)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, directory / f"{key}.json")
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
