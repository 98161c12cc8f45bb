"""The ``jivo-widget demo`` site: a shop page with the glue, a live log, and the webhook receiver.

Run by ``make demo``. The page renders the demo config for a signed-in-looking visitor with a
per-request CSP nonce, serves the mocked Jivo widget from the site itself (``real=True`` uses
Jivo's own loader instead), shows every ``jivo_api`` call and fired callback live, and mounts the
webhook receiver so ``jivo-widget trigger`` can be pointed at it.
"""

from jivo_widget.demo.app import DemoSettings, create_app

__all__ = ["DemoSettings", "create_app"]
