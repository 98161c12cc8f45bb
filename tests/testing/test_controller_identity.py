"""The user token in the mock: ``jivo_mock.visitor_token()`` is what the page set with
``setUserToken``, exactly; ``jivo_mock.token_claims()`` decodes it without verifying.

In Chromium: a token signed by ``Widget.render(visitor_id=…)`` reaches ``setUserToken``
byte-identical to the Widget's own signing, and verifies with a separate ``UserTokens``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import jwt
import pytest
from playwright.sync_api import Page

from jivo_widget import Widget
from jivo_widget.identity import IdentityStatus, UserTokens
from jivo_widget.testing import JivoMock
from jivo_widget.testing.async_controller import AsyncJivoMock
from jivo_widget.testing.controller import unverified_claims

ID = "AbCdEf1234"
SECRET = "tye64d8818007570e9fd4e9736da383b0ee124e91e4d44ce852432456df0e986"


def page_of(glue: str) -> str:
    return f"<!doctype html><html><head><title>Shop</title></head><body>{glue}</body></html>"


def token_in(html: str) -> str:
    """The token as the rendered HTML carries it (its data-jivo attribute)."""
    match = re.search(r"data-jivo='([^']*)'", html)
    assert match, html
    (token,) = [args[0] for name, args in json.loads(unescape(match[1])) if name == "setUserToken"]
    assert isinstance(token, str)
    return token


# --------------------------------------------------------------------------- in Chromium


@pytest.mark.browser
def test_the_signed_token_reaches_set_user_token_byte_identical(
    page: Page, jivo_mock: JivoMock, live_server: Any
) -> None:
    widget = Widget(widget_id=ID, identity_secret=SECRET)
    html = widget.render(visitor_id="42")
    page.goto(live_server.add("/", page_of(html)))
    jivo_mock.wait_for_load()
    token = jivo_mock.visitor_token()
    assert token == token_in(html)  # the bytes the page carried, through the HTML and JSON
    assert widget.user_tokens is not None
    assert token == widget.user_tokens.sign("42")  # the Widget's own signing for that visitor
    assert jivo_mock.calls("setUserToken") == [[token]]
    verification = UserTokens(SECRET).verify(token)
    assert verification.status is IdentityStatus.VERIFIED
    assert verification.visitor_id == "42"
    assert jivo_mock.token_claims() == {"id": "42"}


@pytest.mark.browser
def test_an_expiring_token_arrives_as_rendered(
    page: Page, jivo_mock: JivoMock, live_server: Any
) -> None:
    widget = Widget(widget_id=ID, identity_secret=[SECRET], identity_expires_in="1h")
    html = widget.render(visitor_id="Ann42")
    page.goto(live_server.add("/", page_of(html)))
    jivo_mock.wait_for_load()
    assert jivo_mock.visitor_token() == token_in(html)
    claims = jivo_mock.token_claims()
    assert claims["id"] == "Ann42"
    assert claims["exp"] - claims["iat"] == 3600
    assert UserTokens(SECRET).verify(jivo_mock.visitor_token()).visitor_id == "Ann42"


@pytest.mark.browser
def test_no_token_a_plain_token_and_a_cleared_one(
    page: Page, jivo_mock: JivoMock, live_server: Any
) -> None:
    widget = Widget(widget_id=ID)
    page.goto(live_server.add("/", page_of(widget.render())))
    jivo_mock.wait_for_load()
    assert jivo_mock.visitor_token() is None
    with pytest.raises(AssertionError, match="the page set no user token"):
        jivo_mock.token_claims()

    page.goto(live_server.add("/plain", page_of(widget.render(user_token="u-42"))))
    jivo_mock.wait_for_load()
    assert jivo_mock.visitor_token() == "u-42"
    with pytest.raises(AssertionError, match="not a JWT") as failure:
        jivo_mock.token_claims()
    assert "u-42" not in str(failure.value)

    page.evaluate("jivo_api.clearHistory()")
    assert jivo_mock.visitor_token() is None


@pytest.mark.browser
def test_the_async_mock_reads_the_same_token(
    browser_type_launch_args: dict[str, Any], live_server: Any
) -> None:
    """``AsyncJivoMock.visitor_token()``/``token_claims()`` in Playwright's async API (the
    async suites' fixture gives one), in a thread of its own: the sync API owns this one."""
    from playwright.async_api import async_playwright

    widget = Widget(widget_id=ID, identity_secret=SECRET, identity_issued_at=True)
    html = widget.render(visitor_id="Bob7")
    url = live_server.add("/", page_of(html))

    async def read() -> tuple[str | None, dict[str, Any]]:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**browser_type_launch_args)
            try:
                page = await browser.new_page()
                async with AsyncJivoMock(page) as jivo:
                    await page.goto(url)
                    await jivo.wait_for_load()
                    return await jivo.visitor_token(), await jivo.token_claims()
            finally:
                await browser.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        token, claims = pool.submit(asyncio.run, read()).result(timeout=120)
    assert token == token_in(html)
    assert claims["id"] == "Bob7" and isinstance(claims["iat"], int)
    assert UserTokens(SECRET).verify(token).visitor_id == "Bob7"


# --------------------------------------------------------------------------- decoding only


def test_claims_are_decoded_without_verification() -> None:
    # signed with another secret, and expired: still decoded (the test asserts on claims)
    past = datetime.now(UTC) - timedelta(days=2)
    token = UserTokens("AnotherSiteEntirelyWithItsOwnSecret0123456789", expires_in=60).sign(
        "7", now=past
    )
    claims = unverified_claims(token)
    assert claims["id"] == "7"
    assert claims["exp"] == int(past.timestamp()) + 60
    assert unverified_claims(jwt.encode({"id": "8"}, "k" * 32, algorithm="HS256")) == {"id": "8"}


@pytest.mark.parametrize("token", ["u-42", "a.b.c", "", "42"])
def test_a_token_that_is_not_a_jwt_fails_the_assertion(token: str) -> None:
    with pytest.raises(AssertionError, match="not a JWT"):
        unverified_claims(token)
