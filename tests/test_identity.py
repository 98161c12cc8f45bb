"""Jivo JWT user tokens (jivo_widget.identity): signing, verification, and the attacks on both.

Tokens under attack are forged by hand here (base64url + hmac), never with the code under test, so
a bug in how we call PyJWT cannot hide itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import pickle
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from jivo_widget.errors import JivoConfigError
from jivo_widget.identity import (
    MAX_LEEWAY,
    MAX_TOKEN_LENGTH,
    MAX_VISITOR_ID_LENGTH,
    TOKEN_CACHE_SIZE,
    IdentityStatus,
    UserTokens,
    Verification,
    check_claims,
    parse_duration,
    parse_secrets,
    validate_visitor_id,
)

#: The example secret in Jivo's JWT docs: 64 characters, but not hex ("ty…"), so it is a text key.
JIVO_EXAMPLE_SECRET = "tye64d8818007570e9fd4e9736da383b0ee124e91e4d44ce852432456df0e986"
NEW = "N3wSecretForJivoJwtSettings0123456789abcdef"
OLD = "0ldSecretForJivoJwtSettings0123456789abcdef"
OTHER = "AnotherSiteEntirelyWithItsOwnSecret0123456789"
#: A real RSA public key (public by definition): what an attacker would sign HS256 tokens with in
#: an algorithm-confusion attack on a verifier that also accepts RS256.
PUBLIC_KEY_PEM = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAszJO5PpvfglJkc4vG6uZ
79991ok+d9kLNLh5CWce9l5Qg6z7BaWKBpaQ75ATyRPy5igDxnVUivw4jBe7UaYO
deyoTZaKJb+2tNQR4s2YUN2d+x6F4pu2hjTn7YRcy8AMXUenHF4jWVcvm7cpAbG9
jzjsuHqEHVM59kMYcJKw2oTn7vm/AEWjg5I7EVQLtndNKnVXSkGPWCnKqVh6Hiqk
TR9089F3sMOvH3+fKsP1/96Og8Q6gZxiMjdXuj1mZU+A/TwQ2gY7yZXTs1Pmtpwn
5Lbv1L6dj+odkeIIW9wx8SDmT/jqcovokVirgjL+vlozAQ0f+U1fo3OQah3+CgJr
UQIDAQAB
-----END PUBLIC KEY-----
"""
HS256_HEADER = {"alg": "HS256", "typ": "JWT"}


# --------------------------------------------------------------------------- hand-made tokens


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def forge(
    payload: Any,
    key: bytes | None,
    *,
    header: Any = HS256_HEADER,
    digest: Any = hashlib.sha256,
    signature: bytes | None = None,
) -> str:
    """A compact JWS built by hand: HMAC-``digest`` with ``key``, or the given raw signature."""
    head = header if isinstance(header, str) else b64(compact(header))
    body = payload if isinstance(payload, str) else b64(compact(payload))
    signing_input = f"{head}.{body}".encode()
    if signature is None:
        assert key is not None
        signature = hmac.new(key, signing_input, digest).digest()
    return f"{head}.{body}.{b64(signature)}"


def segments(token: str) -> tuple[Any, Any]:
    head, body, _ = token.split(".")
    return json.loads(unb64(head)), json.loads(unb64(body))


@pytest.fixture
def tokens() -> UserTokens:
    return UserTokens([NEW, OLD])


def assert_invalid(result: Verification, reason: str = "") -> None:
    assert result.status is IdentityStatus.INVALID, result
    assert result.visitor_id is None and result.claims is None and not result.verified
    assert reason in result.reason


# --------------------------------------------------------------------------- signing


def test_jivos_example_secret_is_used_as_its_utf8_text() -> None:
    with pytest.raises(ValueError):
        bytes.fromhex(JIVO_EXAMPLE_SECRET)  # not hex: decoding it was never an option
    expected = forge({"id": "123"}, JIVO_EXAMPLE_SECRET.encode("utf-8"))
    token = UserTokens(JIVO_EXAMPLE_SECRET).sign("123")
    assert token == expected  # byte for byte what jwt.io makes from Jivo's example
    assert UserTokens(JIVO_EXAMPLE_SECRET).verify(expected).visitor_id == "123"


