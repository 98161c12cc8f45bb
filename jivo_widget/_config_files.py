"""Reading a :class:`~jivo_widget.config.Widget`'s config file: TOML, and the files it names.

A config file's paths (a JSON ``rules`` file, Python ``callbacks`` files) are relative to the
file; :func:`files_under` makes them so for any mapping of config values (the integrations use
it for their settings too).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jivo_widget.errors import JivoConfigError

__all__ = ["files_under", "read_config_file"]


def read_config_file(path: Path) -> dict[str, Any]:
    """The values of the TOML file at ``path``; a file that cannot be read or parsed, or that
    holds a secret, raises :class:`JivoConfigError` naming the file."""
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise JivoConfigError(f"{path}: cannot read config ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise JivoConfigError(f"{path}: invalid TOML ({exc})") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise JivoConfigError(f"{path}: invalid TOML (nested too deeply)") from None
    if "identity_secret" in data:
        # Config files get committed, copied and shown: a secret written there is leaked.
        raise JivoConfigError(
            f"{path}: identity_secret: never write the secret in a config file; set "
            'identity_secret_env = "JIVO_JWT_SECRET" and put the secret in that '
            "environment variable"
        )
    return data


def files_under(data: Mapping[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """``data`` (config values) with its file names made relative to ``base_dir``: a str
    ``rules`` (a JSON file) and a str ``callbacks`` or each str of a list (Python files)."""
    values = dict(data)
    if base_dir is not None:
        rules = values.get("rules")
        if isinstance(rules, str):
            values["rules"] = base_dir / rules
        callbacks = values.get("callbacks")
        if isinstance(callbacks, str):
            values["callbacks"] = base_dir / callbacks
        elif isinstance(callbacks, list):
            values["callbacks"] = [base_dir / c if isinstance(c, str) else c for c in callbacks]
    return values
