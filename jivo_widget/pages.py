"""Where the widget shows: the per-page rules of a :class:`~jivo_widget.config.Widget`.

Three config fields, shared by every integration (so one TOML file serves Django, Flask and
FastAPI alike) and read where a request is known — the template tag, the Jinja global, the
middlewares — through :func:`shows_on`:

- ``exclude_paths``: no widget on these paths. A pattern starting with ``^`` is a regular
  expression matched from the start of the path (``^/admin(/|$)``); any other is a glob that must
  start with ``/`` or ``*``, where ``*`` matches any run of characters, ``/`` included
  (``/checkout/*``), ``?`` one character and ``[…]`` a set, as in :mod:`fnmatch`.
- ``internal_ips``: no widget for visitors from these addresses or networks (``10.0.0.0/8``,
  ``127.0.0.1``, ``::1``): staff browsing their own site do not open chats or count as visitors,
  as django-analytical does. The address is the one the framework reports (``REMOTE_ADDR``,
  ``request.remote_addr``, ``request.client.host``): behind a proxy, configure the framework's
  proxy handling so that it is the visitor's.
- ``enabled_environments``: when set, the widget renders only while the environment variable
  ``JIVO_WIDGET_ENV`` names one of them (``["production", "staging"]``); unset, a development
  machine without the variable renders nothing.

``Widget.render()`` itself does not read them: it has no request. A page of your own calls
``shows_on(widget, path=…, remote_addr=…)`` first.
"""

from __future__ import annotations

import fnmatch
import functools
import ipaddress
import os
import re
from collections.abc import Sequence
from typing import Annotated, Protocol

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

__all__ = [
    "ENVIRONMENT_ENV",
    "ConfiguredPages",
    "IpNetwork",
    "PageRules",
    "PathPattern",
    "page_rules",
    "shows_on",
]

#: The environment variable naming the current environment for ``enabled_environments``.
ENVIRONMENT_ENV = "JIVO_WIDGET_ENV"

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _fail(rule: str, message: str) -> PydanticCustomError:
    # Formatted here, as config.py does: pydantic's templates know no !r.
    return PydanticCustomError(rule, message)


def _compile(pattern: str) -> re.Pattern[str]:
    """The regular expression of one ``exclude_paths`` entry (already validated)."""
    if pattern.startswith("^"):
        return re.compile(pattern)
    return re.compile(fnmatch.translate(pattern))


def _path_pattern(value: str) -> str:
    if value.startswith("^"):
        try:
            re.compile(value)
        except re.error as exc:
            raise _fail("path_pattern", f"is not a valid regular expression ({exc})") from None
    elif not value.startswith(("/", "*")):
        raise _fail(
            "path_pattern",
            f"a glob must start with / or * (a regular expression with ^), got {value!r}",
        )
    return value


def _network(value: str) -> _Network:
    return ipaddress.ip_network(value.strip(), strict=False)


def _ip_network(value: str) -> str:
    try:
        _network(value)
    except ValueError:
        raise _fail(
            "ip_network",
            f"must be an IP address or network (10.0.0.0/8, 127.0.0.1, ::1), got {value!r}",
        ) from None
    return value


#: An ``exclude_paths`` entry: a glob (``/admin/*``) or a regular expression (``^/admin``).
PathPattern = Annotated[str, AfterValidator(_path_pattern)]
#: An ``internal_ips`` entry: an address or a network in CIDR notation.
IpNetwork = Annotated[str, AfterValidator(_ip_network)]


class ConfiguredPages(Protocol):
    """What the rules are read from: a :class:`~jivo_widget.config.Widget` (named by its fields
    rather than imported, because config.py takes its field types from this module)."""

    @property
    def enabled(self) -> bool: ...
    @property
    def exclude_paths(self) -> Sequence[str]: ...
    @property
    def internal_ips(self) -> Sequence[str]: ...
    @property
    def enabled_environments(self) -> Sequence[str] | None: ...


class PageRules:
    """The compiled rules of one config: built once (see :func:`page_rules`), asked per page."""

    def __init__(
        self,
        exclude_paths: Sequence[str],
        internal_ips: Sequence[str],
        enabled_environments: Sequence[str] | None,
    ) -> None:
        self._paths = tuple(_compile(p) for p in exclude_paths)
        self._networks = tuple(_network(n) for n in internal_ips)
        self._environments = (
            None if enabled_environments is None else frozenset(enabled_environments)
        )

    def excludes_path(self, path: str) -> bool:
        """Whether ``path`` matches an ``exclude_paths`` pattern."""
        return any(pattern.match(path) for pattern in self._paths)

    def is_internal(self, remote_addr: str | None) -> bool:
        """Whether ``remote_addr`` is in ``internal_ips`` (an unparsable address is not)."""
        if not self._networks or not remote_addr:
            return False
        try:
            address = ipaddress.ip_address(remote_addr.strip())
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:10.0.0.1 from dual-stack servers
        return any(address in network for network in self._networks)

    def environment_enabled(self) -> bool:
        """Whether the current ``JIVO_WIDGET_ENV`` is enabled (always, when no list is set)."""
        if self._environments is None:
            return True
        return os.environ.get(ENVIRONMENT_ENV, "").strip() in self._environments

    def shows(self, path: str | None = None, remote_addr: str | None = None) -> bool:
        """Whether the widget shows on ``path`` for a visitor from ``remote_addr``."""
        if not self.environment_enabled():
            return False
        if path is not None and self.excludes_path(path):
            return False
        return not self.is_internal(remote_addr)


@functools.lru_cache(maxsize=64)
def _cached_rules(
    exclude_paths: tuple[str, ...],
    internal_ips: tuple[str, ...],
    enabled_environments: tuple[str, ...] | None,
) -> PageRules:
    return PageRules(exclude_paths, internal_ips, enabled_environments)


def page_rules(widget: ConfiguredPages) -> PageRules:
    """The compiled rules of ``widget`` (compiled once per distinct set of rules)."""
    environments = widget.enabled_environments
    return _cached_rules(
        tuple(widget.exclude_paths),
        tuple(widget.internal_ips),
        None if environments is None else tuple(environments),
    )


def shows_on(
    widget: ConfiguredPages, *, path: str | None = None, remote_addr: str | None = None
) -> bool:
    """Whether ``widget`` shows on ``path`` for ``remote_addr``: enabled, in an enabled
    environment, the path not excluded, the address not internal."""
    return widget.enabled and page_rules(widget).shows(path, remote_addr)
