"""The one URL rule (issue 6 item 5), applied to every link the toolkit accepts.

Every place: the widget's ``loader_url``, a request's ``custom_data[].link`` and ``page_url`` (the
native request validator and the typed models), and a webhook response's ``crm_link``,
``custom_data[].link`` and ``page.url``. The browser's reading of accepted URLs is checked in
``tests/browser/test_url_rule.py``; urllib's reading here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from url_strings import url_strings  # tests/url_strings.py

from jivo_widget import JivoConfigError, Widget
from jivo_widget.config import CustomField
from jivo_widget.urls import URL_RULE, is_http_url
from jivo_widget.webhooks.responses import to_response

ID = "AbCdEf1234"

# Each of these has fooled some URL check: a parser difference, a Unicode case fold, an
# invisible character, a credential prefix or an IPv4 shorthand.
BAD = [
    "http\u017f://evil.example/",  # U+017F folds to "s" case-insensitively
    "htTp\u017f://evil.example/",
    "httpK://a.test",  # U+212A KELVIN SIGN folds to "k"
    "https:///evil.example/",  # the browser skips the slashes: host evil.example
    "https:////evil.example/",
    "http://@",
    "http://@a.test/",
    "https://user:pass@a.test/",  # credentials: a phishing disguise and a leak
    "https://trusted.example@evil.example/",
    "https://a\x00.test/",
    "https://a.test/\x00",
    "https://a.test/\x7f",
    "https://a.test/\x85",  # C1 control
    "https://a.test/\t",
    "https://a.test\n/",
    "\x00https://a.test/",
    " https://a.test/",
    "https://a.test/ ",
    "https://a.test/a b",
    "https://a.test/\u00a0",
    "https://a.test/\u3000",
    "https://a.test/\u2028",
    "https://a.test/\u202e",  # bidi override
    "https://a.test/\u202a",
    "https://a.test/\u2066",  # bidi isolate
    "https://a.test/\u2069",
    "https://a.test/\u200e",  # left-to-right mark
    "https://a.test/\u061c",  # Arabic letter mark
    "https://a.test/\u200b",  # zero-width space
    "https://a.test/\u2060",  # word joiner
    "https://a.test/\ufeff",  # BOM
    "https://a.test/\u00ad",  # soft hyphen (the browser drops it from a host)
    "https://pay\u00adpal.example/",
    "https://a.test/\u3164",  # Hangul filler
    "https://a.test/\U000e0041",  # tag character
    "https://a.test/\ue000",  # private use
    "https://a.test\\@evil.example/",  # browser: host a.test; urllib: host evil.example
    "https://evil.example\\.a.test/",
    # fullwidth "example": the browser maps it to ASCII
    "https://\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com/",
    "https://example\u3002com/",  # ideographic full stop: a dot to the browser
    "https://%65vil.example/",  # the browser percent-decodes hosts
    "https://xn--80aa0aebnilt.рф/",  # hosts are ASCII (punycode for IDN)
    "https://0x7f.1/",  # the browser: 127.0.0.1
    "https://127.1/",
    "https://2130706433/",
    "https://1.2.3/",
    "https://010.0.0.1/",
    "https://1.2.3.256/",
    "https://a.1/",  # "ends in a number": the browser refuses or reads IPv4
    "https://a.0x/",
    "https://a.test./",
    "https://-a.test/",
    "https://a-.test/",
    "https://a..test/",
    "https://.a.test/",
    "https://[::1/",
    "https://[:::1]/",
    "https://[1::2::3]/",
    "https://[::1%25eth0]/",
    "https://[v1.x]/",
    "https://a.test:99999/",
    "https://a.test:65536/",
    "https://a.test:0/",
    "https://a.test:/",
    "https://a.test:08/",
    "https://a.test:8a/",
    "https://",
    "https:",
    "https:a.test",
    "https:/a.test",
    "https:\\\\a.test",
    "//a.test/",
    "/path",
    "javascript:alert(1)",
    "data:text/html,x",
    "ftp://a.test/",
    "",
]

GOOD = [
    "https://a.test",
    "http://a.test/",
    "HTTP://A.TEST:8080/p?q=1#f",
    "https://crm.example.com/u/42?tab=orders&x=%20#top",
    "https://localhost:8000/",
    "https://10.0.0.5:8443/c?id=1",
    "https://255.255.255.255/",
    "https://[::1]/x",
    "https://[2001:db8::8a2e:370:7334]:443/",
    "https://[::ffff:192.0.2.1]/",
    "https://xn--80aa0aebnilt.xn--p1ai/cart",  # магазин.рф in punycode
    "https://my_shop.example.com/",
    "https://a.test/привет?q=ünïcödé#😀",
    "https://a.test/@user",
    "https://a.test/\\x",  # a backslash after the host is path data to both parsers
    # Joiners and variation selectors: emoji and Persian/Indic words need them.
    "https://a.test/?q=\U0001f469\u200d\U0001f467&h=\u2764\ufe0f",
    "https://a.test/?w=\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    "https://a.test/?next=https://b.test/",
    "https://a.test#x@evil.example",
    "https://a.test:65535",
]


@pytest.mark.parametrize("url", BAD)
def test_bad_urls_are_refused(url: str) -> None:
    assert not is_http_url(url)


@pytest.mark.parametrize("url", GOOD)
def test_good_urls_are_accepted(url: str) -> None:
    assert is_http_url(url)


def _request_link(url: str) -> None:
    Widget(widget_id=ID).render(custom_data=[{"content": "c", "link": url}], strict=True)


def _page_url(url: str) -> None:
    Widget(widget_id=ID).render(page_title="t", page_url=url, strict=True)


def _model_link(url: str) -> None:
    CustomField(content="c", link=url)


def _response_crm_link(url: str) -> None:
    to_response({"crm_link": url})


def _response_link(url: str) -> None:
    to_response({"custom_data": [{"content": "c", "link": url}]})


def _response_page(url: str) -> None:
    to_response({"page": {"url": url}})


PLACES: list[tuple[str, Callable[[str], None], str]] = [
    ("request custom_data link", _request_link, "custom_data[0].link"),
    ("request page_url", _page_url, "page_url"),
    ("CustomField model", _model_link, "link"),
    ("response crm_link", _response_crm_link, "crm_link"),
    ("response custom_data link", _response_link, "custom_data.0.link"),
    ("response page.url", _response_page, "page.url"),
]


@pytest.mark.parametrize(("place", "check", "field"), PLACES, ids=[p[0] for p in PLACES])
@pytest.mark.parametrize(
    "url",
    [
        "http\u017f://evil.example/",
        "https:///evil.example/",
        "http://@",
        "https://trusted.example@evil.example/",
        "https://a\x00.test/",
        "https://a.test/\u202e",
        "https://a.test/\u200b",
        "https://a.test\\@evil.example/",
        "https://0x7f.1/",
        "/crm/42",
        "javascript:alert(1)",
        "",
    ],
)
def test_every_link_refuses_what_the_rule_refuses(
    place: str, check: Callable[[str], None], field: str, url: str
) -> None:
    with pytest.raises(ValueError) as info:
        check(url)
    message = str(info.value)
    assert field in message and URL_RULE in message
    if url.strip():
        assert url not in message  # a link may carry personal data: never echoed


@pytest.mark.parametrize(("place", "check", "field"), PLACES, ids=[p[0] for p in PLACES])
@pytest.mark.parametrize("url", GOOD)
def test_every_link_accepts_what_the_rule_accepts(
    place: str, check: Callable[[str], None], field: str, url: str
) -> None:
    check(url)


# ------------------------------------------------------------------ loader_url


@pytest.mark.parametrize(
    "url",
    [
        "/\\evil.example/x.js",  # the browser reads "/\" as "//": another origin
        "/\\/evil.example/x.js",
        "/\t/evil.example/x.js",  # the browser drops tabs and newlines: "//evil.example"
        "/\n/evil.example/x.js",
        "//evil.example/x.js",
        "/x.js\u202e",
        "/ x.js",
        "http\u017f://evil.example/x.js",
        "https:///evil.example/x.js",
        "https://@evil.example/x.js",
        "https://a.test\\@evil.example/x.js",
        "http://cdn.example/x.js",  # the loader is https, as Jivo's snippet is
        "x.js",
        "",
    ],
)
def test_bad_loader_urls(url: str) -> None:
    with pytest.raises(JivoConfigError, match=r"^loader_url: must be an https URL or a /path"):
        Widget(widget_id=ID, loader_url=url)


@pytest.mark.parametrize(
    "url", ["/static/jivo.js", "/", "/_jivo/mock/widget/x?v=1", "https://cdn.example/j.js"]
)
def test_good_loader_urls(url: str) -> None:
    assert Widget(widget_id=ID, loader_url=url).loader_src == url


# ------------------------------------------------------------------ properties


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.large_base_example, HealthCheck.too_slow],
)
@given(st.lists(url_strings(), min_size=50, max_size=50))
def test_every_accepted_url_is_what_urllib_reads_as_http_with_that_host(urls: list[str]) -> None:
    for url in filter(is_http_url, urls):
        parts = urlsplit(url)
        assert parts.scheme.lower() in ("http", "https")
        assert parts.hostname and not parts.username and not parts.password
        host = parts.hostname
        if ":" in host:
            ipaddress.IPv6Address(host)  # a bracketed host is a valid IPv6 address
        assert host.isascii() and "%" not in host and "\\" not in parts.netloc
        port = parts.port  # raises ValueError for an out-of-range port
        assert port is None or 0 < port < 65536
        assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch.isspace() for ch in url)


@settings(max_examples=300, deadline=None)
@given(url_strings())
def test_the_request_validator_and_the_models_agree(url: str) -> None:
    # One rule: the native per-request validator, the typed model and a webhook response say
    # the same about every string.
    verdicts: set[bool] = set()
    for check in (_request_link, _model_link, _response_crm_link):
        try:
            check(url)
            verdicts.add(True)
        except ValueError:
            verdicts.add(False)
    assert verdicts == {is_http_url(url)}


def test_every_control_format_separator_and_private_use_character_is_refused() -> None:
    # Checked against Python's own Unicode tables, for every code point of those categories
    # (the default-ignorable ones outside them are in BAD above). The joiners are kept.
    import unicodedata

    refused = {"Cc", "Cf", "Zs", "Zl", "Zp", "Co"}
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        category = unicodedata.category(char)
        if category in refused and char not in "\u200c\u200d":  # ZWNJ, ZWJ: kept
            assert not is_http_url(f"https://a.test/{char}"), hex(code)
        elif category[0] in "LNP" and code % 97 == 0:  # a sample of visible ones
            assert is_http_url(f"https://a.test/{char}"), hex(code)