def test_a_non_ascii_secret_is_keyed_by_its_utf8_bytes() -> None:
    secret = "пароль-для-jivo-" * 2  # 32 characters, 58 bytes
    token = UserTokens(secret).sign("42")
    assert token == forge({"id": "42"}, secret.encode("utf-8"))


def test_the_default_payload_is_jivos_minimum() -> None:
    header, payload = segments(UserTokens(NEW).sign("42"))
    assert header == HS256_HEADER
    assert payload == {"id": "42"}


def test_issued_at_and_expiry_come_from_the_signing_time() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    stamp = int(now.timestamp())
    _, payload = segments(UserTokens(NEW, issued_at=True).sign("42", now=now))
    assert payload == {"id": "42", "iat": stamp}
    _, payload = segments(UserTokens(NEW, expires_in="1h").sign("42", now=now))
    assert payload == {"id": "42", "iat": stamp, "exp": stamp + 3600}
    signer = UserTokens(NEW, expires_in=timedelta(minutes=5))
    assert segments(signer.sign("42", now=now))[1]["exp"] == stamp + 300
    assert signer.expires_in == 300


def test_extra_claims_go_into_every_token_but_never_replace_the_id() -> None:
    signer = UserTokens(NEW, claims={"site": "shop", "plan": ["pro", 2]})
    _, payload = segments(signer.sign("42"))
    assert payload == {"id": "42", "site": "shop", "plan": ["pro", 2]}
    result = signer.verify(signer.sign("42"))
    assert result.verified and result.claims is not None and result.claims["site"] == "shop"
    with pytest.raises(JivoConfigError, match=r"^claims\.id: reserved"):
        UserTokens(NEW, claims={"id": "admin"})


def test_tokens_without_a_time_are_signed_once_per_visitor_in_a_bounded_cache() -> None:
    signer = UserTokens(NEW, claims={"site": "shop"})
    first = signer.sign("42")
    assert signer.sign("42") is first  # the same object: not signed again
    assert first == forge({"id": "42", "site": "shop"}, NEW.encode())
    for number in range(TOKEN_CACHE_SIZE):
        assert signer.sign(f"v{number}") != first
    again = signer.sign("42")  # pushed out by newer visitors: signed anew, identical
    assert again == first and again is not first
    timed = UserTokens(NEW, issued_at=True)
    assert timed.sign("42", now=datetime(2026, 1, 1, tzinfo=UTC)) != timed.sign(
        "42", now=datetime(2026, 1, 2, tzinfo=UTC)
    )


def test_the_first_secret_signs(tokens: UserTokens) -> None:
    assert tokens.sign("42") == forge({"id": "42"}, NEW.encode())


@pytest.mark.parametrize("visitor_id", ["4-2", "", 42, "42\n"])
def test_signing_refuses_ids_jivo_does_not_accept(visitor_id: Any) -> None:
    with pytest.raises(JivoConfigError, match=r"^visitor_id: "):
        UserTokens(NEW).sign(visitor_id)


# --------------------------------------------------------------------------- verification


def test_round_trip() -> None:
    signer = UserTokens(NEW, expires_in="1h", claims={"site": "shop"})
    result = signer.verify(signer.sign("Visitor42"))
    assert result.status == "verified"  # a StrEnum: handlers may compare with strings
    assert result.status is IdentityStatus.VERIFIED
    assert result.verified and result.visitor_id == "Visitor42" and result.reason == ""
    assert result.claims is not None and result.claims["id"] == "Visitor42"


def test_rotation_the_first_signs_every_secret_verifies() -> None:
    before, during, after = UserTokens(OLD), UserTokens([NEW, OLD]), UserTokens(NEW)
    old_token, new_token = before.sign("42"), during.sign("42")
    assert during.verify(old_token).visitor_id == "42"  # pages rendered before the switch
    assert during.verify(new_token).visitor_id == "42"
    assert after.verify(new_token).visitor_id == "42"
    assert_invalid(after.verify(old_token), "none of the secrets")  # the old secret is dropped


def test_whitespace_separates_secrets_as_in_one_environment_variable() -> None:
    from_env = UserTokens(f"{NEW} {OLD}\n")  # JIVO_JWT_SECRET="NEW OLD", or a file with a newline
    assert from_env.sign("42") == UserTokens(NEW).sign("42")
    assert from_env.verify(UserTokens(OLD).sign("42")).verified
    assert parse_secrets([SecretStr(NEW), OLD]) == parse_secrets(f"{NEW}\t{OLD}")
    assert parse_secrets((NEW, OLD)) == parse_secrets(f"{NEW} {OLD}")


