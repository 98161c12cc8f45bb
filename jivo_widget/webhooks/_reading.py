"""Reading a request body without ever holding more than the cap.

``Content-Length`` is only a hint to refuse early: the bytes are counted either way, so a lying
or missing length (a chunked body) cannot get past the cap.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable

__all__ = ["ascii_number", "declared_length", "read_capped", "read_capped_blocking"]

#: How much of an over-the-cap body is read and thrown away so the client can read the 413
#: (a client still writing its body would otherwise see a connection reset instead).
_DISCARD_FACTOR = 16


def ascii_number(text: str) -> int | None:
    """``text`` (blanks around it allowed) as a non-negative integer if it is 1-18 ASCII digits.

    Not ``str.isdigit()``: it is true for ``"²"`` and ``"①"``, which ``int()`` refuses, and
    ``int()`` itself raises past CPython's 4,300-digit limit. Eighteen digits always fit a
    64-bit integer; anything longer is no chat id and no body length we would accept.
    """
    digits = text.strip()
    if 0 < len(digits) <= 18 and digits.isascii() and digits.isdecimal():
        return int(digits)
    return None


def declared_length(header: str | None) -> int | None:
    """A ``Content-Length`` header's value, or ``None`` when absent or unparseable (the server
    enforces framing, and the bytes are counted anyway)."""
    return None if header is None else ascii_number(header)


async def read_capped(
    chunks: AsyncIterable[bytes],
    cap: int,
    content_length: str | None = None,
    *,
    expect_continue: bool = False,
) -> bytes | None:
    """The body ``chunks`` make up, or ``None`` as soon as it is over ``cap`` bytes.

    ``expect_continue``: the client sent ``Expect: 100-continue`` and waits before sending its
    body. A declared length over the cap is then refused without reading anything, since asking
    an ASGI server for the body makes it send ``100 Continue`` (an invitation to send it all).
    """
    declared = declared_length(content_length)
    if declared is not None and declared > cap and expect_continue:
        return None
    iterator = aiter(chunks)
    if declared is not None and declared > cap:
        await _discard(iterator, 0, cap * _DISCARD_FACTOR)
        return None
    parts: list[bytes] = []
    size = 0
    async for chunk in iterator:
        size += len(chunk)
        if size > cap:
            await _discard(iterator, size, cap * _DISCARD_FACTOR)
            return None
        parts.append(chunk)
    return b"".join(parts)


async def _discard(iterator: AsyncIterator[bytes], size: int, limit: int) -> None:
    async for chunk in iterator:
        size += len(chunk)
        if size > limit:
            return


def read_capped_blocking(
    read: Callable[[int], bytes], cap: int, content_length: str | None
) -> bytes | None:
    """:func:`read_capped` for WSGI: ``read(n)`` is ``wsgi.input.read``. ``None`` if over."""
    declared = declared_length(content_length)
    if declared is not None and declared > cap:
        return None
    # Read at most one byte past the cap: enough to know the body is too large.
    wanted = cap + 1 if declared is None else declared
    parts: list[bytes] = []
    size = 0
    while size < wanted:
        chunk = read(min(65536, wanted - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return None if size > cap else b"".join(parts)
