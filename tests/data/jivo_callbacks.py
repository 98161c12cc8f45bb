"""The issue's example callbacks module (with annotations, so it passes mypy --strict)."""

from jivo_widget.browser import document, jivo_api, window


def jivo_onIntroduction() -> None:
    info = jivo_api.getContactInfo()
    window.dataLayer.push({"event": "jivo_lead", "name": info.client_name, "email": info.email})


def jivo_onChangeState(state: str) -> None:
    if state in ("chat", "chat/min"):
        document.body.classList.add("jivo-open")
    else:
        document.body.classList.remove("jivo-open")


def jivo_onLoadCallback() -> None:
    if window.location.pathname.startswith("/pricing"):
        jivo_api.showProactiveInvitation("Questions about plans?")
