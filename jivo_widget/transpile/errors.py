"""The errors of the callbacks compiler; they live in :mod:`jivo_widget.errors` with every other
error of the toolkit and are re-exported here, where the compiler's users meet them."""

from __future__ import annotations

from jivo_widget.errors import CallbackSourceError, TranscryptFailed, TranscryptMissing
from jivo_widget.errors import SourceProblem as Problem

__all__ = [
    "CallbackSourceError",
    "Problem",
    "TranscryptFailed",
    "TranscryptMissing",
]
