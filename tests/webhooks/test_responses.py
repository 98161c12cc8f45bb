"""Responses to chat_accepted / chat_updated: validated before sending, errors naming the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from jivo_widget.catalog import CUSTOM_DATA_MAX_FIELDS
from jivo_widget.urls import URL_RULE
from jivo_widget.webhooks import ChatResponse, ContactInfo, CustomDataField
from jivo_widget.webhooks.responses import to_response


def test_chat_response_as_json_leaves_out_unset_fields() -> None:
    response = ChatResponse(
        custom_data=[{"title": "Plan", "content": "Pro"}],  # type: ignore[list-item]
        contact_info={"name": "John"},  # type: ignore[arg-type]
        enable_assign=True,
        crm_link="https://crm.example.com/c/1",
        page={"url": "https://crm.example.com/c/1", "title": "Card"},  # type: ignore[arg-type]
    )
    assert response.as_json() == {
        "result": "ok",
        "custom_data": [{"content": "Pro", "title": "Plan"}],
        "contact_info": {"name": "John"},
        "enable_assign": True,
        "crm_link": "https://crm.example.com/c/1",
        "page": {"url": "https://crm.example.com/c/1", "title": "Card"},
    }
    assert to_response(response) == response.as_json()
    assert to_response({}) == {"result": "ok"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"custom_data": [{"content": str(i)} for i in range(CUSTOM_DATA_MAX_FIELDS + 1)]},
            f"custom_data: List should have at most {CUSTOM_DATA_MAX_FIELDS} items",
        ),
        ({"custom_data": [{"title": "no content"}]}, "custom_data.0.content: Field required"),
        ({"custom_data": [{"content": "x", "link": "javascript:alert(1)"}]}, "custom_data.0.link"),
        ({"crmlink": "https://crm.example.com"}, "crmlink: Extra inputs are not permitted"),
        ({"enable_assign": "perhaps"}, "enable_assign"),
        ({"page": {"title": "no url"}}, "page.url: Field required"),
        (["result", "ok"], "a response must be a dict or a ChatResponse, not list"),
    ],
)
def test_invalid_responses_are_refused_naming_the_field(value: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        to_response(value)
    assert message in str(info.value)


def test_ten_custom_data_fields_are_allowed() -> None:
    fields = [{"content": str(i)} for i in range(CUSTOM_DATA_MAX_FIELDS)]
    assert len(to_response({"custom_data": fields})["custom_data"]) == CUSTOM_DATA_MAX_FIELDS


@pytest.mark.parametrize(
    ("content", "sent"),
    [(42, "42"), (0, "0"), (2.5, "2.5"), (Decimal("19.90"), "19.90"), ("Pro", "Pro")],
)
def test_numbers_in_text_fields_are_sent_as_text(content: Any, sent: str) -> None:
    response = to_response(
        {
            "custom_data": [{"title": "Orders", "content": content, "key": 7}],
            "contact_info": {"name": "John", "phone": 14084987855},
        }
    )
    assert response["custom_data"] == [{"title": "Orders", "content": sent, "key": "7"}]
    assert response["contact_info"] == {"name": "John", "phone": "14084987855"}


@pytest.mark.parametrize("content", [True, None, ["Pro"], {"plan": "Pro"}])
def test_text_fields_refuse_what_is_not_text_or_a_number(content: Any) -> None:
    with pytest.raises(ValueError, match=r"custom_data\.0\.content: "):
        to_response({"custom_data": [{"content": content}]})


@pytest.mark.parametrize(
    ("contact_info", "message"),
    [
        ({"email": "john@example.com"}, "contact_info.name: Field required"),
        ({"name": ""}, "contact_info.name: Value error, must not be empty or only whitespace"),
        ({"name": "   "}, "contact_info.name: Value error, must not be empty or only whitespace"),
        ({"name": None}, "contact_info.name: Input should be a valid string"),
    ],
)
def test_contact_info_requires_a_name(contact_info: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        to_response({"contact_info": contact_info, "crm_link": "https://crm.example.com/c/1"})
    assert str(info.value) == f"invalid response: {message}"


def test_contact_info_with_a_name_only_is_enough() -> None:
    assert ContactInfo(name="John").model_dump(exclude_none=True) == {"name": "John"}
    assert to_response({"contact_info": {"name": "John"}}) == {
        "result": "ok",
        "contact_info": {"name": "John"},
    }


URL_ERROR = URL_RULE  # the toolkit's one URL rule (jivo_widget.urls)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "crm.example.com/c/1",
        "/c/1",
        "ftp://crm.example.com/c/1",
        "https://",
        "https://crm.example.com/c/1 ",
        "https://crm.example.com/a b",
        " https://crm.example.com/c/1",
        "",
        "http\u017f://crm.example.com/c/1",
        "https:///crm.example.com/c/1",
        "http://@crm.example.com/c/1",
        "https://crm.example.com\\@evil.example/c/1",
        "https://crm.example.com/c/1\u202e",
        "https://crm\x00.example.com/c/1",
    ],
)
@pytest.mark.parametrize(
    ("where", "location"),
    [
        (lambda url: {"crm_link": url}, "crm_link"),
        (lambda url: {"page": {"url": url}}, "page.url"),
        (lambda url: {"custom_data": [{"content": "x", "link": url}]}, "custom_data.0.link"),
    ],
    ids=["crm_link", "page", "custom_data"],
)
def test_links_must_be_http_urls(url: str, where: Any, location: str) -> None:
    with pytest.raises(ValueError) as info:
        to_response(where(url))
    assert str(info.value) == f"invalid response: {location}: {URL_ERROR}"  # the URL not echoed


@pytest.mark.parametrize(
    "url", ["https://crm.example.com/c/1", "http://10.0.0.5:8080/c?id=1#top", "HTTPS://CRM.EXAMPLE"]
)
def test_http_urls_are_sent_exactly_as_given(url: str) -> None:
    response = to_response(
        {"crm_link": url, "page": {"url": url}, "custom_data": [{"content": "x", "link": url}]}
    )
    assert response["crm_link"] == url
    assert response["page"] == {"url": url}
    assert response["custom_data"] == [{"content": "x", "link": url}]


def test_models_built_in_python_are_validated_too() -> None:
    with pytest.raises(ValueError, match="crm_link") as info:
        ChatResponse(crm_link="javascript:alert(1)")
    assert "alert" not in str(info.value)  # pydantic's own message does not echo the input
    with pytest.raises(ValueError, match="name"):
        ContactInfo(name=" ")


def test_response_and_page_models_carry_the_catalogs_fields() -> None:
    # Two sets of models (the page's and the response's) read by different rules, one set of
    # field names: Jivo's, as the catalog lists them.
    from jivo_widget import Contact, CustomField, catalog

    assert set(ContactInfo.model_fields) == set(catalog.CONTACT_FIELDS)
    assert set(Contact.model_fields) == set(catalog.CONTACT_FIELDS)
    assert set(CustomDataField.model_fields) == set(catalog.CUSTOM_DATA_FIELD_KEYS)
    assert set(CustomField.model_fields) == set(catalog.CUSTOM_DATA_FIELD_KEYS)