def test_wrong_secret(tokens: UserTokens) -> None:
    assert_invalid(tokens.verify(UserTokens(OTHER).sign("42")), "none of the secrets")


def test_tampered_payload(tokens: UserTokens) -> None:
    head, _, signature = tokens.sign("42").split(".")
    forged_body = b64(compact({"id": "43"}))
    assert_invalid(tokens.verify(f"{head}.{forged_body}.{signature}"), "none of the secrets")


def test_tampered_header(tokens: UserTokens) -> None:
    _, body, signature = tokens.sign("42").split(".")
    head = b64(compact({"alg": "HS256", "typ": "JWT", "kid": "x"}))
    assert_invalid(tokens.verify(f"{head}.{body}.{signature}"), "none of the secrets")


def test_tampered_signature(tokens: UserTokens) -> None:
    head, body, signature = tokens.sign("42").split(".")
    raw = bytearray(unb64(signature))
    raw[0] ^= 1
    assert_invalid(tokens.verify(f"{head}.{body}.{b64(bytes(raw))}"), "none of the secrets")
    assert_invalid(tokens.verify(f"{head}.{body}.{b64(bytes(raw[:-1]))}"), "none of the secrets")


def test_stripped_signature(tokens: UserTokens) -> None:
    head, body, _ = tokens.sign("42").split(".")
    assert_invalid(tokens.verify(f"{head}.{body}."), "none of the secrets")


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused(tokens: UserTokens, alg: str) -> None:
    header = {"alg": alg, "typ": "JWT"}
    unsigned = forge({"id": "42"}, None, header=header, signature=b"")
    assert_invalid(tokens.verify(unsigned), "algorithm")
    # Even with a valid HS256 signature over it: the header's algorithm decides nothing.
    assert_invalid(tokens.verify(forge({"id": "42"}, NEW.encode(), header=header)), "algorithm")


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256", "EdDSA", "RS512", "ES384"])
def test_public_key_algorithms_are_refused(tokens: UserTokens, alg: str) -> None:
    token = forge({"id": "42"}, None, header={"alg": alg, "typ": "JWT"}, signature=b"\x01" * 256)
    assert_invalid(tokens.verify(token), "algorithm")


def test_hs256_signed_with_a_public_key_is_refused(tokens: UserTokens) -> None:
    # The classic confusion attack: the verifier's "key" is a public key the attacker knows.
    forged = forge({"id": "42"}, PUBLIC_KEY_PEM.encode())
    assert_invalid(tokens.verify(forged), "none of the secrets")
    with pytest.raises(JivoConfigError, match=r"^secret: secret #1 of \d+ is 10 bytes long"):
        UserTokens(PUBLIC_KEY_PEM)  # and it can never be configured as one ("-----BEGIN")
    with pytest.raises(JivoConfigError, match=r"^secret: the secret looks like a public key"):
        UserTokens('{"kty":"oct","k":"' + "A" * 43 + '"}')  # nor can a JWK (PyJWT's guard)


@pytest.mark.parametrize(("alg", "digest"), [("HS384", hashlib.sha384), ("HS512", hashlib.sha512)])
def test_other_hmac_algorithms_are_refused_even_with_the_right_secret(
    alg: str, digest: Any
) -> None:
    secret = "S" * 64  # long enough for HS512: no key-length warning on the way
    header = {"alg": alg, "typ": "JWT"}
    forged = forge({"id": "42"}, secret.encode(), header=header, digest=digest)
    assert_invalid(UserTokens(secret).verify(forged), "algorithm")


@pytest.mark.parametrize(
    "header", [{"typ": "JWT"}, {"alg": None}, {"alg": ""}, {"alg": ["HS256"]}, [1], "bnVsbA"]
)
def test_headers_without_an_accepted_algorithm(tokens: UserTokens, header: Any) -> None:
    assert_invalid(tokens.verify(forge({"id": "42"}, NEW.encode(), header=header)))


def test_crit_headers_pyjwt_does_not_understand_are_refused(tokens: UserTokens) -> None:
    header = {**HS256_HEADER, "crit": ["exp-check"], "exp-check": True}
    assert_invalid(tokens.verify(forge({"id": "42"}, NEW.encode(), header=header)))


