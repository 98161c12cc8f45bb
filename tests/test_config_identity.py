"""Verified identity in the Widget: ``Widget(identity_secret=…)`` and ``render(visitor_id=…)``.

``render(visitor_id="42")`` sends ``setUserToken(<JWT {"id": "42"} signed HS256 with the
secret>)``. Tokens are checked here with PyJWT and a separate ``UserTokens``, never only with
the Widget's own signer. The secret never shows: not in the page, ``repr``, a dump, a TOML file
or a log line, unless a dump asks for it (``REVEAL_SECRETS``). A TOML config names the
environment variable holding it (``identity_secret_env``) instead of holding it.
"""

from __future__ import annotations

import copy
import hmac
import json
import logging
import pickle
import subprocess
import sys
import uuid
from html import unescape
from pathlib import Path
from typing import Any

import jwt
import pytest

from jivo_widget import JivoConfigError, Widget
from jivo_widget.config import REVEAL_SECRETS, STRICT_ENV
from jivo_widget.identity import IdentityStatus, UserTokens

ID = "AbCdEf1234"
#: The example secret in Jivo's JWT docs (64 characters of text, not hex).
SECRET = "tye64d8818007570e9fd4e9736da383b0ee124e91e4d44ce852432456df0e986"
NEW = "N3wSecretForJivoJwtSettings0123456789abcdef"
OLD = "0ldSecretForJivoJwtSettings0123456789abcdef"
ENV = "JIVO_TEST_JWT_SECRET"
LOGGER = "jivo_widget"


@pytest.fixture(autouse=True)
def _no_strict_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The jivo_mock plugin makes test sessions strict by default; these tests choose themselves.
    monkeypatch.delenv(STRICT_ENV, raising=False)


def calls_of(data: str) -> list[Any]:
    if "data-jivo='" in data:
        data = unescape(str(data).split("data-jivo='", 1)[1].split("'", 1)[0])
    return json.loads(data)  # type: ignore[no-any-return]


def token_of(data: str) -> str:
    (args,) = [args for name, args in calls_of(data) if name == "setUserToken"]
    (token,) = args
    assert isinstance(token, str)
    return token


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(LOGGER) and r.levelno == logging.WARNING
    ]


def signed(**config: Any) -> Widget:
    return Widget(widget_id=ID, identity_secret=SECRET, **config)


# --------------------------------------------------------------------------- signing


def test_visitor_id_becomes_a_token_signed_with_the_secret() -> None:
    token = token_of(signed().render(visitor_id="42"))
    # Jivo's minimal payload, HS256, keyed with the secret's UTF-8 bytes as entered
    assert token == jwt.encode({"id": "42"}, SECRET.encode(), algorithm="HS256")
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    result = UserTokens(SECRET).verify(token)
    assert result.status is IdentityStatus.VERIFIED
    assert result.visitor_id == "42"


def test_render_data_signs_the_same_token() -> None:
    widget = signed()
    assert token_of(widget.render_data(visitor_id="42")) == token_of(widget.render(visitor_id="42"))


@pytest.mark.parametrize(("given", "claimed"), [(42, "42"), ("Ann42", "Ann42"), (0, "0")])
def test_visitor_id_may_be_an_int(given: Any, claimed: str) -> None:
    token = token_of(signed().render(visitor_id=given))
    assert jwt.decode(token, SECRET.encode(), algorithms=["HS256"]) == {"id": claimed}


def test_the_token_comes_first_among_the_request_calls() -> None:
    html = signed().render(visitor_id="42", contact={"name": "Ann"}, clear_history=True)
    assert [name for name, _ in calls_of(html)] == [
        "clearHistory",
        "setUserToken",
        "setContactInfo",
    ]


def test_without_visitor_id_no_token_is_set() -> None:
    assert calls_of(signed().render()) == []


