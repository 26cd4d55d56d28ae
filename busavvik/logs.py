"""Logging set-up: text or JSON lines; personnummer redacted and control characters made visible in every
record (parsers.safetext.shown), its traceback included."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from parsers.safetext import shown


class RedactingFilter(logging.Filter):
    """The record's message, and its traceback (which may quote SQL parameters or mail text), redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = shown(message), ()
        if record.exc_info and not getattr(record, "_redacted_exc", False):
            record.exc_text = shown(logging.Formatter().formatException(record.exc_info))
            record._redacted_exc = True
        return True


# Third-party loggers that write request data: uvicorn's (its error log prints an application's traceback with
# the SQL parameters; its access log the query string).  Each gets the filter on the logger itself, so its
# records are redacted whatever handler writes them.
REDACTED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "sqlalchemy.engine")


def redact_third_party_loggers() -> None:
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            data["exception"] = shown(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return shown(super().format(record))    # the message is clean already; a traceback may quote mail text


def setup_logging(fmt: str = "text", level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                       "%Y-%m-%d %H:%M:%S%z"))   # local time with its UTC offset
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    redact_third_party_loggers()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # The scheduler's own INFO lines ("Running job", "executed successfully") would repeat every poll beside
    # busavvik's own; its warnings and errors (a missed or failed run) still show, and all of it at DEBUG.
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING)
