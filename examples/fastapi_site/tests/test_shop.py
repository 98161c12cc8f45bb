"""What a visitor and Jivo see of the shop: the widget, the identity, sign-out, the CRM card."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from jivo_widget.testing import JivoMock
from jivo_widget.webhooks import samples


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Coffee gear")).to_be_visible()


def test_anonymous_visitors_get_the_widget_without_identity(
    page: Page, jivo_mock: JivoMock, shop_url: str
) -> None:
    page.goto(shop_url)
    jivo_mock.wait_for_load()  # the glue ran under the nonce CSP and loaded the widget
    assert jivo_mock.widget_id == "FastShop01"
    jivo_mock.assert_not_called("setUserToken")
    jivo_mock.assert_not_called("setContactInfo")


def test_signed_in_customers_are_identified(page: Page, jivo_mock: JivoMock, shop_url: str) -> None:
    sign_in(page, shop_url, "ann@example.com", "ann-password")
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("setUserToken") == [["1"]]
    assert jivo_mock.calls("setContactInfo") == [
        [{"name": "Ann O'Brien", "email": "ann@example.com"}]
    ]
    assert jivo_mock.calls("setCustomData") == [[[{"title": "Plan", "content": "Pro"}]]]


def test_signing_out_clears_the_chat_history(
    page: Page, jivo_mock: JivoMock, shop_url: str
) -> None:
    sign_in(page, shop_url, "bob@example.com", "bob-password")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("clearHistory") == [[]]
    jivo_mock.assert_not_called("setUserToken")


def test_no_widget_on_the_sign_in_page(page: Page, jivo_mock: JivoMock, shop_url: str) -> None:
    page.goto(f"{shop_url}/login")
    assert page.locator("script[data-jivo]").count() == 0  # exclude_paths in jivo.toml


def test_chat_accepted_gets_the_crm_card(shop_url: str) -> None:
    event = samples.load("chat_accepted")
    event["visitor"]["email"] = "ann@example.com"
    response = httpx.post(f"{shop_url}/jivo/webhook/dev-only-secret", json=event)
    assert response.status_code == 200
    assert response.json() == {
        "result": "ok",
        "crm_link": "https://crm.example.com/customers/1",
        "custom_data": [{"title": "Plan", "content": "Pro"}, {"title": "Orders", "content": "3"}],
    }