def test_a_timeless_token_is_signed_once_per_visitor(monkeypatch: pytest.MonkeyPatch) -> None:
    widget = signed()
    encoded: list[dict[str, Any]] = []
    encode = jwt.PyJWT.encode

    def counting(self: jwt.PyJWT, payload: dict[str, Any], *args: Any, **kwargs: Any) -> str:
        encoded.append(dict(payload))
        return encode(self, payload, *args, **kwargs)

    monkeypatch.setattr(jwt.PyJWT, "encode", counting)
    first = token_of(widget.render(visitor_id="42"))
    assert token_of(widget.render(visitor_id="42")) == first
    assert token_of(widget.render_data(visitor_id="42")) == first
    assert encoded == [{"id": "42"}]
    token_of(widget.render(visitor_id="43"))
    assert encoded == [{"id": "42"}, {"id": "43"}]


def test_a_token_with_time_is_signed_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    widget = signed(identity_expires_in="1h")
    encoded: list[dict[str, Any]] = []
    encode = jwt.PyJWT.encode

    def counting(self: jwt.PyJWT, payload: dict[str, Any], *args: Any, **kwargs: Any) -> str:
        encoded.append(dict(payload))
        return encode(self, payload, *args, **kwargs)

    monkeypatch.setattr(jwt.PyJWT, "encode", counting)
    widget.render(visitor_id="42")
    widget.render(visitor_id="42")
    assert len(encoded) == 2
    for payload in encoded:
        assert payload["id"] == "42"
        assert payload["exp"] - payload["iat"] == 3600


def test_expiring_tokens_carry_iat_and_exp() -> None:
    widget = signed(identity_expires_in=600, identity_claims={"iss": "shop.example"})
    assert widget.identity_expires_in == 600
    claims = jwt.decode(
        token_of(widget.render(visitor_id="42")), SECRET.encode(), algorithms=["HS256"]
    )
    assert set(claims) == {"id", "iat", "exp", "iss"}
    assert claims["exp"] - claims["iat"] == 600
    assert claims["iss"] == "shop.example"


def test_issued_at_adds_iat_only() -> None:
    claims = jwt.decode(
        token_of(signed(identity_issued_at=True).render(visitor_id="42")),
        SECRET.encode(),
        algorithms=["HS256"],
    )
    assert set(claims) == {"id", "iat"}


def test_rotation_the_first_secret_signs_every_secret_verifies() -> None:
    widget = Widget(widget_id=ID, identity_secret=[NEW, OLD])
    token = token_of(widget.render(visitor_id="42"))
    assert jwt.decode(token, NEW.encode(), algorithms=["HS256"]) == {"id": "42"}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, OLD.encode(), algorithms=["HS256"])
    assert widget.user_tokens is not None
    old_token = UserTokens(OLD).sign("7")
    assert widget.user_tokens.verify(old_token).visitor_id == "7"
    # whitespace separates several secrets in one string (an environment variable)
    assert Widget(widget_id=ID, identity_secret=f"{NEW} {OLD}") == widget


def test_user_tokens_is_none_without_a_secret() -> None:
    assert Widget(widget_id=ID).user_tokens is None
    assert isinstance(signed().user_tokens, UserTokens)


# --------------------------------------------------------------------------- bad requests

BAD_VISITOR_IDS: list[Any] = [
    "4-2",
    "",
    "a b",
    "42\n",
    "Ann.O'Brien",
    "Zoë",
    "x" * 257,
    -1,
    str(uuid.UUID(int=42)),
    uuid.UUID(int=42),
]


@pytest.mark.parametrize("visitor_id", BAD_VISITOR_IDS)
def test_strict_refuses_a_visitor_id_that_breaks_jivos_rule(visitor_id: Any) -> None:
    with pytest.raises(JivoConfigError) as error:
        signed().render(visitor_id=visitor_id, strict=True)
    assert str(error.value).startswith("visitor_id: must be 1-256 Latin letters and/or digits")
    assert "uuid.hex" in str(error.value)


@pytest.mark.parametrize("visitor_id", [True, 4.2, b"42", object()])
def test_strict_refuses_a_visitor_id_that_is_not_text(visitor_id: Any) -> None:
    with pytest.raises(JivoConfigError, match=r"^visitor_id: "):
        signed().render(visitor_id=visitor_id, strict=True)


@pytest.mark.parametrize("visitor_id", [*BAD_VISITOR_IDS, True, 4.2])
def test_lenient_drops_a_bad_visitor_id_naming_the_field_not_the_value(
    caplog: pytest.LogCaptureFixture, visitor_id: Any
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        html = signed().render(visitor_id=visitor_id, contact={"name": "Ann"})
    assert calls_of(html) == [["setContactInfo", [{"name": "Ann"}]]]  # the rest renders
    (line,) = warnings_of(caplog)
    assert "visitor_id: " in line
    if isinstance(visitor_id, str) and visitor_id.strip():
        assert visitor_id.strip() not in line


def test_visitor_id_without_a_secret_strict_raises() -> None:
    with pytest.raises(JivoConfigError) as error:
        Widget(widget_id=ID).render(visitor_id="42", strict=True)
    assert str(error.value) == (
        "visitor_id: needs the Widget's identity_secret to be signed into the user token "
        "(this Widget has none)"
    )


def test_visitor_id_without_a_secret_lenient_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        data = Widget(widget_id=ID).render_data(visitor_id="Ann42", page_title="Home")
    assert calls_of(data) == [["sendPageTitle", ["Home", True]]]
    (line,) = warnings_of(caplog)
    assert "visitor_id: needs the Widget's identity_secret" in line
    assert "Ann42" not in line


def test_user_token_and_visitor_id_together_strict_raises() -> None:
    with pytest.raises(JivoConfigError) as error:
        signed().render(user_token="u-42", visitor_id="42", strict=True)
    assert str(error.value).startswith("user_token: not with visitor_id")
    with pytest.raises(JivoConfigError, match=r"^user_token: not with visitor_id"):
        signed().render_data(user_token="u-42", visitor_id="42", strict=True)


def test_user_token_and_visitor_id_together_lenient_keeps_the_signed_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        html = signed().render(user_token="u-42", visitor_id="42")
    assert UserTokens(SECRET).verify(token_of(html)).visitor_id == "42"
    (line,) = warnings_of(caplog)
    assert "user_token: not with visitor_id" in line
    assert "u-42" not in line


def test_with_a_bad_visitor_id_the_unsigned_token_is_not_sent_either(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        html = signed().render(user_token="u-42", visitor_id="4-2")
    assert calls_of(html) == []
    (line,) = warnings_of(caplog)
    assert "visitor_id: must be" in line
    assert "user_token: not with visitor_id" in line


def test_a_disabled_widget_still_checks_visitor_id() -> None:
    widget = signed(enabled=False)
    assert widget.render(visitor_id="42") == ""
    with pytest.raises(JivoConfigError, match="visitor_id"):
        widget.render(visitor_id="4-2", strict=True)


# --------------------------------------------------------------------------- config rules


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"identity_secret": "short"}, "identity_secret: the secret is 5 bytes long"),
        ({"identity_secret": 42}, "identity_secret: must be the secret from Jivo's JWT settings"),
        ({"identity_secret": []}, "identity_secret: no secret given"),
        ({"identity_secret": [SECRET, "short"]}, "identity_secret: secret #2 of 2 is 5 bytes"),
        (
            {"identity_secret": SECRET, "identity_expires_in": "soon"},
            "identity_expires_in: must be seconds",
        ),
        (
            {"identity_secret": SECRET, "identity_expires_in": 0},
            "identity_expires_in: must be at least 1 second",
        ),
        (
            {"identity_secret": SECRET, "identity_expires_in": 400 * 86400},
            "identity_expires_in: must be between 0 and",
        ),
        (
            {"identity_secret": SECRET, "identity_claims": {"id": "7"}},
            "identity_claims.id: reserved",
        ),
        (
            {"identity_secret": SECRET, "identity_claims": {"sub": 7}},
            "identity_claims.sub: must be a string",
        ),
        (
            {"identity_secret": SECRET, "identity_claims": {"blob": "x" * 5000}},
            "identity_claims: too large",
        ),
        ({"identity_expires_in": "1h"}, "identity_expires_in: needs identity_secret"),
        ({"identity_issued_at": True}, "identity_issued_at: needs identity_secret"),
        ({"identity_claims": {"iss": "me"}}, "identity_claims: needs identity_secret"),
        ({"identity_secret": SECRET, "identity_issued_at": "yes"}, "identity_issued_at: "),
    ],
)
def test_bad_identity_config_names_the_field(config: dict[str, Any], message: str) -> None:
    with pytest.raises(JivoConfigError) as error:
        Widget(widget_id=ID, **config)
    assert str(error.value).startswith(message), str(error.value)
    assert SECRET not in str(error.value)


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("Q" * 31, "the secret is 31 bytes long; Jivo's JWT secret must be at least 32 bytes"),
        ("Ж" * 15, "the secret is 30 bytes long"),  # 15 characters, 30 bytes of UTF-8
        (
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n",
            "secret #1 of 4 is 10 bytes long",  # whitespace separates secrets: never one key
        ),
        ("ssh-rsa" + "A" * 40, "the secret looks like a public key, certificate or JWK"),
    ],
)
def test_a_bad_secret_is_refused_naming_the_field_and_rule_never_the_text(
    secret: str, message: str
) -> None:
    with pytest.raises(JivoConfigError) as error:
        Widget(widget_id=ID, identity_secret=secret)
    assert str(error.value).startswith(f"identity_secret: {message}"), str(error.value)
    for part in secret.split():
        assert part not in str(error.value)
        assert part not in repr(error.value)


@pytest.mark.parametrize("secret", ["Q" * 32, "Ж" * 16])
def test_a_secret_of_32_bytes_as_entered_signs(secret: str) -> None:
    token = token_of(Widget(widget_id=ID, identity_secret=secret).render(visitor_id="42"))
    assert jwt.decode(token, secret.encode("utf-8"), algorithms=["HS256"]) == {"id": "42"}


@pytest.mark.parametrize(("given", "seconds"), [("1h", 3600), (90, 90), ("15m", 900)])
def test_expires_in_takes_durations(given: Any, seconds: int) -> None:
    assert signed(identity_expires_in=given).identity_expires_in == seconds


# ---------------------------------------------------------------------- the secret stays hidden


def test_the_secret_is_not_in_repr_str_or_a_dump() -> None:
    widget = Widget(widget_id=ID, identity_secret=[SECRET, OLD])
    for text in (repr(widget), str(widget), widget.model_dump_json(), repr(widget.user_tokens)):
        assert SECRET not in text
        assert OLD not in text
    assert "identity_secret" not in widget.model_dump()
    assert "identity_secret" not in widget.model_dump(mode="json")
    assert "identity_secret" not in json.loads(widget.model_dump_json())
    assert "identity_secret=" not in repr(widget)


def test_widgets_compare_their_secrets_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert signed() == signed()
    assert signed() != Widget(widget_id=ID, identity_secret=NEW)
    assert signed() != Widget(widget_id=ID)
    assert (SECRET.encode(), SECRET.encode()) in compared
    assert (SECRET.encode(), NEW.encode()) in compared
    # a secret is never equal to its own text (that would be a plain ==)
    assert signed().identity_secret != (SECRET,)


