"""The one serializer for data that ends up inside a ``<script>`` element.

Everything jivo-widget puts into a page goes through :func:`script_json`. The output is JSON in
which ``<``, ``>``, ``&``, ``'``, U+2028 and U+2029 are written as ``\\uXXXX`` escapes: escaping
every ``<`` covers ``</script``, ``<script`` and ``<!--`` (which would otherwise switch the HTML
tokenizer into the "double escaped" state), and the line separators were SyntaxErrors inside JS
strings before ES2019. The result is safe in a script element and in a single-quoted attribute,
and parses back to exactly the same value.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["script_json"]

# ensure_ascii=True already writes U+2028/U+2029 (and lone surrogates, which could not even be
# encoded as UTF-8) as \u escapes; the four HTML-significant ASCII characters are left.
_encoder = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def script_json(value: Any) -> str:
    """Serialize ``value`` as JSON that can be placed verbatim inside an inline ``<script>``.

    Raises :class:`ValueError` for NaN/Infinity (not JSON) and :class:`TypeError` for values JSON
    cannot represent.
    """
    text = _encoder.encode(value)
    # Four str.replace calls beat str.translate by a wide margin on typical short payloads.
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )
