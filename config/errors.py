"""The one error type for bad configuration: always shown to the user as a readable message; and reading one of
the admins' TOML files with that error."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """Configuration or rules file is invalid; the message says where and why."""


def read_toml(file: Path, what: str) -> dict[str, Any]:
    """The TOML file `file` (`what` names it in the error: "organisation register", "history file", ...)."""
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {file}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: {exc}") from None