def test_the_secret_is_not_in_the_page_or_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    widget = signed(identity_expires_in="1h")
    with caplog.at_level(logging.DEBUG):
        html = widget.render(visitor_id="42", contact={"name": "Ann"})
        widget.render(visitor_id="4-2")  # a warning
        with pytest.raises(JivoConfigError):
            widget.render(visitor_id="4-2", strict=True)
    assert SECRET not in html
    assert caplog.records  # the warning was logged
    assert not [r for r in caplog.records if SECRET in r.getMessage()]


def test_a_dump_asked_for_the_secret_rebuilds_the_widget() -> None:
    widget = signed(identity_expires_in="1h")
    revealed = widget.model_dump(context={REVEAL_SECRETS: True})
    assert revealed["identity_secret"] == [SECRET]
    assert Widget(**revealed) == widget
    as_json = widget.model_dump_json(context={REVEAL_SECRETS: True})
    assert Widget.model_validate_json(as_json) == widget
    # without it, a dump makes a Widget without identity
    assert Widget(**widget.model_dump(exclude={"identity_expires_in"})).user_tokens is None


def test_model_copy_keeps_the_secret_unless_the_update_gives_one() -> None:
    widget = signed()
    copied = widget.model_copy(update={"color": "#112233"})
    assert copied.identity_secret == widget.identity_secret
    assert token_of(copied.render(visitor_id="42")) == token_of(widget.render(visitor_id="42"))
    rotated = widget.model_copy(update={"identity_secret": [NEW, SECRET]})
    assert jwt.decode(
        token_of(rotated.render(visitor_id="42")), NEW.encode(), algorithms=["HS256"]
    ) == {"id": "42"}


def test_copies_share_the_signer_and_pickles_are_refused() -> None:
    widget = signed()
    assert copy.deepcopy(widget) == widget
    assert copy.deepcopy(widget).render(visitor_id="42") == widget.render(visitor_id="42")
    assert copy.copy(widget) == widget
    with pytest.raises(TypeError, match="holds secrets and cannot be pickled"):
        pickle.dumps(widget)
    pickle.dumps(Widget(widget_id=ID))  # no secret: nothing to leak


# --------------------------------------------------------------------------- environment, TOML


def test_identity_secret_env_reads_the_secret_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV, f"{NEW} {OLD}")
    widget = Widget(widget_id=ID, identity_secret_env=ENV)
    token = token_of(widget.render(visitor_id="42"))
    assert jwt.decode(token, NEW.encode(), algorithms=["HS256"]) == {"id": "42"}
    assert widget.user_tokens is not None
    assert widget.user_tokens.verify(UserTokens(OLD).sign("7")).visitor_id == "7"
    # a dump names the variable, never the secret, even when asked for it
    for dump in (widget.model_dump(), widget.model_dump(context={REVEAL_SECRETS: True})):
        assert dump["identity_secret_env"] == ENV
        assert "identity_secret" not in dump


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, f"identity_secret_env: the environment variable {ENV} is not set"),
        ("", f"identity_secret_env: the environment variable {ENV} is not set"),
        ("  \n", f"identity_secret_env: the environment variable {ENV} is not set"),
        ("too-short-to-be-a-jwt-secret", f"identity_secret_env ({ENV}): the secret is 28 bytes"),
    ],
)
def test_identity_secret_env_errors_name_the_variable_not_the_value(
    monkeypatch: pytest.MonkeyPatch, value: str | None, message: str
) -> None:
    if value is None:
        monkeypatch.delenv(ENV, raising=False)
    else:
        monkeypatch.setenv(ENV, value)
    with pytest.raises(JivoConfigError) as error:
        Widget(widget_id=ID, identity_secret_env=ENV)
    assert str(error.value).startswith(message), str(error.value)
    if value and value.strip():
        assert value not in str(error.value)


