"""The ``jivo-widget`` command line: one command per module.

``render`` (:mod:`.render`), ``static-js`` (:mod:`.static_js`), ``compile`` and ``check``
(:mod:`.compile`), ``token`` (:mod:`.token`), ``serve`` (:mod:`.serve`), ``trigger``
(:mod:`.trigger`), ``events`` (:mod:`.events`), ``demo`` (:mod:`.demo`). The group and the
exit statuses live in :mod:`._group`; the webhook commands' shared options in :mod:`._options`.

Exit statuses: 0 ok, 1 runtime failure, 2 bad usage or input, chosen by the error's class.
Errors are one line on stderr; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

from jivo_widget.cli._errors import BadInput, RuntimeFailure
from jivo_widget.cli._group import cli, main

__all__ = ["BadInput", "RuntimeFailure", "cli", "main"]
