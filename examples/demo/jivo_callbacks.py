"""The demo site's Jivo callbacks, written in Python (``callbacks = "jivo_callbacks.py"`` in
jivo.toml): compiled into the glue by jivo-widget, shown on the demo page beside the JavaScript
they compile to. Type-checked by mypy through jivo_widget.browser."""

from jivo_widget.browser import console, document, jivo_api, on, window

#: The states in which the chat window is open (Jivo's jivo_onChangeState values).
OPEN_STATES = ["chat", "call", "chat/call"]


def show(text: str) -> None:
    """Write what the last callback did into the demo page's "Callbacks in Python" panel."""
    status = document.getElementById("py-callbacks-status")
    if status is not None:
        status.textContent = text


def jivo_onLoadCallback() -> None:
    document.documentElement.dataset.jivo = "ready"
    show(f"widget loaded; agents are {jivo_api.chatMode()}")


def jivo_onChangeState(state: str) -> None:
    if state in OPEN_STATES:
        document.body.classList.add("jivo-open")
    else:
        document.body.classList.remove("jivo-open")
    console.info("jivo state", state)


@on("open")
def track_open() -> None:
    if window.dataLayer is not None:
        window.dataLayer.push({"event": "jivo_open"})
    show("the chat window opened")


def jivo_onIntroduction() -> None:
    info = jivo_api.getContactInfo()
    name = info.client_name or "a visitor"
    show(f"{name} introduced themselves" + (f" ({info.email})" if info.email else ""))


def jivo_onAccept() -> None:
    show("an agent accepted the chat")