@pytest.mark.parametrize("name", ["", "JIVO JWT", "1SECRET", "$JIVO_JWT_SECRET", 42])
def test_identity_secret_env_must_be_a_variable_name(name: Any) -> None:
    with pytest.raises(JivoConfigError, match=r"^identity_secret_env: must be the name of an"):
        Widget(widget_id=ID, identity_secret_env=name)


def test_the_secret_and_its_variable_are_not_both_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, SECRET)
    with pytest.raises(JivoConfigError, match="not both"):
        Widget(widget_id=ID, identity_secret=SECRET, identity_secret_env=ENV)


def test_model_copy_switches_between_the_secret_and_its_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV, NEW)
    from_env = signed().model_copy(update={"identity_secret_env": ENV})
    assert from_env.identity_secret_env == ENV
    assert jwt.decode(
        token_of(from_env.render(visitor_id="42")), NEW.encode(), algorithms=["HS256"]
    ) == {"id": "42"}
    direct = from_env.model_copy(update={"identity_secret": SECRET})
    assert direct.identity_secret_env is None
    assert direct == signed()


def toml_of(data: dict[str, Any]) -> str:
    """A dump's flat values as TOML (strings, numbers, bools, lists of those; None is left out)."""
    lines = []
    for key, value in data.items():
        if value is None or value == {}:
            continue
        lines.append(f"{key} = {json.dumps(value)}")  # JSON scalars and arrays are TOML too
    return "\n".join(lines) + "\n"


def test_a_toml_config_names_the_variable_and_round_trips_without_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, SECRET)
    config = tmp_path / "jivo.toml"
    config.write_text(
        f'widget_id = "{ID}"\nidentity_secret_env = "{ENV}"\nidentity_expires_in = "1h"\n'
    )
    widget = Widget.from_file(config)
    assert widget.identity_expires_in == 3600
    claims = jwt.decode(
        token_of(widget.render(visitor_id="42")), SECRET.encode(), algorithms=["HS256"]
    )
    assert claims["id"] == "42"
    # dump → TOML → Widget: the same widget, and the file never holds the secret
    again = tmp_path / "again.toml"
    again.write_text(toml_of(widget.model_dump(mode="json")))
    assert SECRET not in again.read_text()
    assert Widget.from_file(again) == widget


def test_a_toml_dump_of_a_directly_given_secret_leaves_it_out(tmp_path: Path) -> None:
    widget = signed()
    path = tmp_path / "dumped.toml"
    path.write_text(toml_of(widget.model_dump(mode="json")))
    assert SECRET not in path.read_text()
    assert Widget.from_file(path).user_tokens is None


def test_a_toml_config_may_not_hold_the_secret(tmp_path: Path) -> None:
    config = tmp_path / "jivo.toml"
    config.write_text(f'widget_id = "{ID}"\nidentity_secret = "{SECRET}"\n')
    with pytest.raises(JivoConfigError) as error:
        Widget.from_file(config)
    message = str(error.value)
    assert message.startswith(f"{config}: identity_secret: never write the secret in a config")
    assert "identity_secret_env" in message
    assert SECRET not in message


def test_the_render_command_signs_from_the_variable_named_in_toml(tmp_path: Path) -> None:
    (tmp_path / "jivo.toml").write_text(f'widget_id = "{ID}"\nidentity_secret_env = "{ENV}"\n')
    (tmp_path / "context.json").write_text(json.dumps({"visitor_id": "42"}))
    script = Path(sys.executable).parent / "jivo-widget"
    command = [str(script), "render", "jivo.toml", "--context", "context.json"]
    environment = {"PATH": "/usr/bin:/bin", ENV: SECRET}
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=60, env=environment
    )
    assert result.returncode == 0, result.stderr
    assert UserTokens(SECRET).verify(token_of(result.stdout)).visitor_id == "42"
    assert SECRET not in result.stdout
    del environment[ENV]
    missing = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=60, env=environment
    )
    assert missing.returncode == 2
    assert f"the environment variable {ENV} is not set" in missing.stderr
