"""Per-page rules: exclude_paths, internal_ips, enabled_environments (jivo_widget.pages)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jivo_widget import JivoConfigError, Widget
from jivo_widget.pages import ENVIRONMENT_ENV, page_rules, shows_on

ID = "AbCdEf1234"


def widget(**config: object) -> Widget:
    return Widget(widget_id=ID, **config)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "shown", "hidden"),
    [
        ("/admin/*", ["/", "/admin", "/administrator"], ["/admin/", "/admin/users/1"]),
        ("/checkout", ["/checkout/", "/checkout/pay"], ["/checkout"]),
        ("*/print", ["/print/x"], ["/orders/1/print"]),
        ("/p?ge", ["/pages"], ["/page", "/pxge"]),
        ("^/admin(/|$)", ["/administrator", "/x/admin"], ["/admin", "/admin/x"]),
        ("^/(en|de)/checkout", ["/fr/checkout"], ["/en/checkout", "/de/checkout/step"]),
    ],
)
def test_exclude_paths_globs_and_regexes(pattern: str, shown: list[str], hidden: list[str]) -> None:
    w = widget(exclude_paths=[pattern])
    assert [p for p in shown + hidden if shows_on(w, path=p)] == shown


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        (["admin/*"], "exclude_paths[0]: a glob must start with / or *"),
        (["/ok", "^("], "exclude_paths[1]: is not a valid regular expression"),
        ("/admin/*", "exclude_paths: Input should be a valid list"),
        ([3], "exclude_paths[0]: Input should be a valid string"),
    ],
)
def test_bad_exclude_paths_name_the_entry(patterns: object, message: str) -> None:
    with pytest.raises(JivoConfigError, match=re.escape(message)):
        widget(exclude_paths=patterns)


@pytest.mark.parametrize(
    ("networks", "internal", "external"),
    [
        (["10.0.0.0/8"], ["10.1.2.3", "::ffff:10.9.9.9"], ["11.0.0.1", "::1"]),
        (["127.0.0.1", "::1"], ["127.0.0.1", "::1"], ["127.0.0.2", "192.168.1.1"]),
        (["2001:db8::/32"], ["2001:db8::7"], ["2001:db9::1", "10.0.0.1"]),
        (["192.168.1.7/24"], ["192.168.1.200"], ["192.168.2.1"]),  # host bits are forgiven
    ],
)
def test_internal_ips(networks: list[str], internal: list[str], external: list[str]) -> None:
    w = widget(internal_ips=networks)
    assert not any(shows_on(w, path="/", remote_addr=a) for a in internal)
    assert all(shows_on(w, path="/", remote_addr=a) for a in external)


@pytest.mark.parametrize("address", [None, "", "unix:/run/app.sock", "not-an-ip", "10.0.0.1:443"])
def test_unknown_addresses_are_not_internal(address: str | None) -> None:
    assert shows_on(widget(internal_ips=["0.0.0.0/0", "::/0"]), remote_addr=address)


@pytest.mark.parametrize("network", ["10.0.0.300", "10.0.0.0/33", "staff", ""])
def test_bad_internal_ips_name_the_entry(network: str) -> None:
    with pytest.raises(JivoConfigError, match=r"internal_ips\[0\]: must be an IP address"):
        widget(internal_ips=[network])


def test_enabled_environments(monkeypatch: pytest.MonkeyPatch) -> None:
    w = widget(enabled_environments=["production", "staging"])
    monkeypatch.delenv(ENVIRONMENT_ENV, raising=False)
    assert not shows_on(w)  # no environment named: not production
    for name, shown in [("production", True), ("staging", True), ("dev", False), ("", False)]:
        monkeypatch.setenv(ENVIRONMENT_ENV, name)
        assert shows_on(w) is shown, name
    assert shows_on(widget())  # no list: every environment


def test_disabled_widget_shows_nowhere() -> None:
    assert not shows_on(widget(enabled=False), path="/")


def test_rules_are_compiled_once_per_distinct_config() -> None:
    a, b = widget(exclude_paths=["/x/*"]), widget(exclude_paths=["/x/*"])
    assert page_rules(a) is page_rules(b)
    assert page_rules(a) is not page_rules(widget(exclude_paths=["/y/*"]))


def test_rules_come_from_toml_and_survive_a_round_trip(tmp_path: Path) -> None:
    toml = tmp_path / "jivo.toml"
    toml.write_text(
        f'widget_id = "{ID}"\n'
        'exclude_paths = ["/admin/*", "^/checkout"]\n'
        'internal_ips = ["10.0.0.0/8"]\n'
        'enabled_environments = ["production"]\n'
    )
    w = Widget.from_file(toml)
    assert w.exclude_paths == ["/admin/*", "^/checkout"]
    assert Widget(**w.model_dump()) == w
    assert w.model_copy(update={"internal_ips": []}).internal_ips == []


def test_render_itself_ignores_the_rules() -> None:
    # render() has no request; the integrations ask shows_on() first.
    assert "<script" in widget(exclude_paths=["*"]).render()
