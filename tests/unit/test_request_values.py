"""Values users actually pass (issue 6 item 11): int tokens, lazy strings, str()-able objects.

``user_token=request.user.pk`` (an int, or a UUID) and django-csp's ``request.csp_nonce`` (a
``SimpleLazyObject``) are accepted; so is any object whose class defines ``__str__`` where a
string is expected (Django's ``lazy``/``gettext_lazy``, a plain class). Everything else is
refused, naming the field. Rendering is strict here: the values must be accepted, not dropped.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.utils.functional import SimpleLazyObject, lazy

from jivo_widget import JivoConfigError, Widget
from jivo_widget.config import Contact, CustomField

ID = "AbCdEf1234"
WIDGET = Widget(widget_id=ID, strict=True)


class Name:
    """A plain class whose str() is the value, like many ORM and i18n objects."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    def __str__(self) -> str:
        self.calls += 1
        return self.text


class Broken:
    def __str__(self) -> str:
        raise RuntimeError("translation catalog missing")


def lazy_str(text: str) -> Any:
    return lazy(lambda: text, str)()


def calls_of(html: str) -> list[Any]:
    data = str(html).split("data-jivo='", 1)[1].split("'", 1)[0]
    return json.loads(unescape(data))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("token", "sent"),
    [
        (42, "42"),
        (0, "0"),
        (-7, "-7"),
        (2**70, str(2**70)),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (SimpleLazyObject(lambda: "u-42"), "u-42"),
        (Name("u-42"), "u-42"),
    ],
)
def test_user_token_accepts_ints_and_str_able_objects(token: Any, sent: str) -> None:
    assert calls_of(WIDGET.render(user_token=token)) == [["setUserToken", [sent]]]


@pytest.mark.parametrize("token", [True, False, 1.5, b"u-42", ["u"], {"id": 1}, object(), Name("")])
def test_user_token_refuses_the_rest(token: Any) -> None:
    with pytest.raises(JivoConfigError, match=r"^user_token: "):
        WIDGET.render(user_token=token)


def test_a_django_csp_lazy_nonce_is_accepted() -> None:
    nonce = SimpleLazyObject(lambda: "r4nd0mN0nce+/=")
    assert isinstance(nonce, str)  # a LazyObject pretends, yet it is no str to pydantic
    html = str(WIDGET.render(nonce=nonce))
    assert html.startswith('<script nonce="r4nd0mN0nce+/="')
    assert WIDGET.render(nonce=lazy_str("abc")).startswith('<script nonce="abc"')


def test_a_lazy_nonce_is_still_checked() -> None:
    with pytest.raises(JivoConfigError, match=r"^nonce: must be a base64 CSP nonce"):
        WIDGET.render(nonce=SimpleLazyObject(lambda: 'x" onload="alert(1)'))


def test_str_able_objects_where_strings_are_expected() -> None:
    html = WIDGET.render(
        contact={"name": lazy_str("Ann"), "email": SimpleLazyObject(lambda: "ann@example.com")},
        custom_data=[
            {
                "title": lazy_str("Plan"),
                "content": Name("Pro"),
                "link": lazy_str("https://crm.example/u/1"),
                "key": Name("plan"),
            }
        ],
        client_attributes={lazy_str("plan"): lazy_str("pro"), "id": uuid.UUID(int=2)},
        page_title=lazy_str("Cart"),
        page_url=Name("https://shop.example/cart"),
    )
    assert calls_of(html) == [
        ["setContactInfo", [{"name": "Ann", "email": "ann@example.com"}]],
        [
            "setCustomData",
            [
                [
                    {
                        "content": "Pro",
                        "title": "Plan",
                        "link": "https://crm.example/u/1",
                        "key": "plan",
                    }
                ]
            ],
        ],
        ["setClientAttributes", [{"plan": "pro", "id": "00000000-0000-0000-0000-000000000002"}]],
        ["sendPageTitle", ["Cart", True, "https://shop.example/cart"]],
    ]


def test_the_typed_models_accept_them_too() -> None:
    assert Contact(name=lazy_str("Ann")).name == "Ann"  # type: ignore[arg-type]
    field = CustomField(content=Name("Pro"), link=lazy_str("https://a.test/"))  # type: ignore[arg-type]
    assert (field.content, field.link) == ("Pro", "https://a.test/")


def test_str_is_called_once_per_value() -> None:
    name = Name("Ann")
    WIDGET.render(contact={"name": name})
    assert name.calls == 1


@pytest.mark.parametrize(
    ("request_data", "message"),
    [
        ({"contact": {"phone": 5551234}}, "contact.phone: Input should be a valid string"),
        ({"contact": {"name": b"Ann"}}, "contact.name: Input should be a valid string"),
        ({"contact": {"name": True}}, "contact.name: Input should be a valid string"),
        ({"custom_data": [{"content": 1.5}]}, "custom_data[0].content: Input should be a valid"),
        ({"custom_data": [{"content": object()}]}, "custom_data[0].content: Input should be"),
        ({"custom_data": [{"content": Name("")}]}, "custom_data[0].content: String should have"),
        ({"custom_data": [{"content": ["a"]}]}, "custom_data[0].content: Input should be"),
        ({"page_title": {"t": 1}}, "page_title: Input should be a valid string"),
        ({"nonce": 12345}, "nonce: "),
        ({"page_title": "t", "page_url": Name("/cart")}, "page_url: must be an absolute http(s)"),
        ({"client_attributes": {"a": [1]}}, "client_attributes.a: must be a string or a finite"),
    ],
)
def test_everything_else_is_refused_naming_the_field(
    request_data: dict[str, Any], message: str
) -> None:
    with pytest.raises(JivoConfigError) as info:
        WIDGET.render(**request_data)
    assert str(info.value).startswith(message), str(info.value)


def test_a_str_that_raises_is_a_bad_value_not_a_crash(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(JivoConfigError, match=r"^contact\.name: str\(\) of a Broken raised"):
        WIDGET.render(contact={"name": Broken(), "email": "e@example.com"})
    lenient = Widget(widget_id=ID, strict=False)
    html = lenient.render(contact={"name": Broken(), "email": "e@example.com"})
    assert calls_of(html) == [["setContactInfo", [{"email": "e@example.com"}]]]
    assert "translation catalog missing" not in caplog.text


def test_decimal_is_a_str_able_value() -> None:
    # Decimal defines __str__: "19.90" is what a shop means, unlike float's repr noise.
    html = WIDGET.render(custom_data=[{"content": Decimal("19.90")}])
    assert calls_of(html) == [["setCustomData", [[{"content": "19.90"}]]]]


def test_custom_data_may_be_any_sequence() -> None:
    # render() is typed Sequence[...]: a tuple (or another sequence) is as good as a list.
    expected = [["setCustomData", [[{"content": "a"}, {"content": "b"}]]]]
    assert calls_of(WIDGET.render(custom_data=({"content": "a"}, {"content": "b"}))) == expected
    from collections import UserList

    assert calls_of(WIDGET.render(custom_data=UserList([{"content": "a"}, {"content": "b"}]))) == (
        expected
    )
    with pytest.raises(JivoConfigError, match=r"^custom_data: Input should be a valid list"):
        WIDGET.render(custom_data="content")  # type: ignore[arg-type]
