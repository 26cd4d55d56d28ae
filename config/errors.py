"""The one error type for bad configuration: always shown to the user as a readable message."""


class ConfigError(Exception):
    """Configuration or rules file is invalid; the message says where and why."""
