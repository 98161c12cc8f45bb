"""jivo-widget: safe, tested JivoChat glue and webhook receiver for Python web apps.

>>> from jivo_widget import Widget
>>> widget = Widget(widget_id="AbCdEf1234")
>>> html = widget.render(user_token="u-42")
"""

from jivo_widget._version import __version__
from jivo_widget.config import Contact, CustomField, Invitation, Widget
from jivo_widget.errors import JivoConfigError, JivoConfigWarning, JivoError, JivoWarning

__all__ = [
    "Contact",
    "CustomField",
    "Invitation",
    "JivoConfigError",
    "JivoConfigWarning",
    "JivoError",
    "JivoWarning",
    "Widget",
    "__version__",
]
