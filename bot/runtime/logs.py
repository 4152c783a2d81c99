"""Logging for the `newsbot` command: one record per event, as a line of text or a JSON object.

NEWSBOT_LOG_FORMAT=text (the default): each record's message is one line (a line break inside it
is shown as ⏎, so nothing a reader typed can forge a log line); an unexpected error, logged with
exc_info, keeps its traceback on the same record, printed on the lines under it, so its file and
line are never lost. Expected errors (a reader who blocked the bot, Telegram unreachable) are
logged without exc_info by the code that meets them and stay one line.

NEWSBOT_LOG_FORMAT=json: one JSON object a line for log shippers, the traceback a string field.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from telegram.error import TelegramError

from bot.redact import RedactingFilter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The index of this bot process among NEWSBOT_WORKERS (0 the polling process), when there are several.
_process: int | None = None


class OneLineFormatter(logging.Formatter):
    """The message on one line; a traceback, when the record carries one, on the lines under it."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).replace("\n", " ⏎ ")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (ISO-8601, UTC), level, logger, message, and when present
    the worker index (`process`) and the traceback (`exc_info`) or stack (`stack_info`) as strings.

    The standard library's json module is all this needs: the object is flat, its values are
    strings and ints, and `ensure_ascii=False` keeps Arabic readable; a logging library would add
    a dependency for the same dozen lines.
    """

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, str | int] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if _process is not None:
            out["process"] = _process
        # As logging.Formatter does: the traceback is rendered once into exc_text, which a filter
        # may have rendered (and cleaned) already.
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc_info"] = record.exc_text
        if record.stack_info:
            out["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False)


class TelegramErrorsInOneLine(logging.Filter):
    """python-telegram-bot logs Telegram's refusals and network failures with their traceback
    (a bad token, the Bot API unreachable at start) before raising them to the bot, which says
    what to do in its own line: here their records name the error in one line instead, as every
    expected error is. The bot's own records, an unexpected TelegramError among them, keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.name.startswith("telegram"):
            error = record.exc_info[1]
            if isinstance(error, TelegramError):
                record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
                record.args = None
                record.exc_info = None
                record.exc_text = None
        return True


def formatter(fmt: str) -> logging.Formatter:
    """The formatter for NEWSBOT_LOG_FORMAT (`text` or `json`)."""
    if fmt == "json":
        return JsonFormatter()
    return OneLineFormatter(TEXT_FORMAT)


def set_process(index: int | None) -> None:
    """Name this process's index among NEWSBOT_WORKERS in JSON records (None: a single process)."""
    global _process
    _process = index


def configure(level: str, fmt: str = "text") -> logging.Handler:
    """Send every record to stderr in `fmt`; returns the handler (filters attach to it)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(TelegramErrorsInOneLine())
    handler.addFilter(RedactingFilter())  # last, on every record whichever logger made it: no token or secret
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler
