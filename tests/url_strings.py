"""Hypothesis strategies of URL-like strings for the URL rule's property tests.

Mostly well-formed http(s) URLs (so that many are accepted and their reading can be compared),
some with one part swapped for a piece that has fooled URL checks, some with one tricky character
inserted anywhere, and some plain noise.
"""

from __future__ import annotations

from hypothesis import strategies as st

# Characters that end, hide or rewrite parts of a URL in one parser or another.
TRICKY = [
    *"\x00\t\n\r \\@:/?#%.[]-_",
    "\x7f",
    "\x85",
    "\u00a0",
    "\u00ad",  # soft hyphen: dropped from hosts by browsers
    "\u017f",  # long s: matches "s" case-insensitively
    "\u212a",  # Kelvin sign: matches "k"
    "\u200b",
    "\u200d",
    "\u202e",
    "\u2066",
    "\u2028",
    "\u3002",  # ideographic full stop: a dot in hosts
    "\uff0e",  # fullwidth full stop
    "\uff45",  # fullwidth e
    "\ufeff",
    "\ue000",
]


def _weighted(good: list[str], bad: list[str], good_weight: int = 6) -> st.SearchStrategy[str]:
    return st.sampled_from(good * good_weight + bad)


def url_strings() -> st.SearchStrategy[str]:
    """URL-like strings: many valid, many near misses, some noise."""
    scheme = _weighted(
        ["https", "http", "HTTPS", "hTtP"],
        ["http\u017f", "ftp", "", "h", "javascript", "https\t", " https"],
    )
    separator = _weighted(["://"], [":/", ":///", ":\\\\", ":/\\", ":", "//", "://\\"], 12)
    userinfo = _weighted([""], ["@", "a@", "a:b@", "a\\@", "x.test@"], 12)
    label = st.from_regex(r"\A[a-z0-9_](?:[a-zA-Z0-9_-]{0,6}[a-z0-9_])?\Z")
    good_last = st.from_regex(r"\A[a-zA-Z](?:[a-z0-9-]{0,5}[a-z0-9])?\Z")
    last = st.one_of(
        good_last,
        good_last,
        good_last,
        st.sampled_from(["xn--p1ai", "xn--80aa0aebnilt", "0x7f", "1", "08", "0x", "xn--abc"]),
    )
    name = st.tuples(st.lists(label, max_size=3), last).map(lambda t: ".".join([*t[0], t[1]]))
    host = st.one_of(
        name,
        name,
        st.ip_addresses(v=4).map(str),
        st.ip_addresses(v=6).map(lambda a: f"[{a}]"),
        st.sampled_from(
            ["127.1", "0x7f.1", "1.2.3", "256.1.1.1", "[::1", "[1::2::3]", "", "a..b", "-a.b"]
        ),
    )
    port = st.one_of(
        st.just(""),
        st.integers(1, 65535).map(lambda p: f":{p}"),
        st.sampled_from([":", ":0", ":65536", ":08", ":99999"]),
    )
    visible = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cf", "Z", "Co"))
    anything = st.characters(codec="utf-8", exclude_categories=("Cs",))
    text = st.text(visible, max_size=8) | st.text(anything, max_size=8)
    tail = st.one_of(
        st.just(""),
        st.tuples(st.sampled_from("/?#"), text).map("".join),
        st.tuples(st.just("/"), text, st.sampled_from("?#"), text).map("".join),
    )
    built = st.tuples(scheme, separator, userinfo, host, port, tail).map("".join)
    mutated = st.tuples(built, st.integers(0, 40), st.sampled_from(TRICKY)).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]
    )
    return st.one_of(built, built, mutated, st.text(max_size=30))


def root_paths() -> st.SearchStrategy[str]:
    """Strings that start with "/": candidate same-site paths (the loader_url form)."""
    char = st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(
        ["/", "\\", "\t", "\n", "@", "\u202e", "\u200b"]
    )
    return st.text(char, max_size=10).map(lambda s: "/" + s)
