"""The errors of the callbacks compiler (all under :class:`jivo_widget.errors.JivoError`)."""

from __future__ import annotations

from dataclasses import dataclass

from jivo_widget.errors import JivoConfigError, JivoError

__all__ = [
    "CallbackSourceError",
    "Problem",
    "TranscryptFailed",
    "TranscryptMissing",
]


@dataclass(frozen=True)
class Problem:
    """One thing the checker refuses, at the user's line: what it is and what to write instead."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class CallbackSourceError(JivoConfigError):
    """A callbacks module uses Python the browser cannot run with Python's meaning.

    ``problems`` lists every refusal (``file:line:col: what; what to write instead``), in source
    order; the message is those lines.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.line, p.col, p.message)))
        super().__init__("\n".join(str(p) for p in self.problems))


class TranscryptMissing(JivoError):
    """Transcrypt is not installed: the message says what to install."""


class TranscryptFailed(JivoError):
    """Transcrypt crashed, failed or timed out on code the checker accepted (a bug of ours or
    of Transcrypt's): ``output`` is what it printed."""

    def __init__(self, message: str, output: str = "") -> None:
        self.output = output
        super().__init__(
            message + (f"\n--- Transcrypt output ---\n{output.strip()}" if output.strip() else "")
        )
