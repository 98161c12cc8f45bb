"""Jivo callbacks written in Python, compiled to small plain JavaScript.

Pipeline (design.md §2): :mod:`.check` (the allow-list, errors at the user's line) ->
:mod:`.lower` (rewrites giving Python's meaning) -> :mod:`.runner` (Transcrypt 3.9.5 in a
subprocess) -> :mod:`.link` (one runtime-free classic script, only the helpers used), with
:mod:`.cache` keyed by content. Transcrypt and the JS parser come with the ``callbacks`` extra.

>>> compiled = compile_callbacks(open("jivo_callbacks.py").read(), "jivo_callbacks.py")
>>> compiled.standalone_script()  # what `jivo-widget compile` writes
"""

from jivo_widget.transpile.compiler import (
    CompiledCallbacks,
    check_source,
    compile_callbacks,
    compile_many,
    read_source,
    select_functions,
)
from jivo_widget.transpile.errors import (
    CallbackSourceError,
    Problem,
    TranscryptFailed,
    TranscryptMissing,
)

__all__ = [
    "CallbackSourceError",
    "CompiledCallbacks",
    "Problem",
    "TranscryptFailed",
    "TranscryptMissing",
    "check_source",
    "compile_callbacks",
    "compile_many",
    "read_source",
    "select_functions",
]