def test_expired_tokens() -> None:
    signer = UserTokens(NEW, expires_in="1h")
    stale = signer.sign("42", now=datetime.now(UTC) - timedelta(hours=2))
    result = signer.verify(stale)
    assert result.status == "expired"
    assert result.status is IdentityStatus.EXPIRED
    assert result.visitor_id is None and not result.verified  # never trusted
    assert result.claims is not None and result.claims["id"] == "42"  # but authentic, for support
    # A token expired under a secret we do not hold is just invalid.
    assert_invalid(UserTokens(OTHER).verify(stale), "none of the secrets")


def test_leeway_allows_clock_skew_only() -> None:
    just_expired = datetime.now(UTC) - timedelta(hours=1, seconds=20)
    token = UserTokens(NEW, expires_in="1h").sign("42", now=just_expired)
    assert UserTokens(NEW).verify(token).status is IdentityStatus.EXPIRED
    assert UserTokens(NEW, leeway=120).verify(token).visitor_id == "42"
    assert UserTokens(NEW, leeway=MAX_LEEWAY).verify(token).verified
    with pytest.raises(JivoConfigError, match=r"^leeway: must be between 0 and 300"):
        UserTokens(NEW, leeway=MAX_LEEWAY + 1)


def test_tokens_from_the_future_are_invalid() -> None:
    future = UserTokens(NEW, issued_at=True).sign("42", now=datetime.now(UTC) + timedelta(hours=1))
    assert_invalid(UserTokens(NEW).verify(future), "not valid yet")
    nbf = forge({"id": "42", "nbf": int(datetime.now(UTC).timestamp()) + 3600}, NEW.encode())
    assert_invalid(UserTokens(NEW).verify(nbf), "not valid yet")


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"id": None},
        {"id": 42},
        {"id": ""},
        {"id": "4-2"},
        {"id": "42 "},
        {"id": "\u0664\u0662"},  # Arabic-Indic digits: "digits", but not Jivo's
        {"id": "Z" * (MAX_VISITOR_ID_LENGTH + 1)},
        {"id": ["42"]},
        {"sub": "42"},
    ],
)
def test_signed_tokens_whose_id_breaks_jivos_rule_are_invalid(
    tokens: UserTokens, payload: dict[str, Any]
) -> None:
    assert_invalid(tokens.verify(forge(payload, NEW.encode())), "id")


@pytest.mark.parametrize("payload", ['"42"', "[]", "bnVsbA", "e30"])
def test_payloads_that_are_not_objects_with_an_id(tokens: UserTokens, payload: str) -> None:
    body = payload if payload in ("bnVsbA", "e30") else b64(payload.encode())
    assert_invalid(tokens.verify(forge(body, NEW.encode())))


@pytest.mark.parametrize("token", [None, ""])
def test_no_token_is_missing(tokens: UserTokens, token: str | None) -> None:
    result = tokens.verify(token)
    assert result.status is IdentityStatus.MISSING and result.visitor_id is None


@pytest.mark.parametrize(
    "token",
    ["42", "u-42", "visitor_123", "550e8400-e29b-41d4-a716-446655440000", " ", "a.b", "a.b.c.d"],
)
def test_plain_ids_from_sites_that_do_not_sign_are_invalid(tokens: UserTokens, token: str) -> None:
    assert_invalid(tokens.verify(token))


@pytest.mark.parametrize("token", [42, b"a.b.c", ["a.b.c"], {"id": "42"}])
def test_values_that_are_not_strings_are_invalid(tokens: UserTokens, token: object) -> None:
    assert_invalid(tokens.verify(token), "not a string")


def test_huge_tokens_are_refused_before_parsing(tokens: UserTokens) -> None:
    huge = forge({"id": "42", "pad": "x" * MAX_TOKEN_LENGTH}, NEW.encode())
    assert_invalid(tokens.verify(huge), f"longer than {MAX_TOKEN_LENGTH}")
    assert_invalid(tokens.verify("a." * 5_000_000 + "a"), f"longer than {MAX_TOKEN_LENGTH}")


def test_deeply_nested_json_is_invalid_not_a_crash(tokens: UserTokens) -> None:
    nested_header = b64(b"[" * 2000 + b"]" * 2000)
    assert_invalid(tokens.verify(f"{nested_header}.e30.AAAA"))
    nested_payload = b64(b'{"id":"42","x":' + b"[" * 1400 + b"]" * 1400 + b"}")
    assert_invalid(tokens.verify(forge(nested_payload, NEW.encode())))


def test_a_failure_inside_the_jwt_library_is_invalid_not_raised(
    tokens: UserTokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(jwt.PyJWT, "decode", broken)
    assert_invalid(tokens.verify(UserTokens(NEW).sign("42")), "unreadable (RecursionError)")


def test_reasons_never_repeat_the_token(tokens: UserTokens) -> None:
    marker = "SECRETVISITORDATA"
    cases = [
        marker,
        f"{marker}.{marker}.{marker}",
        forge({"id": marker}, OTHER.encode()),
        forge({"id": marker}, None, header={"alg": marker}, signature=b"x"),
    ]
    for token in cases:
        result = tokens.verify(token)
        assert marker not in result.reason and b64(marker.encode()) not in result.reason


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=string.ascii_letters + string.digits + "-_.=")))
def test_arbitrary_text_never_raises_and_never_verifies(text: str) -> None:
    result = UserTokens([NEW, OLD]).verify(text)
    assert isinstance(result, Verification)
    assert result.status in (IdentityStatus.MISSING, IdentityStatus.INVALID)
    assert result.visitor_id is None


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_change_to_a_signed_token_is_refused(data: st.DataObject) -> None:
    signer = UserTokens(NEW, expires_in="1h", claims={"site": "shop"})
    token = signer.sign("Visitor42")
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from(string.ascii_letters + string.digits + "-_.="))
    changed = token[:position] + replacement + token[position + 1 :]
    result = signer.verify(changed)
    if changed == token:
        assert result.verified
    else:
        assert not result.verified and result.visitor_id is None


def test_signatures_are_compared_in_constant_time(
    tokens: UserTokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyJWT does the comparison with hmac.compare_digest; this fails if that ever changes."""
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr("jwt.algorithms.hmac.compare_digest", spy)
    token = tokens.sign("42")
    assert tokens.verify(token).verified
    assert calls == [(unb64(token.split(".")[2]),) * 2]
    calls.clear()
    old_token = UserTokens(OLD).sign("42")
    assert tokens.verify(old_token).verified  # NEW fails, then OLD matches: two comparisons
    assert len(calls) == 2 and all(a == unb64(old_token.split(".")[2]) for a, _ in calls)


# --------------------------------------------------------------------------- the secret


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 31, r"^secret: the secret is 31 bytes long; .* at least 32 bytes"),
        ("é" * 15, r"^secret: the secret is 30 bytes long"),
        ("", r"^secret: no secret given"),
        (" \n", r"^secret: no secret given"),
        ([], r"^secret: no secret given"),
        ([NEW, "short"], r"^secret: secret #2 of 2 is 5 bytes long"),
        ([NEW, 42], r"^secret: every secret must be a str, got int"),
        (None, r"^secret: must be the secret from Jivo's JWT settings"),
        (b"x" * 40, r"^secret: must be the secret from Jivo's JWT settings .* got bytes"),
        (bytearray(40), r"^secret: must be the secret from Jivo's JWT settings .* got bytearray"),
        (
            "-----BEGIN PUBLIC KEY----- " + "A" * 40,
            r"^secret: secret #1 of 4 is 10 bytes.*"
            r"whitespace separates several secrets",
        ),
    ],
)
def test_secret_rules(value: Any, message: str) -> None:
    with pytest.raises(JivoConfigError, match=message) as caught:
        UserTokens(value)
    if isinstance(value, str) and value.strip():
        assert value not in str(caught.value)


def test_32_bytes_is_enough() -> None:
    assert UserTokens("x" * 32).verify(UserTokens("x" * 32).sign("42")).verified
    assert UserTokens("é" * 16).verify(forge({"id": "1"}, ("é" * 16).encode())).verified


def test_the_field_name_is_the_callers() -> None:
    with pytest.raises(JivoConfigError, match=r"^identity_secret: the secret is 5 bytes"):
        parse_secrets("short", field="identity_secret")


def test_the_secret_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    signer = UserTokens([NEW, SecretStr(OLD)], expires_in="1h", claims={"site": "shop"})
    token = signer.sign("42")
    results = [signer.verify(t) for t in (token, "junk", UserTokens(OTHER).sign("1"), None)]
    shown = [repr(signer), str(signer), *map(repr, results), *map(str, results)]
    shown += [repr(parse_secrets(NEW)), str(parse_secrets(NEW))]
    shown += [record.getMessage() for record in caplog.records]
    for secret in (NEW, OLD):
        for text in shown:
            assert secret not in text
    assert "hidden" in repr(signer) and "2" in repr(signer)
    assert not hasattr(signer, "__dict__")  # slots: nothing to dump through vars()
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(signer)


# --------------------------------------------------------------------------- other rules


@pytest.mark.parametrize("visitor_id", ["42", "abc", "ABC123xyz", "Z" * MAX_VISITOR_ID_LENGTH])
def test_visitor_ids_jivo_accepts(visitor_id: str) -> None:
    assert validate_visitor_id(visitor_id) == visitor_id


@pytest.mark.parametrize(
    "visitor_id",
    [
        "",
        "4-2",
        "a b",
        "42\n",
        "user_42",
        "ann@example.com",
        "\u0664\u0662",
        "é",
        "550e8400-e29b-41d4-a716-446655440000",
        "Z" * (MAX_VISITOR_ID_LENGTH + 1),
    ],
)
def test_visitor_ids_jivo_refuses(visitor_id: str) -> None:
    with pytest.raises(JivoConfigError, match=r"^visitor_id: must be 1-256 Latin letters"):
        validate_visitor_id(visitor_id)


def test_a_uuid_hint_and_the_callers_field_name() -> None:
    with pytest.raises(JivoConfigError, match=r"^--id: .*uuid\.hex.*got '550e8400-e29b-41d"):
        validate_visitor_id("550e8400-e29b-41d4-a716-446655440000", field="--id")
    with pytest.raises(JivoConfigError, match=r"^visitor_id: must be a string .*got int"):
        validate_visitor_id(42)


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"iat": 1}, r"^claims\.iat: reserved"),
        ({"exp": 1}, r"^claims\.exp: reserved"),
        ({"nbf": 1}, r"^claims\.nbf: reserved"),
        ({"aud": "jivo"}, r"^claims\.aud: reserved"),
        ({"sub": 42}, r"^claims\.sub: must be a string"),
        ({"iss": None}, r"^claims\.iss: must be a string"),
        ({"x": {1, 2}}, r"^claims\.x is a set, not a JSON value"),
        ({"x": float("nan")}, r"^claims\.x is nan, not a JSON value"),
        ({"x": [{"y": {1: "a"}}]}, r"^claims\.x\[0\]\.y has the key 1; JSON keys are strings"),
        (["id"], r"^claims: must be a mapping"),
    ],
)
def test_claim_rules(claims: Any, message: str) -> None:
    with pytest.raises(JivoConfigError, match=message):
        check_claims(claims)


def test_claims_too_large_for_verification_are_refused_at_construction() -> None:
    with pytest.raises(JivoConfigError, match=r"^claims: too large; tokens would be up to \d+"):
        UserTokens(NEW, claims={"pad": "x" * 3000})


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(90, 90), ("90", 90), ("90s", 90), ("15m", 900), (" 1h ", 3600), ("7d", 604800)],
)
def test_durations(value: Any, seconds: int) -> None:
    assert parse_duration(value, field="expires_in", maximum=10**7) == seconds
    assert parse_duration(timedelta(seconds=seconds), field="x", maximum=10**7) == seconds


@pytest.mark.parametrize("value", ["1y", "-1", "h", "1.5h", True, None, [], float("inf")])
def test_bad_durations(value: Any) -> None:
    with pytest.raises(JivoConfigError, match=r"^expires_in: must be"):
        parse_duration(value, field="expires_in", maximum=10**7)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"expires_in": 0}, r"^expires_in: must be at least 1 second"),
        ({"expires_in": "400d"}, r"^expires_in: must be between 0 and 31622400 seconds"),
        ({"expires_in": -5}, r"^expires_in: must be between"),
        ({"issued_at": "yes"}, r"^issued_at: must be true or false"),
        ({"leeway": "1h"}, r"^leeway: must be between 0 and 300"),
    ],
)
def test_option_rules(options: dict[str, Any], message: str) -> None:
    with pytest.raises(JivoConfigError, match=message):
        UserTokens(NEW, **options)
